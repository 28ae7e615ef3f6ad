/**
 * The broker lost at run time: the collector logs it, reconnects with backoff, does not crash, and what was
 * published to its persistent session meanwhile arrives once the broker is back. Own Mosquitto (stopped here),
 * with persistence so that the session and its queued messages survive the restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, expect, it } from 'vitest';
import { topics, type ReadingBatch } from '../core/contract/v1.ts';
import { openEmbeddedStorage } from '../storage/embedded/store.ts';
import { startMosquitto } from '../test/harness/mosquitto.ts';
import { waitFor } from '../test/harness/ports.ts';
import { collectorMetrics } from './metrics.ts';
import { startCollector } from './runtime.ts';
import { collectorTestSite } from './testing/site.ts';

const dir = mkdtempSync(join(tmpdir(), 'jieneng-broker-outage-'));
const cleanups: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

it('rides out a broker restart without losing what was queued for it', async () => {
  const SITE = `brk-${process.pid}`;
  const broker = await startMosquitto({ persistence: true });
  cleanups.push(() => broker.destroy());
  const storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
  cleanups.push(() => storage.close());
  const collector = await startCollector({ site: collectorTestSite(SITE), mqttUrl: broker.url, storage, dataDir: join(dir, 'c'), clientId: `brk-${process.pid}` });
  cleanups.push(() => collector.stop());

  const t0 = Math.floor(Date.now() / 900_000) * 900_000 - 1_800_000;
  const batch = (seq: number, value: number): ReadingBatch => ({
    v: 1, site: SITE, gateway: 'gw2', seq, sent_ts: t0,
    readings: [{ device: 'water', ts: t0 + seq * 60_000, points: { water_m3: { value, quality: 'good' } } }],
  });
  const publish = async (b: ReadingBatch) => {
    const pub = await mqtt.connectAsync(broker.url, { clientId: `brk-pub-${process.pid}`, reconnectPeriod: 0 });
    await pub.publishAsync(topics.readings(SITE, 'gw2'), JSON.stringify(b), { qos: 1 });
    await pub.endAsync();
  };

  await publish(batch(0, 10));
  await waitFor('the first reading', async () => (await collector.flush(), (await storage.raw({ measurement: 'telemetry', from: t0, to: t0 + 900_000 })).length === 1), 10_000);

  await broker.stop();
  await waitFor('the collector to notice', async () => (await collectorMetrics.brokerConnected.get()).values[0].value === 0, 10_000);
  await broker.start();
  // Queued for the collector's persistent session while it is still reconnecting.
  await publish(batch(1, 12));
  await publish(batch(2, 15));

  await waitFor('the queued readings', async () => {
    await collector.flush();
    return (await storage.raw({ measurement: 'telemetry', from: t0, to: t0 + 900_000 })).length === 3;
  }, 20_000, 100);
  const rows = await storage.raw({ measurement: 'energy_15m', from: t0, to: t0 + 900_000, where: { meter: 'water' } });
  expect(rows.map((r) => r.fields.water_m3)).toEqual([5]);
}, 40_000);
