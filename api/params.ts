/**
 * Query-parameter parsing shared by the routes. Every parser names the parameter in its 400 error.
 * Calendar input without an explicit offset is read in the site's time zone (DESIGN.md D6).
 */
import { INTERVALS, isInterval, type IntervalName } from '../core/duration.ts';
import { zonedTime } from '../core/time.ts';
import { badParameter } from './errors.ts';

/** The query object express gives a route (values may be strings, arrays or absent). */
export type Query = Record<string, unknown>;

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

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
  const m = ISO.exec(value);
  if (!m) throw badParameter(name, `'${value}' is not an ISO 8601 date or date-time (e.g. 2025-03-01 or 2025-03-01T00:00:00+08:00)`);
  const [, y, mo, d, h, mi, s, zone] = m;
  // Date.UTC reads years 0–99 as 1900–1999, and nothing is measured before the epoch: refuse, never guess
  if (Number(y) < 1970) throw badParameter(name, `'${value}': years before 1970 are not accepted`);
  const month = Number(mo), day = Number(d), hour = Number(h ?? 0), minute = Number(mi ?? 0), second = Number(s ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    throw badParameter(name, `'${value}' is not a valid date`);
  }
  const probe = new Date(Date.UTC(Number(y), month - 1, day));
  if (probe.getUTCDate() !== day) throw badParameter(name, `'${value}' is not a valid date`);
  if (zone) {
    const ms = Date.parse(value.replace(' ', 'T'));
    if (Number.isNaN(ms)) throw badParameter(name, `'${value}' is not a valid date-time`);
    return ms;
  }
  return zonedTime(tz, Number(y), month, day, hour, minute) + second * 1000;
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
