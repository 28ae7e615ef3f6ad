/** Calendar grouping in Asia/Shanghai (UTC+8): local midnight is 16:00 UTC of the previous day. */
import { describe, expect, it } from 'vitest';
import { zonedTime } from '../../core/time.ts';
import { daysInYear, isWeekday, periodsIn, sumByPeriod } from './calendar.ts';

const TZ = 'Asia/Shanghai';

describe('calendar', () => {
  it('groups daily rows into local months, counting days with data', () => {
    // Rows at local midnights 2025-01-30, 01-31, 02-01 (= 2025-01-31T16:00Z): 10 + 20 → January, 5 → February.
    const rows = [
      { time: zonedTime(TZ, 2025, 1, 30), value: 10 },
      { time: zonedTime(TZ, 2025, 1, 31), value: 20 },
      { time: zonedTime(TZ, 2025, 2, 1), value: 5 },
    ];
    expect(new Date(rows[2].time).toISOString()).toBe('2025-01-31T16:00:00.000Z');
    const months = sumByPeriod(rows, zonedTime(TZ, 2025, 1, 1), zonedTime(TZ, 2025, 3, 1), TZ, 'month');
    expect(months.map((m) => [m.value, m.days_with_data, m.days])).toEqual([[30, 2, 31], [5, 1, 28]]);
  });

  it('clips periods to the range and knows leap years', () => {
    const p = periodsIn(zonedTime(TZ, 2024, 2, 15), zonedTime(TZ, 2024, 4, 1), TZ, 'month');
    expect(p.map((x) => (x.end - x.start) / 86_400_000)).toEqual([15, 31]);
    expect(daysInYear(zonedTime(TZ, 2024, 6, 1), TZ)).toBe(366);
    // 2025-03-01 was a Saturday, 03-03 a Monday
    expect(isWeekday(zonedTime(TZ, 2025, 3, 1, 12), TZ)).toBe(false);
    expect(isWeekday(zonedTime(TZ, 2025, 3, 3, 12), TZ)).toBe(true);
  });
});

describe('working days', () => {
  it('follows the holiday notice where the calendar covers the year', async () => {
    const { loadReferenceData } = await import('../reference.ts');
    const { isWorkingDay, workCalendar } = await import('./calendar.ts');
    const cal = workCalendar(loadReferenceData().holidays.years);
    const at = (y: number, m: number, d: number) => zonedTime(TZ, y, m, d, 12);
    // 2025-01-28 (Tuesday) is in the Spring Festival holiday; 2025-01-26 (Sunday) is an adjusted working day
    expect(isWorkingDay(at(2025, 1, 28), TZ, cal)).toEqual({ working: false, known: true });
    expect(isWorkingDay(at(2025, 1, 26), TZ, cal)).toEqual({ working: true, known: true });
    expect(isWorkingDay(at(2025, 3, 3), TZ, cal)).toEqual({ working: true, known: true });
    expect(isWorkingDay(at(2025, 3, 1), TZ, cal)).toEqual({ working: false, known: true });
    // 2030 is not in the data: Monday–Friday, and it says so
    expect(isWorkingDay(at(2030, 1, 1), TZ, cal)).toEqual({ working: true, known: false });
  });
});
