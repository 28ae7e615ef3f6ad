/** ReadingTrack against a plain array doing the same operations: appends, late inserts, trims, growth and reuse. */
import { describe, expect, it } from 'vitest';
import type { CounterReading } from './counter.ts';
import { ReadingTrack } from './reading-track.ts';

function lowerBound(rs: CounterReading[], ts: number): number {
  const i = rs.findIndex((r) => r.ts >= ts);
  return i < 0 ? rs.length : i;
}

describe('ReadingTrack', () => {
  it('holds what an array holds through appends, inserts at any place, trims of the oldest, growth and compaction', () => {
    const track = new ReadingTrack();
    const model: CounterReading[] = [];
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let ts = 1_000_000;
    for (let step = 0; step < 20_000; step++) {
      const roll = rand();
      if (roll < 0.7 || model.length < 2) {
        ts += 15_000;
        const r = { ts, value: ts / 1000 };
        track.push(r);
        model.push(r);
      } else if (roll < 0.85) {
        const late = model[0].ts + Math.floor(rand() * (ts - model[0].ts)) + 0.5; // never an existing ts
        const i = lowerBound(model, late);
        expect(track.lowerBound(late)).toBe(i);
        const r = { ts: late, value: late / 1000 };
        track.insert(i, r);
        model.splice(i, 0, r);
      } else {
        const n = Math.floor(rand() * model.length * 0.3);
        track.dropOldest(n);
        model.splice(0, n);
      }
      expect(track.length).toBe(model.length);
      expect(track.last()).toEqual(model.at(-1));
      if (model.length > 0) expect(track.tsAt(0)).toBe(model[0].ts);
    }
    expect([...track]).toEqual(model);
    expect(track.at(-2)).toEqual(model.at(-2));
    expect(track.at(model.length)).toBeUndefined();
    expect(track.lowerBound(model[0].ts)).toBe(0);
    expect(track.lowerBound(ts + 1)).toBe(model.length);
  });

  it('inserts before the oldest, into room left by a trim, and empties', () => {
    const track = new ReadingTrack();
    for (let i = 0; i < 5; i++) track.push({ ts: 100 + i, value: i });
    track.dropOldest(2);
    track.insert(0, { ts: 50, value: -1 });
    expect([...track].map((r) => r.ts)).toEqual([50, 102, 103, 104]);
    track.clear();
    expect(track.length).toBe(0);
    expect(track.last()).toBeUndefined();
    track.insert(0, { ts: 1, value: 1 });
    expect([...track]).toEqual([{ ts: 1, value: 1 }]);
  });
});
