/** The heap ceiling (core/heap.ts) runs V8's full collection only when exposed and only above the limit. */
import { afterEach, describe, expect, it } from 'vitest';
import { getHeapSpaceStatistics } from 'node:v8';
import { HeapCeiling } from './heap.ts';

const global = globalThis as { gc?: () => void };
const original = global.gc;
const oldGeneration = () => getHeapSpaceStatistics().filter((s) => !s.space_name.startsWith('new_')).reduce((a, s) => a + s.space_used_size, 0);

describe('HeapCeiling', () => {
  afterEach(() => { global.gc = original; });

  it('collects when the old generation is above the limit, not below it', () => {
    let calls = 0;
    global.gc = () => { calls++; };
    expect(new HeapCeiling(1).check()).toBe(true);
    expect(new HeapCeiling(Number.MAX_SAFE_INTEGER).check()).toBe(false);
    expect(calls).toBe(1);
  });

  it('does not collect again until the heap has grown by a quarter of the limit beyond what the last collection left live', () => {
    let calls = 0;
    global.gc = () => { calls++; }; // frees nothing: what is live stays above the limit
    const used = oldGeneration();
    const limit = Math.floor(used / 2);
    const ceiling = new HeapCeiling(limit);
    expect(ceiling.check()).toBe(true);
    expect(ceiling.check()).toBe(false); // the old ceiling would have collected again, for nothing
    const grow: number[][] = [];
    while (oldGeneration() <= used + limit / 4 + 1_000_000) grow.push(new Array(100_000).fill(1.5));
    expect(ceiling.check()).toBe(true);
    expect(calls).toBe(2);
    expect(grow.length).toBeGreaterThan(0);
  });

  it('does nothing when Node was started without --expose-gc, or without a limit', () => {
    global.gc = undefined;
    expect(new HeapCeiling(1).check()).toBe(false);
    global.gc = () => {};
    expect(new HeapCeiling(0).check()).toBe(false);
  });
});
