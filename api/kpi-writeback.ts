/**
 * Derived KPIs written back to storage (issue 6) as measurement `kpi_1d`, one row per local day and per building
 * (scope=building) plus one for the site (scope=site), so Grafana can chart intensities without the API.
 * Fields: electricity_kwh, water_m3, gas_m3, energy_kgce, energy_kgce_per_m2, electricity_kwh_per_m2,
 * energy_kgce_per_person, estimated (1 when any medium has no data that day).
 */
import { MEASUREMENT } from '../core/measurements.ts';
import { buildingYear } from '../core/site/load.ts';
import type { Building, Medium } from '../core/site/schema.ts';
import { localParts } from '../core/time.ts';
import { periodStart } from './domain/calendar.ts';
import { logger } from '../core/log.ts';
import type { StoredPoint } from '../storage/port.ts';
import type { ApiContext } from './context.ts';
import { coalCoefficients, standardCoal } from './domain/index.ts';
import { localDate } from './routes/energy-kpis.ts';
import { sourceSeries } from './series.ts';
import { buildingSource } from './scope.ts';

const MEDIA: Medium[] = ['electricity', 'water', 'gas', 'heat', 'cooling'];

/** Compute and write the daily KPIs of [from, to) (local days); returns the number of rows written. */
export async function writeDailyKpis(ctx: ApiContext, from: number, to: number): Promise<number> {
  const { index } = ctx;
  const tz = index.tz;
  const siteId = index.site.site.id;
  const rows: StoredPoint[] = [];
  const siteDays = new Map<number, { q: Partial<Record<Medium, number>>; area: number; people: number; peopleKnown: boolean; buildings: number }>();
  const coefficientCache = new Map<string, ReturnType<typeof coalCoefficients>['coefficients']>();
  const coefficientsFor = (day: number) => {
    const date = localDate(day, tz);
    let c = coefficientCache.get(date);
    if (!c) coefficientCache.set(date, (c = coalCoefficients(ctx.reference.coal, date, localParts(day, tz).year).coefficients));
    return c;
  };
  const row = (scope: 'building' | 'site', id: string, time: number, q: Partial<Record<Medium, number>>, area: number, people: number | undefined, mediaExpected: number): StoredPoint => {
    const coal = standardCoal(q, coefficientsFor(time));
    const fields: Record<string, number> = { energy_kgce: coal.total_kgce, estimated: Object.keys(q).length < mediaExpected ? 1 : 0 };
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
    for (const [time, q] of days) {
      const y = buildingYear(b, localParts(time, tz).year);
      rows.push(row('building', b.id, time, q, y.floor_area_m2, y.headcount, media.length));
      const s = siteDays.get(time) ?? { q: {}, area: 0, people: 0, peopleKnown: true, buildings: 0 };
      for (const [m, v] of Object.entries(q) as [Medium, number][]) s.q[m] = (s.q[m] ?? 0) + v;
      s.area += y.floor_area_m2;
      if (y.headcount === undefined) s.peopleKnown = false; else s.people += y.headcount;
      s.buildings++;
      siteDays.set(time, s);
    }
  }
  const siteMedia = MEDIA.filter((m) => index.site.buildings.some((b) => index.rootMeters(b.id, m).length > 0)).length;
  for (const [time, s] of siteDays) {
    // The site row divides by the buildings that reported that day, so a silent building does not dilute it.
    const r = row('site', siteId, time, s.q, s.area, s.peopleKnown ? s.people : undefined, siteMedia);
    if (s.buildings < index.site.buildings.length) r.fields.estimated = 1;
    rows.push(r);
  }
  for (let i = 0; i < rows.length; i += 5000) await ctx.storage.write(rows.slice(i, i + 5000));
  await ctx.storage.flush();
  return rows.length;
}

/**
 * Recompute the last `days_back` local days (today included) every `every_ms`; one run at a time, failures
 * logged once per outage (a store that is down is reported by /health), never thrown.
 */
export function scheduleKpiWriteBack(ctx: ApiContext, opts: { every_ms: number; days_back: number; first_ms?: number }): { stop(): Promise<void> } {
  const log = logger('api.kpi');
  let running: Promise<void> | undefined;
  let failing = false;
  let stopped = false;
  const run = () => {
    if (running || stopped) return;
    const today = periodStart(ctx.now(), ctx.index.tz, 'day');
    const from = today - opts.days_back * 86_400_000 + 86_400_000;
    running = writeDailyKpis(ctx, from, today + 86_400_000).then(
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
