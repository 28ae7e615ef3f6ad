/** Day programmes from the holiday data, optimum start against hand-worked figures, the missing-year fallback. */
import { describe, expect, it } from 'vitest';
import { loadReferenceData } from '../api/reference.ts';
import { dayProgramme, holidayCalendar, occupancyAt, optimumLeadMin, transitions } from './programme.ts';
import type { Schedule } from './schema.ts';

const cal = holidayCalendar(loadReferenceData().holidays);
const TZ = 'Asia/Shanghai';
const at = (local: string) => Date.parse(`${local}+08:00`);
const office: Schedule = {
  id: 'o', name: '办公', building: 'b', targets: [{ device: 'd', point: 'p_c', occupied: 1, unoccupied: 'release' }],
  week: { mon: [{ from: '08:00', to: '18:00' }], tue: [{ from: '08:00', to: '18:00' }], wed: [{ from: '08:00', to: '18:00' }], thu: [{ from: '08:00', to: '18:00' }], fri: [{ from: '08:00', to: '17:00' }] },
  holiday: [], adjusted_workday: 'fri',
  exceptions: [{ date: '2025-10-10', periods: [{ from: '08:00', to: '12:00' }], note: '下午停电检修' }],
};

describe('day programmes', () => {
  it('follow holidays, 调休 days (as the configured weekday), exceptions and weekdays', () => {
    expect(dayProgramme(office, at('2025-10-01T12:00'), TZ, cal)).toMatchObject({ kind: 'holiday', periods: [] });
    expect(dayProgramme(office, at('2025-10-11T12:00'), TZ, cal)).toMatchObject({ kind: 'adjusted', periods: [{ from: '08:00', to: '17:00' }] });
    expect(dayProgramme(office, at('2025-10-10T12:00'), TZ, cal)).toMatchObject({ kind: 'exception', periods: [{ from: '08:00', to: '12:00' }] });
    expect(dayProgramme(office, at('2025-10-12T12:00'), TZ, cal)).toMatchObject({ kind: 'sun', periods: [], calendar_known: true });
    expect(dayProgramme(office, at('2025-10-09T00:00'), TZ, cal)).toMatchObject({ date: '2025-10-09', kind: 'thu' });
  });

  it('fall back to Monday–Friday weeks for a year without data, saying so', () => {
    // 2030-10-01 is a Tuesday: without the year's notice it is an ordinary working day
    expect(dayProgramme(office, at('2030-10-01T09:00'), TZ, cal)).toMatchObject({ kind: 'tue', calendar_known: false });
    expect(occupancyAt(office, at('2030-10-01T09:00'), TZ, cal).occupied).toBe(true);
  });

  it('lists the occupancy changes of a range', () => {
    expect(transitions(office, at('2025-10-08T00:00'), at('2025-10-12T00:00'), TZ, cal).map((t) => [new Date(t.at).toISOString(), t.occupied])).toEqual([
      ['2025-10-09T00:00:00.000Z', true], ['2025-10-09T10:00:00.000Z', false],
      ['2025-10-10T00:00:00.000Z', true], ['2025-10-10T04:00:00.000Z', false],
      ['2025-10-11T00:00:00.000Z', true], ['2025-10-11T09:00:00.000Z', false],
    ]);
  });
});

describe('optimum start', () => {
  const o = { outdoor: 'd/t_c', cooling_balance_c: 24, heating_balance_c: 14, min_per_k: 6, max_lead_min: 90 };
  it('leads by 6 min per kelvin beyond the balance temperatures, capped', () => {
    expect(optimumLeadMin(o, 20)).toBe(0); // mild: no lead
    expect(optimumLeadMin(o, 31.5)).toBe(45); // (31.5 − 24) × 6
    expect(optimumLeadMin(o, 4)).toBe(60); // (14 − 4) × 6
    expect(optimumLeadMin(o, -5)).toBe(90); // 114 capped at 90
    expect(optimumLeadMin(o, undefined)).toBe(0);
  });
  it('starts the occupied values that much earlier, also for a day that starts at midnight', () => {
    const s = { ...office, optimum_start: o };
    expect(occupancyAt(s, at('2025-10-09T07:20'), TZ, cal, 31.5)).toMatchObject({ occupied: true, lead_min: 45 });
    expect(occupancyAt(s, at('2025-10-09T07:10'), TZ, cal, 31.5).occupied).toBe(false);
    expect(occupancyAt(s, at('2025-10-09T07:10'), TZ, cal, 20).occupied).toBe(false);
    const night = { ...s, exceptions: [], week: { ...s.week, fri: [{ from: '00:30', to: '06:00' }] } };
    expect(occupancyAt(night, at('2025-10-09T23:50'), TZ, cal, 31.5).occupied).toBe(true);
  });
});
