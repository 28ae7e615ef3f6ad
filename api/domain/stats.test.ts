/** Hand-worked examples of the alert KPI formulas (docs/formulas.md, "Alert KPIs"). */
import { describe, expect, it } from 'vitest';
import { demandKw, meanPowerKw, median } from './stats.ts';

describe('alert KPI formulas', () => {
  it('median: the middle value, or the mean of the two middle values; null when empty', () => {
    expect(median([1140, 100, 1140, 1140])).toBe(1140);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNull();
  });

  it('mean power of hours: Σ kWh / n hours (base load)', () => {
    expect(meanPowerKw([40, 40, 40, 40, 40, 40, 40, 30])).toBe(38.75);
    expect(meanPowerKw([])).toBeNull();
  });

  it('15-minute demand: 4 × the interval energy', () => {
    expect(demandKw(125)).toBe(500);
  });
});
