/**
 * Interval energy of one meter: every rule with a hand-computed expectation (the working is in the comments).
 * Intervals are 15 min, aligned to the UTC epoch; T0 is one such boundary.
 */
import { describe, expect, it } from 'vitest';
import { LocalDays, zonedTime } from '../../core/time.ts';
import { apportion } from './apportion.ts';
import { segmentQuantity, type CounterRules } from './counter.ts';
import { MeterEnergy, roundQuantity } from './meter-energy.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 0, 0); // Monday 00:00 UTC, on the 15-minute grid
const rules = (over: Partial<CounterRules> = {}): CounterRules => ({ replacements: [], gap_ms: 15 * MIN, ...over });

function meter(over: Partial<CounterRules> = {}, horizon_ms = 6 * 3_600_000): MeterEnergy {
  return new MeterEnergy(rules(over), horizon_ms);
}
function feed(m: MeterEnergy, rows: [minute: number, value: number][]): Set<number> {
  const touched = new Set<number>();
  for (const [minute, value] of rows) m.add({ ts: T0 + minute * MIN, value }, touched);
  return touched;
}
/** interval totals by minute offset of the interval start, rounded like storage */
function totals(m: MeterEnergy): Record<number, [number, boolean]> {
  const out: Record<number, [number, boolean]> = {};
  for (const [start, t] of [...m.intervals].sort((a, b) => a[0] - b[0])) {
    out[(start - T0) / MIN] = [roundQuantity(t.quantity), t.estimated > 0];
  }
  return out;
}

describe('apportion', () => {
  it('splits linearly by time across epoch-aligned intervals', () => {
    // 10 kWh from 00:10 to 00:30: 5 min of 20 in [00:00,00:15) → 2.5, 15 of 20 in [00:15,00:30) → 7.5
    const got: [number, number][] = [];
    apportion(T0 + 10 * MIN, T0 + 30 * MIN, 10, 15 * MIN, (s, q) => got.push([(s - T0) / MIN, q]));
    expect(got).toEqual([[0, 2.5], [15, 7.5]]);
  });
});

describe('segment quantity', () => {
  const a = { ts: T0, value: 999 };
  it('a normal advance is the difference', () => {
    expect(segmentQuantity(a, { ts: T0 + MIN, value: 1001.5 }, rules())).toEqual({ quantity: 2.5, kind: 'advance', estimated: false });
  });
  it('a wrap past the register maximum counts through it (RFC 1982 half-range rule)', () => {
    // rollover 1000: 999 → 3 is 1 to the top plus 3 after zero = 4 kWh
    expect(segmentQuantity(a, { ts: T0 + MIN, value: 3 }, rules({ rollover: 1000 }))).toEqual({ quantity: 4, kind: 'rollover', estimated: false });
  });
  it('a drop far from the top is a reset, even with a known maximum', () => {
    // 500 → 3 with rollover 1000: wrapped distance 503 is over half the range, so reset: 3 kWh since zero, estimated
    expect(segmentQuantity({ ts: T0, value: 500 }, { ts: T0 + MIN, value: 3 }, rules({ rollover: 1000 })))
      .toEqual({ quantity: 3, kind: 'reset', estimated: true });
  });
});

