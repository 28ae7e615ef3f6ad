/** The heap ceiling (core/heap.ts) runs V8's full collection only when exposed and only above the limit. */
import { afterEach, describe, expect, it } from 'vitest';
import { trimHeap } from './heap.ts';

const global = globalThis as { gc?: () => void };
const original = global.gc;

describe('trimHeap', () => {
  afterEach(() => { global.gc = original; });

  it('collects when the old generation is above the limit, not below it', () => {
    let calls = 0;
    global.gc = () => { calls++; };
    expect(trimHeap(0)).toBe(true);
    expect(trimHeap(Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(calls).toBe(1);
  });

  it('does nothing when Node was started without --expose-gc', () => {
    global.gc = undefined;
    expect(trimHeap(0)).toBe(false);
  });
});
