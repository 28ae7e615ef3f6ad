/**
 * The collector's state folder deleted between two runs of the real process (issue 12.6): real Mosquitto, real
 * InfluxDB 1.x. On restart the process rebuilds every meter's state from InfluxDB, warns once, and every meter's
 * stored intervals and days still add up to its counter difference within one quantum.
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
const SITE = `state-loss-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'jieneng-state-loss-'));
let proc: OwnedProcess | undefined;
afterAll(async () => {
  await proc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('rebuilds the deleted state from InfluxDB: intervals and days still equal each counter difference', async () => {
  const influx = inject('influxUrl');
  const mqttUrl = inject('mosquittoUrl');
  const db = `state_loss_${process.pid}`;
  await createDatabase(influx, db);
  const dataDir = join(dir, 'collector');
  const args = ['--site', writeSiteFile(dir, collectorTestSite(SITE)), '--mqtt', mqttUrl, '--data', dataDir, '--client-id', `state-loss-${process.pid}`];
  const env = { INFLUX_URL: influx, INFLUX_DB: db };
  const logFile = join(dir, 'collector.log');
  proc = await startCollectorProcess(args, env, logFile);

  const pub = await mqtt.connectAsync(mqttUrl, { clientId: `state-loss-pub-${process.pid}` });
  const stream = new ReadingStream(Math.floor(Date.now() / 900_000) * 900_000 - 3 * 3_600_000, 30_000, SITE); // 2.5 h, all past
  const publish = async (from: number, to: number) => {
    for (let i = from; i < to; i++) for (const b of stream.step(i)) await pub.publishAsync(topics.readings(SITE, b.gateway), JSON.stringify(b), { qos: 1 });
  };
  const stored = () => influxScalar(influx, db, `SELECT COUNT(value) FROM telemetry WHERE site = '${SITE}'`);
  await publish(0, 150);
  await waitFor('the first run\'s telemetry', async () => (await stored()) === stream.points, 20_000, 250);
  await proc.stop();
  proc = undefined;
  rmSync(dataDir, { recursive: true, force: true }); // the state database, its outbox, everything
  proc = await startCollectorProcess(args, env, logFile);
  await publish(150, 300);
  await pub.endAsync();

  await waitFor('every telemetry point', async () => (await stored()) === stream.points, 20_000, 250);
  for (const [meter, field] of [['main', 'energy_kwh'], ['lighting', 'energy_kwh'], ['hvac', 'energy_kwh'], ['water', 'water_m3']]) {
    for (const measurement of ['energy_15m', 'energy_1d']) {
      const q = `SELECT SUM(${field}) FROM ${measurement} WHERE meter = '${meter}'`;
      await waitFor(`${meter}'s ${measurement}`, async () => Math.abs((await influxScalar(influx, db, q)) - stream.total(meter)) < 5e-4, 10_000, 250);
    }
  }
  expect(readFileSync(logFile, 'utf8')).toMatch(/counter state was missing for meters storage knows: rebuilt from storage/);
}, 60_000);
