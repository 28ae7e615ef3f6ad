/**
 * Window arithmetic shared by both adapters, matching InfluxQL's `GROUP BY time(every, offset)`: windows are
 * aligned to the UTC epoch shifted by `offset`, and an offset is only meaningful modulo `every`
 * (InfluxDB 1.x `influxql.Window`: offset normalised into [0, every)).
 */
import { StorageError, type AggregateQuery } from './port.ts';

/** The offset normalised into [0, every), as InfluxDB does. */
export function normalOffsetMs(everyMs: number, offsetMs = 0): number {
  return ((offsetMs % everyMs) + everyMs) % everyMs;
}

/** Start of the window holding `timeMs`, for windows of `everyMs` aligned to epoch + offset. */
export function windowStartMs(timeMs: number, everyMs: number, offsetMs = 0): number {
  const o = normalOffsetMs(everyMs, offsetMs);
  return timeMs - ((((timeMs - o) % everyMs) + everyMs) % everyMs);
}

/** Reject a query both adapters could not answer alike (non-integer times, empty or inverted ranges). */
export function checkAggregateQuery(q: AggregateQuery): void {
  for (const [name, v] of [['from', q.from], ['to', q.to]] as const) {
    if (!Number.isSafeInteger(v)) throw new StorageError(`aggregate: ${name} must be an integer epoch ms, got ${v}`, false);
  }
  if (q.every_ms !== undefined && (!Number.isSafeInteger(q.every_ms) || q.every_ms <= 0)) {
    throw new StorageError(`aggregate: every_ms must be a positive integer, got ${q.every_ms}`, false);
  }
  if (q.offset_ms !== undefined && !Number.isSafeInteger(q.offset_ms)) {
    throw new StorageError(`aggregate: offset_ms must be an integer, got ${q.offset_ms}`, false);
  }
  if (!q.measurement) throw new StorageError('aggregate: measurement is empty', false);
  if (!q.field) throw new StorageError('aggregate: field is empty', false);
}

/**
 * Round a sum or mean to 15 significant digits. Summation order differs between engines (InfluxDB adds in
 * time order, SQLite ≥ 3.43 uses Kahan–Babuška–Neumaier summation, the embedded rollups add partial sums),
 * so the last bits of a float64 sum differ; 15 digits is what float64 carries exactly (DBL_DIG) and lets both
 * adapters return identical numbers (0.1 + 0.2 → 0.3). See docs/decisions/0102.
 */
export function roundAggregate(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(15)) : value;
}
