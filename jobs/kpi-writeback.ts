/**
 * The daily KPI write-back, a scheduled job of its own (decision 0406): derived KPIs written to storage (issue 6)
 * as measurement `kpi_1d`, one row per local day and per building (scope=building) plus one for the site
 * (scope=site), so Grafana can chart intensities without the API. Fields: electricity_kwh, water_m3, gas_m3,
 * energy_kgce, energy_kgce_per_m2, electricity_kwh_per_m2, energy_kgce_per_person, estimated (1 when any medium
 * has no data that day). It reads the collector's building totals (decision 0404) and the API's domain formulas;
 * the API process itself writes nothing. For the boards (decision 0408) it also writes cost, hourly shape, base
 * load and limits per building day (jobs/building-day-kpis.ts), PV and contract days (jobs/pv-contract-kpis.ts)
 * and the names lookup `display_name` (jobs/display-names.ts).
 */
import { MEASUREMENT } from '../core/measurements.ts';
import { buildingYear } from '../core/site/load.ts';
import type { Building, Medium } from '../core/site/schema.ts';
import { localParts } from '../core/time.ts';
import { periodStart } from '../api/domain/calendar.ts';
import { logger } from '../core/log.ts';
import type { SiteModel } from '../core/site/schema.ts';
import type { Storage, StoredPoint } from '../storage/port.ts';
import { coalCoefficients, standardCoal } from '../api/domain/index.ts';
import { loadReferenceData, type ReferenceData } from '../api/reference.ts';
import { localDate } from '../core/time.ts';
import { sourceSeries } from '../api/series.ts';
import { buildingSource } from '../api/scope.ts';
import { SiteIndex } from '../api/site-index.ts';
import { workCalendar } from '../api/domain/calendar.ts';
import { buildingDayFields } from './building-day-kpis.ts';
import { displayNameRows } from './display-names.ts';
import { contractDayRows, pvDayRows } from './pv-contract-kpis.ts';

/** What the write-back reads: the indexed site, the store and the dated reference data. */
export interface KpiSources {
  index: SiteIndex;
  storage: Storage;
  reference: ReferenceData;
}

/** The sources of a site model: its index and, unless given, the reference data under config/reference/. */
export function kpiSources(site: SiteModel, storage: Storage, reference: ReferenceData = loadReferenceData()): KpiSources {
  return { index: new SiteIndex(site), storage, reference };
}

const MEDIA: Medium[] = ['electricity', 'water', 'gas', 'heat', 'cooling'];

