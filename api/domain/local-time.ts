/**
 * Fast site-local calendar arithmetic with the same results as core/time.ts. Intl's formatToParts costs tens of
 * microseconds a call, and a year of hourly windows needs thousands of calls; here the zone's UTC offset is
 * computed through core/time.ts once per zone and UTC year when the offset is constant that year (Asia/Shanghai:
 * no daylight saving since 1991), and memoised per quarter hour otherwise. Wall-clock fields then come from plain
 * Date arithmetic.
 */
import { tzOffsetMs } from '../../core/time.ts';

const constantYear = new Map<string, number | null>();
const perQuarter = new Map<string, number>();
const QUARTER_MS = 900_000;

/** UTC offset of `tz` at `ms`, in ms (Asia/Shanghai: +8 h). */
export function offsetOf(ms: number, tz: string): number {
  const year = new Date(ms).getUTCFullYear();
  const key = `${tz}|${year}`;
  let c = constantYear.get(key);
  if (c === undefined) {
    // Samples on the 1st of every month and the next Jan 1st: equal everywhere → no transition that year.
    const samples = Array.from({ length: 13 }, (_, i) => tzOffsetMs(Date.UTC(year, i, 1), tz));
    c = samples.every((s) => s === samples[0]) ? samples[0] : null;
    constantYear.set(key, c);
  }
  if (c !== null) return c;
  const qk = `${tz}|${Math.floor(ms / QUARTER_MS)}`;
  let o = perQuarter.get(qk);
  if (o === undefined) {
    if (perQuarter.size > 200_000) perQuarter.clear();
    o = tzOffsetMs(ms, tz);
    perQuarter.set(qk, o);
  }
  return o;
}

/** Wall-clock fields of an instant in a zone (weekday 0 = Sunday), as core/time.ts localParts. */
export function localPartsOf(ms: number, tz: string): { year: number; month: number; day: number; hour: number; minute: number; second: number; weekday: number } {
  const d = new Date(ms + offsetOf(ms, tz));
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
    hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: d.getUTCDay(),
  };
}

/** The instant of a local wall-clock time in a zone (fields may overflow: day 32 is the next month). */
export function localTime(tz: string, year: number, month: number, day = 1, hour = 0, minute = 0): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  const first = guess - offsetOf(guess, tz);
  return guess - offsetOf(first, tz);
}
