/**
 * The working calendar of Chinese public institutions: Monday–Friday, minus the statutory holidays, plus the
 * weekend days declared working days in exchange (调休). Dates from the State Council General Office notices
 * on holiday arrangements (国务院办公厅关于…年部分节假日安排的通知) for 2024, 2025 and 2026; other years fall
 * back to plain weekends.
 */

/** Statutory days off (YYYY-MM-DD), by the State Council notices. */
const HOLIDAYS: Record<number, string[]> = {
  2024: [
    '01-01', '02-10', '02-11', '02-12', '02-13', '02-14', '02-15', '02-16', '02-17', '04-04', '04-05', '04-06',
    '05-01', '05-02', '05-03', '05-04', '05-05', '06-10', '09-15', '09-16', '09-17',
    '10-01', '10-02', '10-03', '10-04', '10-05', '10-06', '10-07',
  ],
  2025: [
    '01-01', '01-28', '01-29', '01-30', '01-31', '02-01', '02-02', '02-03', '02-04', '04-04', '04-05', '04-06',
    '05-01', '05-02', '05-03', '05-04', '05-05', '05-31', '06-01', '06-02',
    '10-01', '10-02', '10-03', '10-04', '10-05', '10-06', '10-07', '10-08',
  ],
  2026: [
    '01-01', '01-02', '01-03', '02-15', '02-16', '02-17', '02-18', '02-19', '02-20', '02-21', '02-22', '02-23',
    '04-04', '04-05', '04-06', '05-01', '05-02', '05-03', '05-04', '05-05', '06-19', '06-20', '06-21',
    '09-25', '09-26', '09-27', '10-01', '10-02', '10-03', '10-04', '10-05', '10-06', '10-07',
  ],
};

/** Weekend days worked in exchange (调休上班). */
const MAKEUP_WORKDAYS: Record<number, string[]> = {
  2024: ['02-04', '02-18', '04-07', '04-28', '05-11', '09-14', '09-29', '10-12'],
  2025: ['01-26', '02-08', '04-27', '09-28', '10-11'],
  2026: ['01-04', '02-14', '02-28', '05-09', '09-20', '10-10'],
};

const holidaySet = new Set(Object.entries(HOLIDAYS).flatMap(([y, days]) => days.map((d) => `${y}-${d}`)));
const makeupSet = new Set(Object.entries(MAKEUP_WORKDAYS).flatMap(([y, days]) => days.map((d) => `${y}-${d}`)));

/** One local calendar day, as the physics needs it. */
export interface CalendarDay {
  /** days since 1970-01-01 in local time */
  index: number;
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  /** 0 = Sunday */
  weekday: number;
  /** 1–366 */
  dayOfYear: number;
  /** a day the offices are staffed */
  workday: boolean;
  holiday: boolean;
}

const DAY_MS = 86_400_000;
const cache = new Map<number, CalendarDay>();

/** The calendar day of a local day index (days since 1970-01-01 local). */
export function calendarDay(index: number): CalendarDay {
  let d = cache.get(index);
  if (d) return d;
  const date = new Date(index * DAY_MS);
  const year = date.getUTCFullYear(), month = date.getUTCMonth() + 1, day = date.getUTCDate();
  const weekday = date.getUTCDay();
  const key = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  const holiday = holidaySet.has(key);
  const weekend = weekday === 0 || weekday === 6;
  const workday = !holiday && (!weekend || makeupSet.has(key));
  const dayOfYear = Math.round((index * DAY_MS - Date.UTC(year, 0, 1)) / DAY_MS) + 1;
  d = { index, year, month, day, weekday, dayOfYear, workday, holiday };
  if (cache.size > 20_000) cache.clear();
  cache.set(index, d);
  return d;
}

/** Local time of an instant for a fixed UTC offset: its day and the hour of day (fractional). */
export function localTime(ms: number, utcOffsetMs: number): { day: CalendarDay; hour: number } {
  const local = ms + utcOffsetMs;
  const index = Math.floor(local / DAY_MS);
  return { day: calendarDay(index), hour: (local - index * DAY_MS) / 3_600_000 };
}