/** Compute and write the daily KPIs of [from, to) (local days) and the names lookup; returns the kpi_1d rows written. */
export async function writeDailyKpis(ctx: KpiSources, from: number, to: number): Promise<number> {
  const { index } = ctx;
  const tz = index.tz;
  const siteId = index.site.site.id;
  const rows: StoredPoint[] = [];
  const siteDays = new Map<number, { q: Partial<Record<Medium, number>>; area: number; people: number; peopleKnown: boolean; buildings: number; cost: number; limitArea: number; limit: number; target: number }>();
  const calendar = workCalendar(ctx.reference.holidays.years);
  const coefficientCache = new Map<string, ReturnType<typeof coalCoefficients>['coefficients']>();
  const coefficientsFor = (day: number) => {
    const date = localDate(day, tz);
    let c = coefficientCache.get(date);
    if (!c) coefficientCache.set(date, (c = coalCoefficients(ctx.reference.coal, date, localParts(day, tz).year).coefficients));
    return c;
  };
  const row = (scope: 'building' | 'site', id: string, time: number, q: Partial<Record<Medium, number>>, area: number, people: number | undefined, mediaExpected: number, extra: Record<string, number> = {}): StoredPoint => {
    const coal = standardCoal(q, coefficientsFor(time));
    const fields: Record<string, number> = { ...extra, energy_kgce: coal.total_kgce, estimated: Object.keys(q).length < mediaExpected ? 1 : 0 };
    if (q.electricity !== undefined) fields.electricity_kwh = q.electricity;
    if (q.water !== undefined) fields.water_m3 = q.water;
    if (q.gas !== undefined) fields.gas_m3 = q.gas;
    if (area > 0) {
      fields.energy_kgce_per_m2 = coal.total_kgce / area;
      if (q.electricity !== undefined) fields.electricity_kwh_per_m2 = q.electricity / area;
    }
    if (people) fields.energy_kgce_per_person = coal.total_kgce / people;
    return { measurement: MEASUREMENT.kpi1d, tags: { site: siteId, scope, id }, fields, time };
  };
  for (const b of index.site.buildings as Building[]) {
    const media = MEDIA.filter((m) => index.rootMeters(b.id, m).length > 0);
    const perMedium = await Promise.all(media.map(async (m) => [m, await sourceSeries(ctx.storage, { siteId, source: buildingSource(ctx, [b], m), medium: m, from, to, interval: '1d', tz })] as const));
    const days = new Map<number, Partial<Record<Medium, number>>>();
    for (const [m, series] of perMedium) for (const p of series) days.set(p.time, { ...(days.get(p.time) ?? {}), [m]: p.value });
    const quarterHours = media.includes('electricity')
      ? await sourceSeries(ctx.storage, { siteId, source: buildingSource(ctx, [b], 'electricity'), medium: 'electricity', from, to, interval: '15m', tz })
      : [];
    const extras = buildingDayFields({ building: b, quarterHours, daily: days, reference: ctx.reference, calendar, tz });
    for (const [time, q] of days) {
      const y = buildingYear(b, localParts(time, tz).year);
      const extra = extras.get(time) ?? {};
      rows.push(row('building', b.id, time, q, y.floor_area_m2, y.headcount, media.length, extra));
      const s = siteDays.get(time) ?? { q: {}, area: 0, people: 0, peopleKnown: true, buildings: 0, cost: 0, limitArea: 0, limit: 0, target: 0 };
      s.cost += extra.cost_cny ?? 0;
      if (extra.electricity_limit_kwh_per_m2 !== undefined) {
        s.limitArea += y.floor_area_m2;
        s.limit += extra.electricity_limit_kwh_per_m2 * y.floor_area_m2;
        s.target += (extra.electricity_target_kwh_per_m2 ?? 0) * y.floor_area_m2;
      }
      for (const [m, v] of Object.entries(q) as [Medium, number][]) s.q[m] = (s.q[m] ?? 0) + v;
      s.area += y.floor_area_m2;
      if (y.headcount === undefined) s.peopleKnown = false; else s.people += y.headcount;
      s.buildings++;
      siteDays.set(time, s);
    }
  }
  const siteMedia = MEDIA.filter((m) => index.site.buildings.some((b) => index.rootMeters(b.id, m).length > 0)).length;
  const pv = await pvDayRows(ctx, from, to);
  rows.push(...pv.rows);
  for (const [time, s] of siteDays) {
    // The site row divides by the buildings that reported that day, so a silent building does not dilute it;
    // its limit is the area-weighted limit of the buildings that have a building class.
    const extra: Record<string, number> = { cost_cny: s.cost, pv_kwh: pv.siteKwh.get(time) ?? 0 };
    if (s.limitArea > 0) {
      extra.electricity_limit_kwh_per_m2 = s.limit / s.limitArea;
      extra.electricity_target_kwh_per_m2 = s.target / s.limitArea;
    }
    const r = row('site', siteId, time, s.q, s.area, s.peopleKnown ? s.people : undefined, siteMedia, extra);
    if (s.buildings < index.site.buildings.length) r.fields.estimated = 1;
    rows.push(r);
  }
  rows.push(...await contractDayRows(ctx, from, to));
  rows.push(...displayNameRows(index.site, from));
  for (let i = 0; i < rows.length; i += 5000) await ctx.storage.write(rows.slice(i, i + 5000));
  await ctx.storage.flush();
  return rows.filter((r) => r.measurement === MEASUREMENT.kpi1d).length;
}

/** The local days [from, to) of the last `days_back` days, today included. */
export function recentDays(now_ms: number, tz: string, days_back: number): { from: number; to: number } {
  const today = periodStart(now_ms, tz, 'day');
  return { from: today - (days_back - 1) * 86_400_000, to: today + 86_400_000 };
}

/** Options of the scheduled write-back. */
export interface KpiScheduleOptions {
  every_ms: number;
  days_back: number;
  /** delay of the first run (default 30 s: the collector's first rows) */
  first_ms?: number;
  /** the clock (tests) */
  now?: () => number;
}

/**
 * Recompute the last `days_back` local days (today included) every `every_ms`; one run at a time, failures
 * logged once per outage, never thrown.
 */
export function scheduleKpiWriteBack(ctx: KpiSources, opts: KpiScheduleOptions): { stop(): Promise<void> } {
  const log = logger('jobs.kpi');
  const now = opts.now ?? Date.now;
  let running: Promise<void> | undefined;
  let failing = false;
  let stopped = false;
  const run = () => {
    if (running || stopped) return;
    const { from, to } = recentDays(now(), ctx.index.tz, opts.days_back);
    running = writeDailyKpis(ctx, from, to).then(
      (rows) => {
        if (failing) log.info('kpi_1d write-back works again');
        failing = false;
        log.debug({ rows }, 'kpi_1d written');
      },
      (err: unknown) => {
        if (!failing) log.warn({ err: err instanceof Error ? err.message : String(err) }, 'kpi_1d write-back failed; retrying on schedule');
        failing = true;
      },
    ).finally(() => { running = undefined; });
  };
  const first = setTimeout(run, opts.first_ms ?? 30_000);
  const timer = setInterval(run, opts.every_ms);
  first.unref();
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
