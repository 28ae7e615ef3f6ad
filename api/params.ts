/**
 * Query-parameter parsing shared by the routes. Every parser names the parameter in its 400 error.
 * Calendar input without an explicit offset is read in the site's time zone (DESIGN.md D6).
 */
import { INTERVALS, isInterval, type IntervalName } from '../core/duration.ts';
import { parseIsoTime } from '../core/time.ts';
import { badParameter } from './errors.ts';

/** The query object express gives a route (values may be strings, arrays or absent). */
export type Query = Record<string, unknown>;


function single(query: Query, name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badParameter(name, 'give it once, as a single value');
  return v;
}

/** A required or optional string parameter. */
export function stringParam(query: Query, name: string, required: true): string;
export function stringParam(query: Query, name: string, required?: false): string | undefined;
export function stringParam(query: Query, name: string, required = false): string | undefined {
  const v = single(query, name);
  if (v === undefined || v === '') {
    if (required) throw badParameter(name, 'missing');
    return undefined;
  }
  return v;
}

/**
 * An ISO 8601 instant (`2025-03-01T00:00:00Z`, `…+08:00`) or local date/time (`2025-03-01`, `2025-03-01T08:00`),
 * the latter in the site's zone. Returns UTC epoch ms.
 */
export function parseInstant(value: string, name: string, tz: string): number {
  const parsed = parseIsoTime(value, tz);
  if ('problem' in parsed) throw badParameter(name, parsed.problem);
  return parsed.ms;
}

/** A `from`/`to` pair: both required, from < to, span at most `maxDays`. */
export function parseRange(query: Query, tz: string, maxDays = 3660, fallback?: () => { from: number; to: number }): { from: number; to: number } {
  if (fallback && single(query, 'from') === undefined && single(query, 'to') === undefined) return fallback();
  const from = parseInstant(stringParam(query, 'from', true), 'from', tz);
  const to = parseInstant(stringParam(query, 'to', true), 'to', tz);
  if (to <= from) throw badParameter('to', "must be after 'from'");
  if (to - from > maxDays * 86_400_000) throw badParameter('to', `the range may span at most ${maxDays} days`);
  return { from, to };
}

/** `interval` among 15m, 1h, 1d. */
export function parseInterval(query: Query, fallback?: IntervalName): IntervalName {
  const v = stringParam(query, 'interval');
  if (v === undefined) {
    if (fallback) return fallback;
    throw badParameter('interval', `missing (one of ${Object.keys(INTERVALS).join(', ')})`);
  }
  if (!isInterval(v)) throw badParameter('interval', `'${v}' is not one of ${Object.keys(INTERVALS).join(', ')}`);
  return v;
}

/** An enumerated parameter. */
export function enumParam<T extends string>(query: Query, name: string, allowed: readonly T[], fallback: T): T {
  const v = stringParam(query, name);
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v)) throw badParameter(name, `'${v}' is not one of ${allowed.join(', ')}`);
  return v as T;
}

/** A calendar year (2000–2100). */
export function yearParam(query: Query, name: string, required: true): number;
export function yearParam(query: Query, name: string, required?: false): number | undefined;
export function yearParam(query: Query, name: string, required = false): number | undefined {
  const v = stringParam(query, name, required as true);
  if (v === undefined) return undefined;
  if (!/^\d{4}$/.test(v) || Number(v) < 2000 || Number(v) > 2100) throw badParameter(name, `'${v}' is not a year between 2000 and 2100`);
  return Number(v);
}

/** Format an instant with the site's offset, e.g. `2025-03-01T00:00:00+08:00` (readable and unambiguous). */
export function isoLocal(ms: number, offsetMs: number): string {
  const shifted = new Date(ms + offsetMs).toISOString().slice(0, 19);
  if (offsetMs === 0) return `${shifted}Z`;
  const sign = offsetMs < 0 ? '-' : '+';
  const abs = Math.abs(offsetMs) / 60_000;
  return `${shifted}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
