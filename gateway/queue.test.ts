import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskQueue } from './queue.ts';

describe('disk queue', () => {
  const dirs: string[] = [];
  const dir = () => { const d = mkdtempSync(join(tmpdir(), 'jieneng-queue-')); dirs.push(d); return d; };
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  it('assigns consecutive seq that survive reopening, and keeps FIFO order', () => {
    const d = dir();
    const q = new DiskQueue(d, 'g');
    expect(q.enqueue((seq) => `a${seq}`)).toBe(0);
    expect(q.enqueue((seq) => `b${seq}`)).toBe(1);
    q.close();
    const again = new DiskQueue(d, 'g');
    expect(again.enqueue((seq) => `c${seq}`)).toBe(2);
    expect(again.peek(-1, 10).map((b) => b.payload)).toEqual(['a0', 'b1', 'c2']);
    expect(again.peek(0, 1).map((b) => b.seq)).toEqual([1]);
    again.acked(1);
    again.acked(1);
    expect(again.stats()).toMatchObject({ queued: 2, nextSeq: 3, dropped: 0, replayable: 1 });
    expect(again.peek(-1, 10).map((b) => b.seq)).toEqual([0, 2]);
    again.close();
  });

  it('drops the oldest batches when full, counts them, and keeps the count across restarts', () => {
    const d = dir();
    const q = new DiskQueue(d, 'g', { maxBytes: 1000 });
    for (let i = 0; i < 10; i++) q.enqueue(() => 'x'.repeat(300));
    const s = q.stats();
    expect(s.bytes).toBeLessThanOrEqual(1000);
    expect(s.queued).toBe(3);
    expect(s.dropped).toBe(7);
    expect(q.peek(-1, 10).map((b) => b.seq)).toEqual([7, 8, 9]);
    q.close();
    expect(new DiskQueue(d, 'g', { maxBytes: 1000 }).stats()).toMatchObject({ dropped: 7, queued: 3, nextSeq: 10 });
  });

  it('keeps acknowledged batches for resends within the window, and says which are gone', () => {
    let now = 1_000_000;
    const d = dir();
    const q = new DiskQueue(d, 'g', { replayWindowMs: 60_000, now: () => now });
    for (let i = 0; i < 6; i++) q.enqueue((seq) => `b${seq}`);
    for (const seq of [0, 1, 2, 3]) q.acked(seq);
    now += 30_000;
    q.acked(4);
    expect(q.stats()).toMatchObject({ queued: 1, replayable: 5 });
    expect(q.range(2, 7)).toEqual({
      acked: [2, 3, 4],
      pending: [5],
      missing: [{ from_seq: 6, to_seq: 7 }],
    });
    expect(q.ackedSince(now - 1000, 100)).toEqual([4]);
    expect(q.payload(3)).toBe('b3');
    q.close();
    // past the window: 0-3 expire, 4 (acknowledged later) stays; the counts survive reopening
    now += 40_000;
    const again = new DiskQueue(d, 'g', { replayWindowMs: 60_000, now: () => now });
    expect(again.range(0, 5)).toEqual({ acked: [4], pending: [5], missing: [{ from_seq: 0, to_seq: 3 }] });
    expect(again.stats()).toMatchObject({ queued: 1, replayable: 1, nextSeq: 6 });
    again.close();
  });

  it('bounds the replay window by size, before it touches unsent batches', () => {
    const q = new DiskQueue(dir(), 'g', { replayMaxBytes: 1000 });
    for (let i = 0; i < 10; i++) q.acked(q.enqueue(() => 'x'.repeat(300)));
    q.enqueue(() => 'y');
    expect(q.stats()).toMatchObject({ replayable: 3, queued: 1, dropped: 0 });
    expect(q.range(0, 10).missing).toEqual([{ from_seq: 0, to_seq: 6 }]);
    q.close();
  });
});
