/**
 * The publisher's replay rate (decision 0201) bounds a backlog, never the live flow: batches queued while it runs
 * pass as they come, however many per second, and a backlog found on disk goes at most `replayRatePerS` per second
 * on top. Real Mosquitto; the gateway's disk queue.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, inject, it } from 'vitest';
import { logger } from '../core/log.ts';
import { waitFor } from '../test/harness/ports.ts';
import { Publisher } from './publisher.ts';
import { DiskQueue } from './queue.ts';

const SITE = `rate-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'jieneng-pub-rate-'));
const cleanups: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

const log = logger('gateway', { gateway: 'test' });

function publisher(gateway: string, queue: DiskQueue): Publisher {
  const p = new Publisher({ mqttUrl: inject('mosquittoUrl'), site: SITE, gateway, queue, log, replayRatePerS: 5 });
  cleanups.push(() => p.stop(0));
  return p;
}

it('sends live batches as they are queued, even at ten times the replay rate', async () => {
  const queue = new DiskQueue(dir, 'live');
  cleanups.push(() => queue.close());
  const pub = publisher('live', queue);
  await waitFor('connected', () => pub.stats().connected, 10_000);
  // 50 batches a second for 2 s against a replay rate of 5/s: capped at 5/s the last would go out 18 s later
  for (let i = 0; i < 100; i++) {
    queue.enqueue((seq) => JSON.stringify({ seq }));
    pub.notify();
    await new Promise((r) => setTimeout(r, 20));
  }
  await waitFor('every live batch acknowledged', () => pub.stats().published === 100, 4000, 20);
  expect(queue.stats().queued).toBe(0);
});

it('replays a backlog found on disk at the replay rate', async () => {
  const queue = new DiskQueue(dir, 'backlog');
  cleanups.push(() => queue.close());
  for (let i = 0; i < 60; i++) queue.enqueue((seq) => JSON.stringify({ seq }));
  const pub = publisher('backlog', queue);
  await waitFor('connected', () => pub.stats().connected, 10_000);
  await new Promise((r) => setTimeout(r, 2000));
  // a full bucket (5) at once, then 5 a second: about 15 after 2 s, never the whole backlog
  expect(pub.stats().published).toBeLessThanOrEqual(20);
  expect(pub.stats().published).toBeGreaterThan(0);
  // live batches queued now pass beside the backlog (each lets the oldest waiting batch go): 40 at once go out
  // together, where the replay rate alone would take 8 s
  const before = pub.stats().published;
  for (let i = 0; i < 40; i++) {
    queue.enqueue((seq) => JSON.stringify({ seq }));
    pub.notify();
  }
  await waitFor('the 40 sent beside the backlog', () => pub.stats().published >= before + 40, 4000, 20);
});
