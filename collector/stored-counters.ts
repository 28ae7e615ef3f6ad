/**
 * What storage still knows of meters' counters (storage/port.ts, both adapters): the stored 15-minute totals of
 * the days still open, the last counter reading at or before an instant, and the counter readings after it.
 * Read by the state rebuild (collector/state-rebuild.ts) when the collector's own state is missing.
 */
import { DAY_MS, INTERVAL_15M_MS, MEASUREMENT, QUANTITY_FIELD } from '../core/measurements.ts';
import type { Medium } from '../core/site/schema.ts';
import type { Storage } from '../storage/port.ts';
import type { CounterReading } from './energy/counter.ts';
import type { IntervalTotal } from './energy/meter-energy.ts';

/** A meter as the queries need it: its id, medium and counter point. */
export interface StoredMeter {
  id: string;
  medium: Medium;
  point: string;
}

/** Per meter, its stored `energy_15m` totals in [from, to), by interval start. */
export async function storedIntervals(storage: Storage, site: string, meters: readonly StoredMeter[], from: number, to: number): Promise<Map<string, Map<number, IntervalTotal>>> {
  const out = new Map<string, Map<number, IntervalTotal>>();
  const byMedium = new Map<Medium, string[]>();
  for (const m of meters) byMedium.set(m.medium, [...(byMedium.get(m.medium) ?? []), m.id]);
  for (const [medium, ids] of byMedium) {
    const where = { site, meter: ids };
    const base = { measurement: MEASUREMENT.energy15m, from, to, every_ms: INTERVAL_15M_MS, where, group_by: ['meter'] };
    // One row per series and interval: its sum is the row; `estimated` is 0/1.
    const [quantities, estimates] = await Promise.all([
      storage.aggregate({ ...base, field: QUANTITY_FIELD[medium], fn: 'sum' }),
      storage.aggregate({ ...base, field: 'estimated', fn: 'max' }),
    ]);
    const estimated = new Map<string, number>();
    for (const s of estimates) for (const p of s.points) estimated.set(`${s.tags.meter} ${p.time}`, p.value);
    for (const s of quantities) {
      const totals = new Map<number, IntervalTotal>();
      for (const p of s.points) totals.set(p.time, { quantity: p.value, estimated: estimated.get(`${s.tags.meter} ${p.time}`) ?? 0 });
      out.set(s.tags.meter, totals);
    }
  }
  return out;
}

/**
 * Per meter, its last stored counter reading at or before `at_ms` (per meter) and not before `floor_ms`: first
 * in the 15 minutes before (one query for the usual case), else in the last day holding any.
 */
export async function lastCounterReadings(storage: Storage, site: string, wanted: readonly { meter: StoredMeter; at_ms: number }[], floor_ms: number): Promise<Map<string, CounterReading>> {
  const out = new Map<string, CounterReading>();
  const byAt = new Map<number, StoredMeter[]>();
  for (const w of wanted) byAt.set(w.at_ms, [...(byAt.get(w.at_ms) ?? []), w.meter]);
  for (const [at, meters] of byAt) {
    const recent = Math.max(floor_ms, at - INTERVAL_15M_MS);
    for (const [id, rs] of await counterReadings(storage, site, meters, recent, at + 1)) out.set(id, rs[rs.length - 1]);
    const missing = meters.filter((m) => !out.has(m.id));
    if (missing.length === 0 || recent <= floor_ms) continue;
    const days = await storage.aggregate({
      measurement: MEASUREMENT.telemetry, field: 'value', fn: 'count', from: floor_ms, to: recent, every_ms: DAY_MS,
      where: { site, device: missing.map((m) => m.id), point: [...new Set(missing.map((m) => m.point))] }, group_by: ['device', 'point'],
    });
    for (const m of missing) {
      const series = days.find((s) => s.tags.device === m.id && s.tags.point === m.point);
      const day = series?.points[series.points.length - 1];
      if (!day) continue;
      const rs = (await counterReadings(storage, site, [m], Math.max(floor_ms, day.time), Math.min(recent, day.time + DAY_MS))).get(m.id);
      if (rs) out.set(m.id, rs[rs.length - 1]);
    }
  }
  return out;
}

/** Per meter, its stored counter readings in [from, to), in time order. */
export async function counterReadings(storage: Storage, site: string, meters: readonly StoredMeter[], from: number, to: number): Promise<Map<string, CounterReading[]>> {
  const out = new Map<string, CounterReading[]>();
  if (meters.length === 0 || to <= from) return out;
  const pointOf = new Map(meters.map((m) => [m.id, m.point]));
  const rows = await storage.raw({
    measurement: MEASUREMENT.telemetry, from, to,
    where: { site, device: meters.map((m) => m.id), point: [...new Set(meters.map((m) => m.point))] },
  });
  for (const row of rows) {
    const id = row.tags.device;
    const value = row.fields.value;
    if (pointOf.get(id) !== row.tags.point || typeof value !== 'number') continue;
    let rs = out.get(id);
    if (!rs) out.set(id, (rs = []));
    rs.push({ ts: row.time, value });
  }
  for (const rs of out.values()) rs.sort((a, b) => a.ts - b.ts);
  return out;
}
