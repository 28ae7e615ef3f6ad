/**
 * PV-system and contract days for the boards (decision 0408), computed by the same functions as the API's answers
 * (api/pv-performance.ts, api/contract-savings.ts), so a board and the API agree for the same period:
 * - scope=pv_system: pv_kwh, final_yield_kwh_kwp, poa_kwh_m2, reference_yield_h, pr, pr_temp_corrected per day
 *   (corrected to the STC cell temperature 25 °C, IEC 61724-1 PR'_STC: a reference fixed for every day, because
 *   the NREL reference T̄_cell of the range makes the correction cancel over a one-day range, and a day's stored
 *   figure would depend on which range the job ran over);
 * - scope=contract: per reporting day the adjusted baseline, actual and avoided energy, and since the reporting
 *   period began the cumulative savings, fraction, 68 % uncertainty (ASHRAE G14 Annex B over the days so far)
 *   and the split between the energy-service company and the client (GB/T 24915-2020) — the API's answer for
 *   the reporting period up to that day.
 */
import { MEASUREMENT } from '../core/measurements.ts';
import { periodsIn } from '../api/domain/calendar.ts';
import { contractSavings } from '../api/contract-savings.ts';
import { localDate } from '../core/time.ts';
import { zonedTime } from '../core/time.ts';
import { pvPerformance } from '../api/pv-performance.ts';
import type { ApiContext } from '../api/context.ts';
import type { StoredPoint } from '../storage/port.ts';

/** IEC 61724-1 standard test conditions' cell temperature, the reference of the written temperature-corrected PR. */
export const STC_CELL_TEMP_C = 25;

/** What the rows are computed from: the indexed site, the store, the reference data (jobs/kpi-writeback.ts KpiSources). */
type Sources = Pick<ApiContext, 'index' | 'storage' | 'reference'>;

/** PV rows of [from, to) and each day's generation of the whole site. */
export async function pvDayRows(ctx: Sources, from: number, to: number): Promise<{ rows: StoredPoint[]; siteKwh: Map<number, number> }> {
  const { index } = ctx;
  const rows: StoredPoint[] = [];
  const siteKwh = new Map<number, number>();
  const days = periodsIn(from, to, index.tz, 'day');
  for (const system of index.site.pv_systems ?? []) {
    const perf = await pvPerformance(ctx, system, { from, to, granularity: 'day', region: ctx.reference.grid.default_region, referenceCellTempC: STC_CELL_TEMP_C });
    perf.periods.forEach((p, i) => {
      if (p.hours_with_yield === 0) return;
      const time = days[i].start;
      const fields: Record<string, number> = { pv_kwh: p.ac_energy_kwh, final_yield_kwh_kwp: p.final_yield_kwh_kwp };
      if (p.poa_irradiation_kwh_m2 !== null) fields.poa_kwh_m2 = p.poa_irradiation_kwh_m2;
      if (p.reference_yield_h !== null) fields.reference_yield_h = p.reference_yield_h;
      if (p.performance_ratio !== null) fields.pr = p.performance_ratio;
      if (p.temperature_corrected_pr !== null) fields.pr_temp_corrected = p.temperature_corrected_pr;
      rows.push({ measurement: MEASUREMENT.kpi1d, tags: { site: index.site.site.id, scope: 'pv_system', id: system.id }, fields, time });
      siteKwh.set(time, (siteKwh.get(time) ?? 0) + p.ac_energy_kwh);
    });
  }
  return { rows, siteKwh };
}

/**
 * Contract rows of the reporting days in [from, to): for each day, what `GET /contracts/{id}/savings?to=<next
 * midnight>` answers — the cumulative figures of the reporting period so far, priced at the time-of-use average
 * over those days as the API prices them — and the day's adjusted baseline and actual energy, the differences of
 * consecutive answers.
 */
export async function contractDayRows(ctx: Sources, from: number, to: number): Promise<StoredPoint[]> {
  const { index } = ctx;
  const tz = index.tz;
  const rows: StoredPoint[] = [];
  type Body = { savings: { adjusted_baseline: number; actual: number; avoided: number; fraction: number | null; uncertainty: number | null } | null; split: { esco_cny: number; client_cny: number } | null };
  for (const c of index.site.contracts ?? []) {
    const repFrom = Math.max(zonedDate(tz, c.reporting.from), zonedDate(tz, c.baseline.to) + 86_400_000);
    const end = Math.min(to, c.reporting.to ? zonedDate(tz, c.reporting.to) + 86_400_000 : Infinity);
    const answerTo = async (t: number) => (await contractSavings({ ...ctx, now: () => t }, c, { granularity: 'daily', to: localDate(t, tz) })) as unknown as Body;
    const start = Math.max(from, repFrom);
    if (start >= end) continue;
    let before = start > repFrom ? (await answerTo(start)).savings : null;
    for (const day of periodsIn(start, end, tz, 'day')) {
      const { savings, split } = await answerTo(day.end);
      if (!savings) { before = null; continue; }
      const fields: Record<string, number> = {
        baseline_kwh: savings.adjusted_baseline - (before?.adjusted_baseline ?? 0), actual_kwh: savings.actual - (before?.actual ?? 0),
        savings_kwh: savings.avoided - (before?.avoided ?? 0),
        cumulative_baseline_kwh: savings.adjusted_baseline, cumulative_savings_kwh: savings.avoided,
      };
      if (savings.fraction !== null) fields.cumulative_fraction = savings.fraction;
      if (savings.uncertainty !== null) fields.cumulative_uncertainty_kwh = savings.uncertainty;
      if (split) {
        fields.cumulative_esco_cny = split.esco_cny;
        fields.cumulative_client_cny = split.client_cny;
      }
      rows.push({ measurement: MEASUREMENT.kpi1d, tags: { site: index.site.site.id, scope: 'contract', id: c.id }, fields, time: day.start });
      before = savings;
    }
  }
  return rows;
}

/** Local midnight of a contract date `YYYY-MM-DD`. */
const zonedDate = (tz: string, date: string) => zonedTime(tz, Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10)));
