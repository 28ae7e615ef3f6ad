/**
 * InfluxDB stopped under load and started again: while it is down the collector keeps acknowledging into its
 * on-disk buffer, then replays it; by count every point is stored exactly once and every meter's intervals add
 * up to its counter advance. Own InfluxDB (this test stops it), shared Mosquitto.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, expect, inject, it } from 'vitest';
import { topics } from '../core/contract/v1.ts';
import { openStorage } from '../storage/index.ts';
import { createDatabase, startInfluxd, type InfluxServer } from '../test/harness/influxd.ts';
import { waitFor } from '../test/harness/ports.ts';
import { collectorMetrics } from './metrics.ts';
import { startCollector } from './runtime.ts';
import { influxScalar } from './testing/influx.ts';
import { collectorTestSite } from './testing/site.ts';
import { ReadingStream } from './testing/stream.ts';

/** this test's own site id: the shared Mosquitto carries other tests' topics too */
const SITE = `outage-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'jieneng-outage-'));
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

it('buffers on disk through an InfluxDB outage and stores every point exactly once', async () => {
  const influxd: InfluxServer = await startInfluxd();
  cleanups.push(() => influxd.destroy());
  const db = 'outage';
  await createDatabase(influxd.url, db);
  const storage = await openStorage({ kind: 'influxdb', url: influxd.url, database: db, version: 1 });
  cleanups.push(() => storage.close().catch(() => undefined));
  const mqttUrl = inject('mosquittoUrl');
  const collector = await startCollector({
    site: collectorTestSite(SITE), mqttUrl, storage, dataDir: join(dir, 'collector'), clientId: `outage-${process.pid}`,
  });
  cleanups.push(() => collector.stop());
  const pub = await mqtt.connectAsync(mqttUrl, { clientId: `outage-pub-${process.pid}` });
  cleanups.push(() => pub.endAsync());

  const stream = new ReadingStream(Math.floor(Date.now() / 900_000) * 900_000 - 3 * 3_600_000, 15_000, SITE);
  const failuresBefore = (await collectorMetrics.writeFailures.get()).values[0]?.value ?? 0;
  let peakBuffered = 0;
  for (let i = 0; i < 600; i++) {
    for (const b of stream.step(i)) await pub.publishAsync(topics.readings(SITE, b.gateway), JSON.stringify(b), { qos: 1 });
    if (i === 150) await influxd.stop();
    if (i > 150 && i < 450) peakBuffered = Math.max(peakBuffered, collector.ingestors[0].bufferedPoints());
    if (i === 450) await influxd.start();
    // a steady stream, about 4 s of it with InfluxDB down
    if (i % 10 === 0) await new Promise((r) => setTimeout(r, i > 150 && i < 450 ? 130 : 10));
  }
  // The outage was real: writes failed and points waited on disk.
  expect((await collectorMetrics.writeFailures.get()).values[0].value).toBeGreaterThan(failuresBefore);
  expect(peakBuffered).toBeGreaterThan(0);

  await waitFor('every point in InfluxDB', async () => (await influxScalar(influxd.url, db, 'SELECT COUNT(value) FROM telemetry')) === stream.points, 25_000, 250);
  await collector.flush();
  for (const meter of ['main', 'lighting', 'hvac']) {
    expect(await influxScalar(influxd.url, db, `SELECT SUM(energy_kwh) FROM energy_15m WHERE meter = '${meter}'`)).toBeCloseTo(stream.total(meter), 5);
  }
  // the daily rows and the building total (root meter only) tell the same story
  expect(await influxScalar(influxd.url, db, "SELECT SUM(energy_kwh) FROM energy_1d WHERE meter = 'main'")).toBeCloseTo(stream.total('main'), 5);
  expect(await influxScalar(influxd.url, db, "SELECT SUM(energy_kwh) FROM energy_building_15m WHERE building = 'b1' AND category = '01000'")).toBeCloseTo(stream.total('main'), 5);
  expect(await influxScalar(influxd.url, db, 'SELECT COUNT(value) FROM telemetry')).toBe(stream.points);
  expect(collector.ingestors[0].bufferedPoints()).toBe(0);
}, 60_000);
