/**
 * The publisher's replay rate (decision 0201) bounds a backlog, never the live flow: batches queued while it is
 * connected pass as they come, however many per second, and a backlog — found on disk at start, or queued while
 * the broker was down — goes at most `replayRatePerS` per second on top (after a first burst of that many). Real
 * Mosquitto; the gateway's disk queue.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, inject, it } from 'vitest';
import { logger } from '../core/log.ts';
import { startMosquitto } from '../test/harness/mosquitto.ts';
import { waitFor } from '../test/harness/ports.ts';
import { Publisher } from './publisher.ts';
import { DiskQueue } from './queue.ts';

const SITE = `rate-${process.pid}`;
const RATE = 5;
const dir = mkdtempSync(join(tmpdir(), 'jieneng-pub-rate-'));
const cleanups: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

const log = logger('gateway', { gateway: 'test' });

function publisher(gateway: string, queue: DiskQueue, mqttUrl = inject('mosquittoUrl'), maxInflight?: number): Publisher {
  const p = new Publisher({ mqttUrl, site: SITE, gateway, queue, log, replayRatePerS: RATE, maxInflight, mqttOptions: { reconnectPeriod: 200 } });
  cleanups.push(() => p.stop(0));
  return p;
}

function queueOf(name: string): DiskQueue {
  const q = new DiskQueue(dir, name);
  cleanups.push(() => q.close());
  return q;
}

/**
 * Over 2 s from `since`, the batches acknowledged stay within the replay rate: the first burst (RATE) plus RATE a
 * second of the time that really passed (a loaded machine's timers run late), plus one; and some went.
 */
async function expectReplayRate(pub: Publisher, since: number): Promise<void> {
  const before = pub.stats().published;
  await new Promise((r) => setTimeout(r, 2000));
  const sent = pub.stats().published - before;
  const elapsedS = (Date.now() - since) / 1000;
  expect(sent).toBeGreaterThan(0);
  expect(sent).toBeLessThanOrEqual(RATE + RATE * elapsedS + 1);
}

it('sends live batches as they are queued, even at ten times the replay rate', async () => {
  const queue = queueOf('live');
  // room for 100 unacknowledged: a broker slow to acknowledge (another test flooding it) must not turn live
  // batches into backlog here
  const pub = publisher('live', queue, undefined, 100);
  await waitFor('connected', () => pub.stats().connected, 10_000);
  // 50 batches a second for 2 s against a replay rate of 5/s: capped at 5/s the last would go out 18 s later
  for (let i = 0; i < 100; i++) {
    queue.enqueue((seq) => JSON.stringify({ seq }));
    pub.notify();
    await new Promise((r) => setTimeout(r, 20));
  }
  await waitFor('every live batch acknowledged', () => pub.stats().published === 100, 10_000, 20);
  expect(queue.stats().queued).toBe(0);
});

it('replays a backlog found on disk at the replay rate; live batches pass beside it', async () => {
  const queue = queueOf('backlog');
  for (let i = 0; i < 60; i++) queue.enqueue((seq) => JSON.stringify({ seq }));
  const pub = publisher('backlog', queue);
  await waitFor('connected', () => pub.stats().connected, 10_000, 5);
  await expectReplayRate(pub, Date.now());
  // live batches queued now pass beside the backlog (each lets the oldest waiting batch go): 5 at once (a second's
  // worth of passes is kept) are sent as they are queued, where the replay rate alone would take a second
  const sent = () => pub.stats().published + pub.stats().inflight;
  const before = sent();
  for (let i = 0; i < RATE; i++) {
    queue.enqueue((seq) => JSON.stringify({ seq }));
    pub.notify();
  }
  expect(sent() - before).toBeGreaterThanOrEqual(RATE); // sent in notify, before any timer or acknowledgement (a token may add one)
  await waitFor('the live batches acknowledged', () => pub.stats().published >= before + RATE, 5000, 10);
});

it('replays at the replay rate what was queued while the broker was down', async () => {
  const broker = await startMosquitto();
  cleanups.push(() => broker.destroy());
  const queue = queueOf('outage');
  const pub = publisher('outage', queue, broker.url);
  await waitFor('connected', () => pub.stats().connected, 10_000);
  await broker.stop();
  await waitFor('the outage seen', () => !pub.stats().connected, 10_000);
  for (let i = 0; i < 60; i++) {
    queue.enqueue((seq) => JSON.stringify({ seq }));
    pub.notify(); // queued during the outage: backlog, no pass
  }
  await broker.start();
  await waitFor('connected again', () => pub.stats().connected, 10_000, 5);
  await expectReplayRate(pub, Date.now());
}, 30_000);
