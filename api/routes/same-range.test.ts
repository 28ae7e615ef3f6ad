/** 同比's period: the same local dates one year earlier, a leap day included. */
import { describe, expect, it } from 'vitest';
import { zonedTime } from '../../core/time.ts';
import { sameRangeLastYear } from './energy-kpis.ts';

const TZ = 'Asia/Shanghai';
const sh = (y: number, m: number, d: number) => zonedTime(TZ, y, m, d);

describe('sameRangeLastYear', () => {
  it('shifts local dates by a year', () => {
    expect(sameRangeLastYear(sh(2025, 3, 1), sh(2025, 4, 1), TZ)).toEqual({ from: sh(2024, 3, 1), to: sh(2024, 4, 1) });
  });

  it('compares 29 February 2024 with 28 February 2023, not with an empty range at 1 March', () => {
    expect(sameRangeLastYear(sh(2024, 2, 29), sh(2024, 3, 1), TZ)).toEqual({ from: sh(2023, 2, 28), to: sh(2023, 3, 1) });
    // a range ending (exclusive) on the leap day runs through 28 February: all of February 2023 a year before
    expect(sameRangeLastYear(sh(2024, 2, 1), sh(2024, 2, 29), TZ)).toEqual({ from: sh(2023, 2, 1), to: sh(2023, 3, 1) });
  });
});
