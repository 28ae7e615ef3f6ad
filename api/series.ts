/**
 * Reads of the interval rollups the collector writes (DESIGN.md D3) — per meter (energy_15m, energy_1d), per
 * building (energy_building_15m, energy_building_1d) and per site (energy_site_15m, energy_site_1d) — shaped as plain series for the domain functions. Windows
 * follow the site's calendar (D6).
 */
import {
  ESTIMATED_FIELD, INTERVAL_15M_MS, INTERVALS_ESTIMATED_FIELD, INTERVALS_FIELD, MEASUREMENT, MEDIUM_TOTAL_CATEGORY,
  QUANTITY_FIELD,
} from '../core/measurements.ts';
import type { Medium } from '../core/site/schema.ts';
import { INTERVALS, type IntervalName } from '../core/duration.ts';
import { tzOffsetMs } from '../core/time.ts';
import type { Provenance } from './domain/provenance.ts';
import type { AggregateSeries, Storage, TagFilter } from '../storage/port.ts';
import { siteRowsSince } from './site-since.ts';

/** One window of a series: start (UTC ms) and quantity. */
export interface SeriesPoint {
  time: number;
  value: number;
}

/** Offset of the window grid so windows start at local boundaries (InfluxQL `GROUP BY time(every, offset)`). */
export function gridOffsetMs(everyMs: number, tz: string, at: number): number {
  const local = tzOffsetMs(at, tz);
  // A window starts at local midnight when epoch + offset + k·every = local midnight, i.e. offset ≡ −(UTC offset).
  const r = (-local) % everyMs;
  return r > everyMs / 2 ? r - everyMs : r < -everyMs / 2 ? r + everyMs : r;
}

export interface RollupQuery {
  siteId: string;
  meters: string[];
  medium: Medium;
  from: number;
  to: number;
  interval: IntervalName;
  tz: string;
}

/**
 * Where a scope's consumption of a medium is stored: the rows of some meters, the collector's building totals
 * (category MEDIUM_TOTAL_CATEGORY: the sum of a building's root meters), which a site of thousands of meters reads
 * as one series per building instead of one per meter (issue 18 §3), or — the whole site — its site totals, one
 * series per collector partition, where they are complete (decision 0407), else those of its buildings (`ids`).
 * `meters` is how many meters the rows add up, for the intervals a window should hold.
 */
export type RollupSource =
  | { kind: 'meters'; ids: string[]; meters: number }
  | { kind: 'buildings'; ids: string[]; meters: number }
  | { kind: 'site'; ids: string[]; meters: number };

/** A window of a rollup series with its provenance (api/domain/provenance.ts). */
export interface RollupPoint extends SeriesPoint, Provenance {}

/** The query of a source's rows over [from, to) in windows of `interval`. */
export interface SourceQuery {
  siteId: string;
  source: RollupSource;
  medium: Medium;
  from: number;
  to: number;
  interval: IntervalName;
  tz: string;
}

/**
 * The source's quantity per window with the provenance sums of its rows (four aggregates of the same rows, in
 * parallel); windows without any data are absent (never a zero). Rows without provenance fields (written before
 * them) count as holding no measured interval. A site source reads the building totals before the instant its
 * site totals are complete from and the site totals after it; that instant is a local midnight, on every grid.
 */
export async function sourceSeries(storage: Storage, q: SourceQuery): Promise<RollupPoint[]> {
  if (q.source.ids.length === 0) return [];
  const every = INTERVALS[q.interval];
  const grid = { every, offset: every === INTERVAL_15M_MS ? 0 : gridOffsetMs(every, q.tz, q.from) };
  const daily = q.interval === '1d';
  const buildings = (from: number, to: number) => fieldSums(storage, q.medium, grid, from, to,
    daily ? MEASUREMENT.buildingEnergy1d : MEASUREMENT.buildingEnergy15m,
    { site: q.siteId, building: q.source.ids, medium: q.medium, category: MEDIUM_TOTAL_CATEGORY[q.medium] });
  if (q.source.kind === 'meters') {
    return fieldSums(storage, q.medium, grid, q.from, q.to, daily ? MEASUREMENT.energy1d : MEASUREMENT.energy15m, { site: q.siteId, meter: q.source.ids });
  }
  if (q.source.kind === 'buildings') return buildings(q.from, q.to);
  const since = await siteRowsSince(storage, q.siteId);
  if (since === undefined || since >= q.to) return buildings(q.from, q.to);
  const site = (from: number) => fieldSums(storage, q.medium, grid, from, q.to,
    daily ? MEASUREMENT.siteEnergy1d : MEASUREMENT.siteEnergy15m,
    { site: q.siteId, medium: q.medium, category: MEDIUM_TOTAL_CATEGORY[q.medium] });
  if (since <= q.from) return site(q.from);
  const [before, after] = await Promise.all([buildings(q.from, since), site(since)]);
  return addWindows(before, after);
}

