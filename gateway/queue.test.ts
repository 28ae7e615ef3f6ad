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
    again.remove(1);
    again.remove(1);
    expect(again.stats()).toMatchObject({ queued: 2, nextSeq: 3, dropped: 0 });
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
});
