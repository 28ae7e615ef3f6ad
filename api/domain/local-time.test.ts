/** The fast local-time helpers agree with core/time.ts (Intl) in a fixed-offset zone and across DST transitions. */
import { describe, expect, it } from 'vitest';
import { localParts, tzOffsetMs, zonedTime } from '../../core/time.ts';
import { localPartsOf, localTime, offsetOf } from './local-time.ts';

describe('fast local time', () => {
  for (const tz of ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'UTC']) {
    it(`matches Intl in ${tz}`, () => {
      // every 7 h 13 min over two years: hits every hour of day and both DST transitions each year
      for (let ms = Date.UTC(2024, 0, 1); ms < Date.UTC(2026, 0, 1); ms += 26_000_000) {
        expect(offsetOf(ms, tz)).toBe(tzOffsetMs(ms, tz));
        expect(localPartsOf(ms, tz)).toEqual(localParts(ms, tz));
      }
      for (const [y, m, d, h] of [[2025, 3, 30, 1], [2025, 3, 30, 3], [2025, 10, 26, 2], [2025, 3, 9, 3], [2025, 11, 2, 1], [2025, 1, 31, 0], [2024, 2, 29, 23]]) {
        expect(localTime(tz, y, m, d, h)).toBe(zonedTime(tz, y, m, d, h));
      }
    });
  }
});
