/**
 * Local calendar time (core/time.ts). Expected instants are written out by hand from the zones' published rules
 * (Asia/Shanghai UTC+8 all year, no daylight saving since 1991; Europe/Berlin CET/CEST switching at 01:00 UTC on
 * the last Sundays of March and October; America/New_York switching at 02:00 local on the second Sunday of March
 * and the first Sunday of November), not computed by the module under test.
 */
import { describe, expect, it } from 'vitest';
import { LocalDays, localDay, localParts, startOfLocalDay, tzOffsetMs, zonedTime } from './time.ts';

const H = 3_600_000;
const utc = (s: string) => Date.parse(`${s}Z`);

describe('local days in Asia/Shanghai (no daylight saving)', () => {
  const tz = 'Asia/Shanghai';
  it('a day starts at 16:00 UTC the day before and lasts 24 h, all year', () => {
    for (const [instant, start] of [
      ['2025-01-01T15:59:59', '2024-12-31T16:00:00'],
      ['2025-01-01T16:00:00', '2025-01-01T16:00:00'],
      ['2025-03-30T12:00:00', '2025-03-29T16:00:00'],
      ['2025-07-01T00:00:00', '2025-06-30T16:00:00'],
      ['2024-02-28T17:00:00', '2024-02-28T16:00:00'],
    ]) {
      expect(localDay(utc(instant), tz)).toEqual([utc(start), utc(start) + 24 * H]);
    }
  });
  it('offset, wall-clock fields and local midnight', () => {
    expect(tzOffsetMs(utc('2025-07-01T00:00:00'), tz)).toBe(8 * H);
    expect(localParts(utc('2024-02-29T16:30:05'), tz)).toEqual({ year: 2024, month: 3, day: 1, hour: 0, minute: 30, second: 5, weekday: 5 });
    expect(zonedTime(tz, 2025, 1, 1)).toBe(utc('2024-12-31T16:00:00'));
    expect(zonedTime(tz, 2025, 2, 29)).toBe(utc('2025-02-28T16:00:00')); // overflow: 29 Feb 2025 is 1 Mar
    expect(zonedTime(tz, 2025, 13, 1)).toBe(utc('2025-12-31T16:00:00'));
  });
});

describe('local days in Europe/Berlin (daylight saving)', () => {
  const tz = 'Europe/Berlin';
  it('the spring day has 23 h, the autumn day 25 h, their neighbours 24 h', () => {
    expect(localDay(utc('2025-03-29T12:00:00'), tz)).toEqual([utc('2025-03-28T23:00:00'), utc('2025-03-29T23:00:00')]);
    expect(localDay(utc('2025-03-30T12:00:00'), tz)).toEqual([utc('2025-03-29T23:00:00'), utc('2025-03-30T22:00:00')]);
    expect(localDay(utc('2025-03-31T12:00:00'), tz)).toEqual([utc('2025-03-30T22:00:00'), utc('2025-03-31T22:00:00')]);
    expect(localDay(utc('2025-10-26T12:00:00'), tz)).toEqual([utc('2025-10-25T22:00:00'), utc('2025-10-26T23:00:00')]);
    expect(localDay(utc('2025-10-27T00:30:00'), tz)).toEqual([utc('2025-10-26T23:00:00'), utc('2025-10-27T23:00:00')]);
  });
  it('offsets and wall clock on each side of the transitions', () => {
    expect(tzOffsetMs(utc('2025-03-30T00:59:59'), tz)).toBe(1 * H);
    expect(tzOffsetMs(utc('2025-03-30T01:00:00'), tz)).toBe(2 * H);
    expect(tzOffsetMs(utc('2025-10-26T00:59:59'), tz)).toBe(2 * H);
    expect(tzOffsetMs(utc('2025-10-26T01:00:00'), tz)).toBe(1 * H);
    expect(localParts(utc('2025-03-30T01:00:00'), tz)).toMatchObject({ day: 30, hour: 3, minute: 0, weekday: 0 });
    expect(localParts(utc('2025-10-26T00:30:00'), tz)).toMatchObject({ hour: 2, minute: 30 });
    expect(localParts(utc('2025-10-26T01:30:00'), tz)).toMatchObject({ hour: 2, minute: 30 });
    expect(zonedTime(tz, 2025, 3, 30, 4)).toBe(utc('2025-03-30T02:00:00'));
    expect(zonedTime(tz, 2025, 10, 26, 4)).toBe(utc('2025-10-26T03:00:00'));
  });
  it('every instant of a transition week lies in the day that holds it', () => {
    for (let ms = utc('2025-10-22T00:00:00'); ms < utc('2025-11-02T00:00:00'); ms += 7 * 60_000) {
      const [start, end] = localDay(ms, tz);
      expect(ms >= start && ms < end).toBe(true);
      expect(localParts(start, tz)).toMatchObject({ hour: 0, minute: 0, second: 0 });
      expect(startOfLocalDay(end, tz)).toBe(end);
    }
  });
});

describe('local days in America/New_York (daylight saving, west of UTC)', () => {
  const tz = 'America/New_York';
  it('23 h on 9 March 2025, 25 h on 2 November 2025', () => {
    expect(localDay(utc('2025-03-09T12:00:00'), tz)).toEqual([utc('2025-03-09T05:00:00'), utc('2025-03-10T04:00:00')]);
    expect(localDay(utc('2025-11-02T12:00:00'), tz)).toEqual([utc('2025-11-02T04:00:00'), utc('2025-11-03T05:00:00')]);
    expect(localDay(utc('2025-11-03T04:59:00'), tz)).toEqual([utc('2025-11-02T04:00:00'), utc('2025-11-03T05:00:00')]);
  });
});

describe('LocalDays', () => {
  it('gives the same days as localDay, in any order of instants, across a DST change', () => {
    const days = new LocalDays('Europe/Berlin');
    const instants = [utc('2025-03-30T12:00:00'), utc('2025-03-28T12:00:00'), utc('2025-03-30T21:59:59'), utc('2025-03-30T22:00:00'), utc('2025-03-29T23:00:00')];
    for (const ms of [...instants, ...instants.reverse()]) expect(days.dayOf(ms)).toEqual(localDay(ms, 'Europe/Berlin'));
    expect(days.dayOf(utc('2025-03-30T21:59:59'))).toEqual([utc('2025-03-29T23:00:00'), utc('2025-03-30T22:00:00')]);
  });
});

describe('wall-clock fields agree with Intl', () => {
  for (const tz of ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'UTC']) {
    it(tz, () => {
      const f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
      // every 7 h 13 min over two years: every hour of day and both transitions of each year
      for (let ms = Date.UTC(2024, 0, 1); ms < Date.UTC(2026, 0, 1); ms += 26_000_000) {
        const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, Number(x.value)]));
        expect(localParts(ms, tz)).toMatchObject({ year: p.year, month: p.month, day: p.day, hour: p.hour, minute: p.minute, second: p.second });
      }
    });
  }
});