describe('meter energy', () => {
  it('apportions each segment to the 15-minute intervals by time', () => {
    const m = meter();
    // 100 @00:00, 103 @00:10, 106 @00:20
    // [00:00,00:15): 3 (first segment) + 3 × 5/10 = 4.5;  [00:15,00:30): 3 × 5/10 = 1.5
    feed(m, [[0, 100], [10, 103], [20, 106]]);
    expect(totals(m)).toEqual({ 0: [4.5, false], 15: [1.5, false] });
  });

  it('counts a reset to zero from zero, flagged estimated, never a negative spike', () => {
    const m = meter();
    // 100 @00:00 → 102 @00:05: +2; → 1 @00:10: reset, 1 kWh since zero (estimated); → 3 @00:20: +2, half
    // of it before 00:15. Interval 00:00 = 2 + 1 + 1 = 4 (estimated); interval 00:15 = 1
    feed(m, [[0, 100], [5, 102], [10, 1], [20, 3]]);
    expect(totals(m)).toEqual({ 0: [4, true], 15: [1, false] });
  });

  it('treats a hair-thin drop as read noise, not a reset', () => {
    const m = meter();
    // 1000 → 999.9 (0.01 % lower: noise, ignored) → 1003: 3 kWh, not 999.9 + 3.1
    const touched = new Set<number>();
    m.add({ ts: T0, value: 1000 }, touched);
    expect(m.add({ ts: T0 + 5 * MIN, value: 999.9 }, touched)).toBe('jitter');
    m.add({ ts: T0 + 10 * MIN, value: 1003 }, touched);
    expect(totals(m)).toEqual({ 0: [3, false] });
  });

  it('counts through a register roll-over', () => {
    const m = meter({ rollover: 100_000 });
    // 99 998 → 1 with rollover 100 000: 2 + 1 = 3 kWh, measured (not estimated)
    feed(m, [[0, 99_998], [10, 1]]);
    expect(totals(m)).toEqual({ 0: [3, false] });
  });

  it('bridges a meter replacement with the configured final and initial readings', () => {
    // old meter 5000 @00:00; swapped at 00:05 (old final 5002, new initial 0); new meter 1.5 @00:10
    // energy 00:00→00:10 = (5002 − 5000) + (1.5 − 0) = 3.5
    const m = meter({ replacements: [{ at_ms: T0 + 5 * MIN, old_final: 5002, new_initial: 0 }] });
    feed(m, [[0, 5000], [10, 1.5], [14, 2.5]]);
    expect(totals(m)).toEqual({ 0: [4.5, false] }); // 3.5 + (2.5 − 1.5)
  });

  it('spreads the energy across a gap over the missing intervals, flagged estimated', () => {
    const m = meter();
    // 100 @00:10, then nothing until 130 @01:10: 30 kWh over 60 min = 0.5 kWh/min
    // [00:00) 5 min → 2.5; [00:15) [00:30) [00:45) 15 min each → 7.5; [01:00) 10 min → 5; Σ 30
    feed(m, [[10, 100], [70, 130]]);
    expect(totals(m)).toEqual({ 0: [2.5, true], 15: [7.5, true], 30: [7.5, true], 45: [7.5, true], 60: [5, true] });
  });

  it('ignores a duplicate reading', () => {
    const m = meter();
    feed(m, [[0, 100], [10, 103]]);
    const touched = new Set<number>();
    expect(m.add({ ts: T0 + 10 * MIN, value: 103 }, touched)).toBe('duplicate');
    expect(touched.size).toBe(0);
    expect(totals(m)).toEqual({ 0: [3, false] });
  });

  it('re-splits the gap when the late readings arrive, clearing the estimate', () => {
    const m = meter();
    // 100 @00:00, 112 @01:00: gap, 3 kWh per interval, estimated
    feed(m, [[0, 100], [60, 112]]);
    expect(totals(m)).toEqual({ 0: [3, true], 15: [3, true], 30: [3, true], 45: [3, true] });
    // late 106 @00:15: [00:00) gets 6 measured; 00:15→01:00 is still a 45-min gap: 6 kWh, 2 per interval, estimated
    const touched = feed(m, [[15, 106]]);
    expect([...touched].map((s) => (s - T0) / MIN).sort((a, b) => a - b)).toEqual([0, 15, 30, 45]);
    expect(totals(m)).toEqual({ 0: [6, false], 15: [2, true], 30: [2, true], 45: [2, true] });
    // the rest of the backlog: 108 @00:30, 111 @00:45 → 2, 3, 1 kWh, all measured
    feed(m, [[45, 111], [30, 108]]);
    expect(totals(m)).toEqual({ 0: [6, false], 15: [2, false], 30: [3, false], 45: [1, false] });
  });

  it('places an out-of-order reading before the first one while nothing was settled', () => {
    const m = meter({ gap_ms: 30 * MIN });
    // 106 @00:20 arrives before 100 @00:00: 6 kWh over 20 min → [00:00) 15/20 × 6 = 4.5, [00:15) 5/20 × 6 = 1.5
    feed(m, [[20, 106], [0, 100]]);
    expect(totals(m)).toEqual({ 0: [4.5, false], 15: [1.5, false] });
  });

  it('leaves settled energy alone for a reading older than the recompute horizon', () => {
    const m = meter({}, 60 * MIN);
    feed(m, Array.from({ length: 19 }, (_, i) => [i * 10, 100 + i] as [number, number])); // 00:00 … 03:00, +1 per 10 min
    const before = totals(m);
    expect(m.add({ ts: T0 + 5 * MIN, value: 100.5 }, new Set())).toBe('beyond_horizon');
    expect(totals(m)).toEqual(before);
    // kept: the readings of the last hour plus the one anchoring the first segment
    expect((m.oldestTs()! - T0) / MIN).toBe(110);
  });

  it('sums a calendar day in the site time zone (Asia/Shanghai midnight is 16:00 UTC)', () => {
    const days = new LocalDays('Asia/Shanghai');
    const m = new MeterEnergy(rules(), 6 * 3_600_000, undefined, (ms) => days.dayOf(ms)[0]);
    const midnight = zonedTime('Asia/Shanghai', 2026, 1, 6); // 2026-01-05T16:00Z
    expect(midnight).toBe(Date.UTC(2026, 0, 5, 16));
    const touched = new Set<number>();
    // 100 @15:50Z, 106 @16:10Z: 6 kWh over 20 min → 3 on 5 January (local), 3 on 6 January (local)
    m.add({ ts: midnight - 10 * MIN, value: 100 }, touched);
    m.add({ ts: midnight + 10 * MIN, value: 106 }, touched);
    expect(m.dayTotal(midnight - 86_400_000).quantity).toBeCloseTo(3, 9);
    expect(m.dayTotal(midnight).quantity).toBeCloseTo(3, 9);
  });

  it('keeps each local day\'s total with its intervals: late readings, pruning and a restore', () => {
    const days = new LocalDays('Asia/Shanghai');
    const dayStart = (ms: number) => days.dayOf(ms)[0];
    const m = new MeterEnergy(rules(), 6 * 3_600_000, undefined, dayStart);
    const midnight = zonedTime('Asia/Shanghai', 2026, 1, 6); // 16:00Z
    const touched = new Set<number>();
    // 100 @15:50Z, 106 @16:10Z, then 103 @16:00Z arrives late: 3 kWh before local midnight, 3 after
    m.add({ ts: midnight - 10 * MIN, value: 100 }, touched);
    m.add({ ts: midnight + 10 * MIN, value: 106 }, touched);
    expect(m.add({ ts: midnight, value: 103 }, touched)).toBe('inserted');
    expect(m.dayTotal(midnight - 86_400_000).quantity).toBeCloseTo(3, 9);
    expect(m.dayTotal(midnight).quantity).toBeCloseTo(3, 9);
    // a restored meter rebuilds its day totals from the intervals it is given
    const copy = new MeterEnergy(rules(), 6 * 3_600_000, undefined, dayStart);
    copy.restore(m.readings, m.intervals, false);
    expect(copy.dayTotal(midnight - 86_400_000).quantity).toBeCloseTo(3, 9);
    // pruning before local midnight forgets the day before, not the day after
    m.pruneIntervals(midnight);
    expect(m.dayTotal(midnight - 86_400_000)).toMatchObject({ quantity: 0, estimated: 0, intervals: 0 });
    expect(m.dayTotal(midnight).quantity).toBeCloseTo(3, 9);
  });
});
