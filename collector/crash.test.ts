/**
 * SIGKILL the collector process mid-stream and start it again: every point is stored exactly once and every
 * meter's 15-minute intervals add up to exactly its counter advance — none lost, none counted twice.
 * Real Mosquitto (persistent session) and real InfluxDB 1.x.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, expect, inject, it } from 'vitest';
import { topics } from '../core/contract/v1.ts';
import { createDatabase } from '../test/harness/influxd.ts';
import { waitFor } from '../test/harness/ports.ts';
import type { OwnedProcess } from '../test/harness/process.ts';
import { influxScalar } from './testing/influx.ts';
import { startCollectorProcess, writeSiteFile } from './testing/process.ts';
import { collectorTestSite } from './testing/site.ts';
import { ReadingStream } from './testing/stream.ts';

/** this test's own site id: the shared Mosquitto carries other tests' topics too */
const SITE = `crash-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'jieneng-crash-'));
let proc: OwnedProcess | undefined;
afterAll(async () => {
  await proc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('loses nothing and counts nothing twice across a SIGKILL', async () => {
  const influx = inject('influxUrl');
  const mqttUrl = inject('mosquittoUrl');
  const db = `crash_${process.pid}`;
  await createDatabase(influx, db);
  const siteFile = writeSiteFile(dir, collectorTestSite(SITE));
  const args = ['--site', siteFile, '--mqtt', mqttUrl, '--data', join(dir, 'collector'), '--client-id', `crash-${process.pid}`];
  const env = { INFLUX_URL: influx, INFLUX_DB: db };
  const logFile = join(dir, 'collector.log');
  proc = await startCollectorProcess(args, env, logFile);

  const pub = await mqtt.connectAsync(mqttUrl, { clientId: `crash-pub-${process.pid}` });
  const stream = new ReadingStream(Math.floor(Date.now() / 900_000) * 900_000 - 3 * 3_600_000, 15_000, SITE); // 600 steps: 2.5 h, all in the past
  const steps = 600;
  for (let i = 0; i < steps; i++) {
    for (const b of stream.step(i)) await pub.publishAsync(topics.readings(SITE, b.gateway), JSON.stringify(b), { qos: 1 });
    if (i === 200) {
      await proc?.kill(); // SIGKILL: no goodbye, whatever was in flight is in the state database or unacknowledged
      proc = undefined;
    }
    if (i === 400) proc = await startCollectorProcess(args, env, logFile);
  }
  await pub.endAsync();

  await waitFor('every telemetry point in InfluxDB', async () => (await influxScalar(influx, db, 'SELECT COUNT(value) FROM telemetry')) === stream.points, 25_000, 250)
    .catch(async (err: unknown) => {
      const got = await influxScalar(influx, db, 'SELECT COUNT(value) FROM telemetry');
      const res = await fetch(`${influx}/query?${new URLSearchParams({ db, q: "SELECT value FROM telemetry WHERE point = 'water_m3'", epoch: 'ms' })}`);
      const times = new Set(((await res.json()) as { results: { series: { values: [number, number][] }[] }[] }).results[0].series[0].values.map((v) => v[0]));
      const missing = [];
      for (let i = 0; i < steps; i++) if (!times.has(stream.start_ms + i * stream.step_ms)) missing.push(i);
      console.log('MISSING', missing.join(','));
      throw new Error(`${String(err)}: ${got} of ${stream.points}; log: ${readFileSync(logFile, 'utf8').slice(-3000)}`);
    });
  for (const meter of ['main', 'lighting', 'hvac']) {
    const q = `SELECT SUM(energy_kwh) FROM energy_15m WHERE meter = '${meter}'`;
    await waitFor(`${meter}'s energy`, async () => Math.abs((await influxScalar(influx, db, q)) - stream.total(meter)) < 1e-5, 10_000, 250);
  }
  const water = await influxScalar(influx, db, "SELECT SUM(water_m3) FROM energy_15m WHERE meter = 'water'");
  expect(water).toBeCloseTo(stream.total('water'), 5);
  expect(await influxScalar(influx, db, 'SELECT COUNT(value) FROM telemetry')).toBe(stream.points);
}, 60_000);
