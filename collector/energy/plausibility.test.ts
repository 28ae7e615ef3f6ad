/**
 * Counter plausibility (issue 12.3): a meter's maximum power bounds what an interval can hold; a phantom jump
 * is not counted, a spike that returns to the old track is a glitch, and a genuine reset and roll-over still
 * count. Readings every minute on a 288 kW meter: the bound per minute is 288 kW × 2 (margin) × 1/60 h = 9.6 kWh.
 */
import { describe, expect, it } from 'vitest';
import { plausibleQuantity, segmentQuantity, type CounterRules } from './counter.ts';
import { MeterEnergy, roundQuantity, type ReadingOutcome } from './meter-energy.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 0, 0);
const rules = (over: Partial<CounterRules> = {}): CounterRules => ({ replacements: [], gap_ms: 15 * MIN, max_rate_per_h: 288, ...over });

/** Feed [minute, value] readings; returns each reading's outcome. */
function feed(m: MeterEnergy, rows: [number, number][]): ReadingOutcome[] {
  const touched = new Set<number>();
  return rows.map(([minute, value]) => m.add({ ts: T0 + minute * MIN, value }, touched));
}
function sum(m: MeterEnergy): number {
  let q = 0;
  for (const t of m.intervals.values()) q += t.quantity;
  return roundQuantity(q);
}

describe('plausibility bound', () => {
  it('is max power × 2 × elapsed hours, and at least one minute\'s worth', () => {
    expect(plausibleQuantity(MIN, rules())).toBeCloseTo(9.6, 9);
    expect(plausibleQuantity(15 * MIN, rules())).toBeCloseTo(144, 9);
    expect(plausibleQuantity(1000, rules())).toBeCloseTo(9.6, 9); // a 1 s segment is bounded like a 1 min one
    expect(plausibleQuantity(MIN, rules({ max_rate_per_h: undefined }))).toBe(Infinity);
  });

  it('flags a segment beyond the bound implausible and counts 0 of it', () => {
    const seg = segmentQuantity({ ts: T0, value: 1000 }, { ts: T0 + MIN, value: 1_001_000 }, rules());
    expect(seg).toEqual({ quantity: 0, kind: 'implausible', estimated: true, claimed: 1_000_000 });
  });

  it('reads a wrap that would count too much as a plausible reset instead', () => {
    // wrap 100 000: 60 000 → 3 would be a 40 003 kWh roll-over in a minute; a reset to zero (3 kWh) is plausible
    expect(segmentQuantity({ ts: T0, value: 60_000 }, { ts: T0 + MIN, value: 3 }, rules({ rollover: 100_000 })))
      .toEqual({ quantity: 3, kind: 'reset', estimated: true });
  });
});

describe('meter energy with a plausibility bound', () => {
  it('adds 0 kWh for a +1 GWh jump, and the real reading after it is no reset', () => {
    const m = new MeterEnergy(rules(), 6 * 3_600_000);
    // 288 kW for 3 min: 4.8 kWh per minute; the third poll reads +1 000 000 kWh, the fourth is back on track
    const outcomes = feed(m, [[0, 1000], [1, 1004.8], [2, 1_001_009.6], [3, 1014.4]]);
    expect(outcomes).toEqual(['first', 'appended', 'implausible', 'glitch_ended']);
    expect(sum(m)).toBe(14.4); // exactly the real counter advance
    expect([...m.intervals.values()].every((t) => t.estimated === 0)).toBe(true);
    expect(m.suspects).toEqual([]);
  });

  it('treats a spike down to near zero that returns to the old track as a glitch, not a reset', () => {
    const m = new MeterEnergy(rules(), 6 * 3_600_000);
    // 1004.8 → 0.3 looks like a reset (0.3 kWh is plausible), but 1014.4 a minute later is the old track again
    const outcomes = feed(m, [[0, 1000], [1, 1004.8], [2, 0.3], [3, 1014.4]]);
    expect(outcomes).toEqual(['first', 'appended', 'reset_held', 'glitch_ended']);
    expect(sum(m)).toBe(14.4);
    expect([...m.intervals.values()].every((t) => t.estimated === 0)).toBe(true);
  });

  it('still counts a genuine reset: the reading after the drop continues from it', () => {
    const m = new MeterEnergy(rules(), 6 * 3_600_000);
    // 50 000 → 0.5 (reset, held) → 5.3: 0.5 since zero (estimated) + 4.8
    const outcomes = feed(m, [[0, 49_995.2], [1, 50_000], [2, 0.5], [3, 5.3]]);
    expect(outcomes).toEqual(['first', 'appended', 'reset_held', 'reset']);
    expect(sum(m)).toBe(4.8 + 0.5 + 4.8);
    expect(m.intervals.get(T0)!.estimated).toBeGreaterThan(0);
  });

  it('still counts a genuine roll-over', () => {
    const m = new MeterEnergy(rules({ rollover: 100_000 }), 6 * 3_600_000);
    // 99 998 → 2.8 across the wrap: 2 + 2.8 = 4.8 kWh, measured
    expect(feed(m, [[0, 99_998], [1, 2.8], [2, 7.6]])).toEqual(['first', 'rollover', 'appended']);
    expect(sum(m)).toBe(9.6);
    expect(m.intervals.get(T0)!.estimated).toBe(0);
  });

  it('accepts a lasting new track after the gap threshold, counting the jump itself as 0 (estimated)', () => {
    const m = new MeterEnergy(rules(), 6 * 3_600_000);
    // an unconfigured meter swap at 00:02: the new register reads 2 000 000 and then advances 1 kWh per minute
    const rows: [number, number][] = [[0, 1000], [1, 1001]];
    for (let k = 2; k <= 20; k++) rows.push([k, 2_000_000 + (k - 2)]);
    const outcomes = feed(m, rows);
    // held from 00:02 until the held readings span 15 min (00:02 … 00:17): then all of them are accepted
    expect(outcomes.slice(2, 17)).toEqual(Array(15).fill('implausible'));
    expect(outcomes[17]).toBe('new_track');
    expect(outcomes.slice(18)).toEqual(['appended', 'appended', 'appended']);
    expect(sum(m)).toBe(1 + 0 + 18); // before the swap, the jump (0), 00:02 → 00:20 on the new register
    expect(m.intervals.get(T0)!.estimated).toBeGreaterThan(0);
  });

  it('takes a redelivered held reading as a duplicate: it neither restarts nor advances the hold', () => {
    const m = new MeterEnergy(rules(), 6 * 3_600_000);
    expect(feed(m, [[0, 1000], [1, 5_000_000], [1, 5_000_000], [2, 1009.6]])).toEqual(['first', 'implausible', 'duplicate', 'glitch_ended']);
    expect(sum(m)).toBe(9.6);
  });

  it('refuses a late reading that would add an implausible segment', () => {
    const m = new MeterEnergy(rules(), 6 * 3_600_000);
    feed(m, [[0, 1000], [2, 1009.6]]);
    expect(feed(m, [[1, 5_000_000]])).toEqual(['implausible']);
    expect(sum(m)).toBe(9.6);
    expect(feed(m, [[1, 1004.8]])).toEqual(['inserted']);
    expect(sum(m)).toBe(9.6);
  });
});