/** One measurement's quantity and provenance sums per window over [from, to). */
async function fieldSums(storage: Storage, medium: Medium, grid: { every: number; offset: number }, from: number, to: number,
  measurement: string, where: TagFilter): Promise<RollupPoint[]> {
  const read = async (field: string) => mergeSeries(await storage.aggregate({
    measurement, field, fn: 'sum', from, to, every_ms: grid.every, offset_ms: grid.offset, where,
  }));
  const [values, estimated, intervals, intervalsEstimated] = await Promise.all(
    [QUANTITY_FIELD[medium], ESTIMATED_FIELD[medium], INTERVALS_FIELD, INTERVALS_ESTIMATED_FIELD].map(read));
  const at = (s: SeriesPoint[]) => new Map(s.map((p) => [p.time, p.value]));
  const e = at(estimated), n = at(intervals), ne = at(intervalsEstimated);
  return values.map((p) => ({ ...p, estimated: e.get(p.time) ?? 0, intervals: n.get(p.time) ?? 0, intervals_estimated: ne.get(p.time) ?? 0 }));
}

/** Two window series added up window by window (a window straddling the instant gets both parts). */
function addWindows(a: RollupPoint[], b: RollupPoint[]): RollupPoint[] {
  const byTime = new Map<number, RollupPoint>();
  for (const p of [...a, ...b]) {
    const o = byTime.get(p.time);
    byTime.set(p.time, o ? {
      time: p.time, value: o.value + p.value, estimated: o.estimated + p.estimated, intervals: o.intervals + p.intervals,
      intervals_estimated: o.intervals_estimated + p.intervals_estimated,
    } : p);
  }
  return [...byTime.values()].sort((x, y) => x.time - y.time);
}

/** Sum of the meters' rollups per window; windows without any data are absent (never a zero). */
export async function rollupSeries(storage: Storage, q: RollupQuery): Promise<SeriesPoint[]> {
  if (q.meters.length === 0) return [];
  const every = INTERVALS[q.interval];
  const series = await storage.aggregate({
    measurement: q.interval === '1d' ? MEASUREMENT.energy1d : MEASUREMENT.energy15m,
    field: QUANTITY_FIELD[q.medium],
    fn: 'sum',
    from: q.from,
    to: q.to,
    every_ms: every,
    offset_ms: every === INTERVAL_15M_MS ? 0 : gridOffsetMs(every, q.tz, q.from),
    where: { site: q.siteId, meter: q.meters },
  });
  return mergeSeries(series);
}

/** Totals per meter over the whole range: one query of the daily rollups, one sum per meter. */
export async function totalsByMeter(storage: Storage, q: Omit<RollupQuery, 'interval'>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (q.meters.length === 0) return out;
  const series = await storage.aggregate({
    measurement: MEASUREMENT.energy1d, field: QUANTITY_FIELD[q.medium], fn: 'sum', from: q.from, to: q.to,
    where: { site: q.siteId, meter: q.meters }, group_by: ['meter'],
  });
  for (const s of series) out.set(s.tags.meter ?? '', s.points.reduce((a, p) => a + p.value, 0));
  return out;
}

/** Add up several aggregate series window by window. */
export function mergeSeries(series: AggregateSeries[]): SeriesPoint[] {
  const byTime = new Map<number, number>();
  for (const s of series) for (const p of s.points) byTime.set(p.time, (byTime.get(p.time) ?? 0) + p.value);
  return [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time, value }));
}

/** A telemetry point aggregated per window and per device (e.g. hourly mean irradiance, hourly max of a counter). */
export async function telemetryWindows(storage: Storage, q: { siteId: string; devices: string[]; point: string; fn: 'mean' | 'max' | 'min' | 'last'; from: number; to: number; every_ms: number; tz: string }): Promise<Map<string, SeriesPoint[]>> {
  const out = new Map<string, SeriesPoint[]>();
  if (q.devices.length === 0) return out;
  const series = await storage.aggregate({
    measurement: MEASUREMENT.telemetry, field: 'value', fn: q.fn, from: q.from, to: q.to, every_ms: q.every_ms,
    offset_ms: gridOffsetMs(q.every_ms, q.tz, q.from),
    where: { site: q.siteId, device: q.devices, point: q.point }, group_by: ['device'],
  });
  for (const s of series) out.set(s.tags.device ?? '', s.points.map((p) => ({ time: p.time, value: p.value })));
  return out;
}

/**
 * Increments of a cumulative counter per window from its per-window maxima: window k gets max_k − max_{k−1}.
 * A decrease (reset, replacement) is dropped and counted, never turned into negative energy.
 */
export function counterIncrements(maxima: SeriesPoint[]): { increments: SeriesPoint[]; resets: number } {
  const increments: SeriesPoint[] = [];
  let resets = 0;
  for (let i = 1; i < maxima.length; i++) {
    const d = maxima[i].value - maxima[i - 1].value;
    if (d < 0) { resets++; continue; }
    increments.push({ time: maxima[i].time, value: d });
  }
  return { increments, resets };
}
