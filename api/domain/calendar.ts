/** Calendar grouping of daily series in the site's time zone (DESIGN.md D6). Pure functions. */
import { dateOfParts, localParts, zonedTime } from '../../core/time.ts';

/** Calendar granularity of a report. */
export type Granularity = 'day' | 'month' | 'year';

/** A value at a time (UTC ms) — one window of an aggregated series. */
export interface TimeValue {
  time: number;
  value: number;
}

/** Start (UTC ms) of the local day, month or year holding `ms`. */
export function periodStart(ms: number, tz: string, g: Granularity): number {
  const p = localParts(ms, tz);
  if (g === 'year') return zonedTime(tz, p.year, 1, 1);
  if (g === 'month') return zonedTime(tz, p.year, p.month, 1);
  return zonedTime(tz, p.year, p.month, p.day);
}

/** Start of the next local period after the one starting at `start`. */
export function nextPeriod(start: number, tz: string, g: Granularity): number {
  const p = localParts(start, tz);
  if (g === 'year') return zonedTime(tz, p.year + 1, 1, 1);
  if (g === 'month') return p.month === 12 ? zonedTime(tz, p.year + 1, 1, 1) : zonedTime(tz, p.year, p.month + 1, 1);
  return zonedTime(tz, p.year, p.month, p.day + 1);
}

/** The local periods overlapping [from, to), each clipped to the range. */
export function periodsIn(from: number, to: number, tz: string, g: Granularity): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (let s = periodStart(from, tz, g); s < to; s = nextPeriod(s, tz, g)) {
    out.push({ start: Math.max(s, from), end: Math.min(nextPeriod(s, tz, g), to) });
  }
  return out;
}

/** Number of local days in [from, to) (whole days; a partial day counts as its fraction of 24 h). */
export function daysBetween(from: number, to: number): number {
  return (to - from) / 86_400_000;
}

/** Days in the local calendar year of `ms` (365 or 366). */
export function daysInYear(ms: number, tz: string): number {
  const y = localParts(ms, tz).year;
  return (zonedTime(tz, y + 1, 1, 1) - zonedTime(tz, y, 1, 1)) / 86_400_000;
}

/**
 * Sum a daily series into calendar periods. Each period reports its sum and how many days held data, so a
 * caller can tell a complete month from a month with gaps instead of showing a silent low figure.
 */
export function sumByPeriod(daily: TimeValue[], from: number, to: number, tz: string, g: Granularity): { start: number; end: number; value: number; days_with_data: number; days: number }[] {
  const periods = periodsIn(from, to, tz, g).map((p) => ({ ...p, value: 0, days_with_data: 0, days: Math.round(daysBetween(p.start, p.end)) }));
  let i = 0;
  for (const d of [...daily].sort((a, b) => a.time - b.time)) {
    while (i < periods.length && d.time >= periods[i].end) i++;
    if (i >= periods.length) break;
    if (d.time < periods[i].start) continue;
    periods[i].value += d.value;
    periods[i].days_with_data += 1;
  }
  return periods;
}

/** Whether the local day holding `ms` is Monday–Friday (statutory holidays are not modelled here). */
export function isWeekday(ms: number, tz: string): boolean {
  const w = localParts(ms, tz).weekday;
  return w >= 1 && w <= 5;
}

/** Public holidays and adjusted working days (调休) by local date `YYYY-MM-DD`, for the years the data covers. */
export interface WorkCalendar {
  years: Set<number>;
  holidays: Set<string>;
  workdays: Set<string>;
}

/** Build a calendar from `{ year, holidays: [{ from, to }], workdays: [date] }` rows (ranges inclusive). */
export function workCalendar(rows: { year: number; holidays: { from: string; to: string }[]; workdays: string[] }[]): WorkCalendar {
  const cal: WorkCalendar = { years: new Set(), holidays: new Set(), workdays: new Set() };
  for (const r of rows) {
    cal.years.add(r.year);
    for (const h of r.holidays) {
      for (let t = Date.parse(`${h.from}T00:00:00Z`); t <= Date.parse(`${h.to}T00:00:00Z`); t += 86_400_000) cal.holidays.add(new Date(t).toISOString().slice(0, 10));
    }
    for (const w of r.workdays) cal.workdays.add(w);
  }
  return cal;
}

/**
 * Whether the local day holding `ms` is a working day: an adjusted working day (调休) is, a public holiday is not,
 * otherwise Monday–Friday. `known` says whether the calendar covers that year (else weekdays only).
 */
export function isWorkingDay(ms: number, tz: string, cal?: WorkCalendar): { working: boolean; known: boolean } {
  const p = localParts(ms, tz);
  const date = dateOfParts(p);
  const weekday = p.weekday >= 1 && p.weekday <= 5;
  if (!cal || !cal.years.has(p.year)) return { working: weekday, known: false };
  if (cal.workdays.has(date)) return { working: true, known: true };
  if (cal.holidays.has(date)) return { working: false, known: true };
  return { working: weekday, known: true };
}
