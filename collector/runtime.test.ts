/**
 * The collector over real brokers (aedes in-process, Mosquitto) into the embedded store: readings stored,
 * energy computed, bad messages dead-lettered with their reason, nothing acknowledged before it is buffered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startEmbeddedBroker } from '../app/broker.ts';
import { topics, type DeadLetter, type ReadingBatch } from '../core/contract/v1.ts';
import { openEmbeddedStorage } from '../storage/embedded/store.ts';
import { waitFor } from '../test/harness/ports.ts';
import { startCollector } from './runtime.ts';
import { collectorTestSite } from './testing/site.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

function batch(site: string, seq: number, ts: number, value: number): ReadingBatch {
  return { v: 1, site, gateway: 'gw2', seq, sent_ts: ts, readings: [{ device: 'water', ts, points: { water_m3: { value, quality: 'good' } } }] };
}

describe.each(['aedes', 'mosquitto'] as const)('collector through %s', (kind) => {
  it('stores readings and energy, and dead-letters what it cannot accept', async () => {
    const SITE = `rt-${kind}-${process.pid}`; // its own topics on the shared Mosquitto
    const site = collectorTestSite(SITE);
    let url = inject('mosquittoUrl');
    if (kind === 'aedes') {
      const broker = await startEmbeddedBroker(0);
      cleanups.push(() => broker.stop());
      url = broker.url;
    }
    const dir = mkdtempSync(join(tmpdir(), 'jieneng-collector-rt-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
    cleanups.push(() => storage.close());
    const collector = await startCollector({ site, mqttUrl: url, storage, dataDir: join(dir, 'collector'), clientId: `rt-${kind}-${process.pid}` });
    cleanups.push(() => collector.stop());

    const pub = await mqtt.connectAsync(url, { clientId: `rt-pub-${kind}-${process.pid}` });
    cleanups.push(() => pub.endAsync());
    const dead: DeadLetter[] = [];
    await pub.subscribeAsync(topics.deadLetter(SITE), { qos: 1 });
    pub.on('message', (_t, m) => dead.push(JSON.parse(m.toString()) as DeadLetter));

    const t0 = Math.floor(Date.now() / 900_000) * 900_000 - 900_000; // the previous 15-minute interval
    const topic = topics.readings(SITE, 'gw2');
    await pub.publishAsync(topic, JSON.stringify(batch(SITE, 1, t0, 100)), { qos: 1 });
    await pub.publishAsync(topic, JSON.stringify(batch(SITE, 2, t0 + 600_000, 103)), { qos: 1 });
    await pub.publishAsync(topic, 'not json at all', { qos: 1 });
    await pub.publishAsync(topic, JSON.stringify({ ...batch(SITE, 3, t0, 1), readings: [{ device: 'ghost', ts: t0, points: { water_m3: { value: 1, quality: 'good' } } }] }), { qos: 1 });

    await waitFor('the energy row', async () => {
      await collector.flush();
      const rows = await storage.raw({ measurement: 'energy_15m', from: t0, to: t0 + 900_000, where: { meter: 'water' } });
      return rows.length === 1 && rows[0].fields.water_m3 === 3;
    }, 10_000);
    await waitFor('two dead letters', () => dead.length === 2, 10_000);
    expect(dead.map((d) => d.reason).sort()).toEqual(['not_json', 'unknown_device']);
    expect(dead.find((d) => d.reason === 'not_json')!.payload).toBe('not json at all');
    const telemetry = await storage.raw({ measurement: 'telemetry', from: t0, to: t0 + 900_000, where: { device: 'water' } });
    expect(telemetry.map((p) => p.fields.value)).toEqual([100, 103]);
  });
});
