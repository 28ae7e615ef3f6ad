/** Dead letters of one message: one per reason, and linear in the rejections (issue 12, defect 2). */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_MAX_PAYLOAD, deadLetters } from './dead-letters.ts';
import type { Rejection } from './validate.ts';

const unknown = (n: number): Rejection[] => Array.from({ length: n }, (_, i) => ({ reason: 'unknown_point', detail: `'p${i}_x' names no known unit`, device: 'main', point: `p${i}_x` }));

/** The fastest of five runs, ms. */
function fastest(run: () => void): number {
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    run();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

describe('dead letters', () => {
  it('writes one letter per reason, naming 20 and counting the rest, with the payload cut at 64 KiB', () => {
    const rejected: Rejection[] = [...unknown(25), { reason: 'past_timestamp', detail: 'too old', device: 'water' }];
    const letters = deadLetters('t', Buffer.alloc(DEAD_LETTER_MAX_PAYLOAD + 10, 0x7b), rejected, 5);
    expect(letters.map((l) => l.reason)).toEqual(['unknown_point', 'past_timestamp']);
    expect(letters[0].detail).toMatch(/^main: p0_x: 'p0_x' names no known unit; .*; … 5 more$/);
    expect(letters[0].detail.split('; ').length).toBe(21);
    expect(letters[1]).toEqual({ v: 1, reason: 'past_timestamp', detail: 'water: too old', topic: 't', ts: 5, payload: '{'.repeat(DEAD_LETTER_MAX_PAYLOAD) });
  });

  it('groups rejections in time linear in their number (8× the rejections: well under 64× the time)', () => {
    const small = unknown(4_000);
    const large = unknown(32_000);
    const payload = Buffer.from('{}');
    fastest(() => deadLetters('t', payload, large, 0)); // warm up
    const ratio = fastest(() => deadLetters('t', payload, large, 0)) / fastest(() => deadLetters('t', payload, small, 0));
    expect(ratio).toBeLessThan(24);
  });
});
