/** 分类分项 breakdown against a hand-worked meter tree. */
import { describe, expect, it } from 'vitest';
import { breakdown, type TreeMeter } from './breakdown.ts';

describe('breakdown (MOHURD 2008 sub-items)', () => {
  it('attributes each branch once, lists level-2 items and shows the unmetered remainder', () => {
    // Root meters: m1 1 000 kWh and m2 200 kWh → total 1 200 kWh.
    // m1 ─ m1a 01A00 300
    //    └ m1b 01B00 400 ─ m1b1 01B10 150, m1b2 01B20 100   (already inside m1b: only level-2 detail)
    // m2 ─ m2c 01C10 50                                      (no 01C00 meter: it is the topmost → 01C00 50)
    // virtual v1 01D00 = m2 − m2c = 150
    // Level 1: 01A00 300, 01B00 400, 01C00 50, 01D00 150 → explained 900; unmetered 1 200 − 900 = 300 (25 %).
    // 01B00 children: 01B10 150, 01B20 100, 01B00-other 400 − 250 = 150. 01C00 children: 01C10 50, no remainder.
    const meters: TreeMeter[] = [
      { id: 'm1', category: '01000', total: 1000 },
      { id: 'm1a', category: '01A00', parent: 'm1', total: 300 },
      { id: 'm1b', category: '01B00', parent: 'm1', total: 400 },
      { id: 'm1b1', category: '01B10', parent: 'm1b', total: 150 },
      { id: 'm1b2', category: '01B20', parent: 'm1b', total: 100 },
      { id: 'm2', category: '01000', total: 200 },
      { id: 'm2c', category: '01C10', parent: 'm2', total: 50 },
      { id: 'v1', category: '01D00', plus: ['m2'], minus: ['m2c'] },
    ];
    const b = breakdown(meters);
    expect(b.warnings).toEqual([]);
    expect(b.total).toBe(1200);
    expect(b.items.map((i) => [i.code, i.value])).toEqual([['01A00', 300], ['01B00', 400], ['01C00', 50], ['01D00', 150]]);
    expect(b.items[1].children.map((c) => [c.code, c.value])).toEqual([['01B10', 150], ['01B20', 100], ['01B00-other', 150]]);
    expect(b.items[2].children.map((c) => [c.code, c.value])).toEqual([['01C10', 50]]);
    expect(b.unmetered.value).toBe(300);
    expect(b.unmetered.share).toBeCloseTo(0.25, 12);
    expect(b.items[1].share).toBeCloseTo(400 / 1200, 12);
    expect(b.items[0].name).toBe('照明插座用电');
  });

  it('warns about meters without data and sub-meters that exceed the total', () => {
    const b = breakdown([
      { id: 'main', category: '01000', total: 100 },
      { id: 'hvac', category: '01B00', parent: 'main', total: 150 },
      { id: 'light', category: '01A00', parent: 'main' },
    ]);
    expect(b.warnings.map((w) => w.code).sort()).toEqual(['meters_without_data', 'submeters_exceed_total']);
    expect(b.unmetered.value).toBe(-50);
  });

  it('refuses a virtual meter that re-adds sub-item meters', () => {
    const b = breakdown([
      { id: 'main', category: '01000', total: 100 },
      { id: 'hvac', category: '01B00', parent: 'main', total: 40 },
      { id: 'v', category: '01D00', plus: ['hvac'] },
    ]);
    expect(b.items.map((i) => i.code)).toEqual(['01B00']);
    expect(b.warnings.map((w) => w.code)).toEqual(['virtual_meter_double_count']);
  });
});
