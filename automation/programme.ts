/**
 * What a schedule asks for at an instant (pure functions): which programme the local day follows — an exception
 * for its date, a public holiday, an adjusted working day (调休), else its weekday — from the dated holiday data
 * (config/reference/holidays.yaml, through api/domain/calendar.ts), and whether the instant is occupied, with the
 * optimum-start lead (docs/automation.md gives the formula).
 */
import { workCalendar, type WorkCalendar } from '../api/domain/calendar.ts';
import type { HolidaysFile } from '../api/reference.ts';
import { localParts, zonedTime } from '../core/time.ts';
import { WEEKDAYS, type OptimumStart, type Period, type Schedule, type Weekday } from './schema.ts';

/** Which programme a local day follows, and why. */
export interface DayProgramme {
  /** local date YYYY-MM-DD */
  date: string;
  /** exception, holiday (法定节假日), adjusted (调休 working day), or the weekday */
  kind: 'exception' | 'holiday' | 'adjusted' | Weekday;
  periods: Period[];
  /** false: the holiday data does not cover the year — weekdays only (a warning is due) */
  calendar_known: boolean;
}

/** The holiday calendar from the reference file's years. */
export function holidayCalendar(file: HolidaysFile): WorkCalendar {
  return workCalendar(file.years);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The programme of the local day holding `ms`. */
export function dayProgramme(s: Schedule, ms: number, tz: string, cal: WorkCalendar): DayProgramme {
  const p = localParts(ms, tz);
  const date = `${p.year}-${pad(p.month)}-${pad(p.day)}`;
  const weekday = WEEKDAYS[(p.weekday + 6) % 7]; // localParts: 0 = Sunday
  const known = cal.years.has(p.year);
  const exception = s.exceptions?.find((e) => e.date === date);
  if (exception) return { date, kind: 'exception', periods: exception.periods, calendar_known: known };
  if (known && cal.holidays.has(date)) return { date, kind: 'holiday', periods: s.holiday ?? [], calendar_known: true };
  if (known && cal.workdays.has(date)) {
    return { date, kind: 'adjusted', periods: s.week[s.adjusted_workday ?? 'mon'] ?? [], calendar_known: true };
  }
  return { date, kind: weekday, periods: s.week[weekday] ?? [], calendar_known: known };
}

/**
 * Optimum-start lead in minutes: lead = min(max_lead, min_per_k × ΔT), ΔT the kelvins the outdoor temperature lies
 * above the cooling or below the heating balance temperature (0 in between); 0 without a reading.
 */
export function optimumLeadMin(o: OptimumStart, outdoorC: number | undefined): number {
  if (outdoorC === undefined || !Number.isFinite(outdoorC)) return 0;
  const dT = Math.max(0, outdoorC - (o.cooling_balance_c ?? 24), (o.heating_balance_c ?? 14) - outdoorC);
  return Math.min(o.max_lead_min ?? 90, (o.min_per_k ?? 6) * dT);
}

/** Whether the schedule is occupied at `ms`, and since/until when (local periods as UTC ms). */
export interface Occupancy {
  occupied: boolean;
  day: DayProgramme;
  /** the optimum-start lead applied to the next start, minutes */
  lead_min: number;
}

/**
 * Occupied when `ms` lies in a period of its day, or within the optimum-start lead before a period's start
 * (today's, or tomorrow's first when it begins just after midnight).
 */
export function occupancyAt(s: Schedule, ms: number, tz: string, cal: WorkCalendar, outdoorC?: number): Occupancy {
  const day = dayProgramme(s, ms, tz, cal);
  const lead = s.optimum_start ? optimumLeadMin(s.optimum_start, outdoorC) : 0;
  const [y, m, d] = day.date.split('-').map(Number);
  const at = (clock: string, plusDays = 0) => zonedTime(tz, y, m, d + plusDays, Number(clock.slice(0, 2)), Number(clock.slice(3, 5)));
  const inside = day.periods.some((p) => ms >= at(p.from) - lead * 60_000 && ms < at(p.to));
  if (inside || lead === 0) return { occupied: inside, day, lead_min: lead };
  const tomorrow = dayProgramme(s, at('00:00', 1), tz, cal);
  const first = tomorrow.periods[0];
  const early = first !== undefined && ms >= at(first.from, 1) - lead * 60_000;
  return { occupied: early, day, lead_min: lead };
}

/** The instants (UTC ms) in [from, to) at which the schedule's occupancy may change without optimum start. */
export function transitions(s: Schedule, from: number, to: number, tz: string, cal: WorkCalendar): { at: number; occupied: boolean }[] {
  const out: { at: number; occupied: boolean }[] = [];
  for (let t = from; t < to; t = nextDay(t, tz)) {
    const day = dayProgramme(s, t, tz, cal);
    const [y, m, d] = day.date.split('-').map(Number);
    for (const p of day.periods) {
      const start = zonedTime(tz, y, m, d, Number(p.from.slice(0, 2)), Number(p.from.slice(3, 5)));
      const end = zonedTime(tz, y, m, d, Number(p.to.slice(0, 2)), Number(p.to.slice(3, 5)));
      if (start >= from && start < to) out.push({ at: start, occupied: true });
      if (end >= from && end < to) out.push({ at: end, occupied: false });
    }
  }
  return out;
}

function nextDay(ms: number, tz: string): number {
  const p = localParts(ms, tz);
  return zonedTime(tz, p.year, p.month, p.day + 1);
}
