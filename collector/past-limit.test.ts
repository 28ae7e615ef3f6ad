/**
 * The past-timestamp limit is a setting (issue 12, defect 8): `jieneng collector run --max-age-days 400` takes
 * in a reading 100 days old, which the default 35 days dead-letters as past_timestamp. The collector runs as its
 * own process, as an operator starts it, on the shared Mosquitto into InfluxDB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, expect, inject, it } from 'vitest';
import { topics, type DeadLetter, type ReadingBatch } from '../core/contract/v1.ts';
import { createDatabase } from '../test/harness/influxd.ts';
import { waitFor } from '../test/harness/ports.ts';
import type { OwnedProcess } from '../test/harness/process.ts';
import { influxScalar } from './testing/influx.ts';
import { startCollectorProcess, writeSiteFile } from './testing/process.ts';
import { collectorTestSite } from './testing/site.ts';

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'jieneng-past-limit-'));
const procs: OwnedProcess[] = [];
afterAll(async () => {
  for (const p of procs) await p.stop();
  rmSync(dir, { recursive: true, force: true });
});

it.each([
  { setting: 'the default (35 days)', days: undefined, deadReason: 'past_timestamp', outcome: 'dead-lettered as past_timestamp' },
  { setting: '--max-age-days 400', days: '400', deadReason: undefined, outcome: 'stored' },
] as const)('with $setting, a reading 100 days old is $outcome', async ({ days, deadReason }) => {
  const site = `past-${days ?? 'default'}-${process.pid}`;
  const influx = inject('influxUrl');
  const mqttUrl = inject('mosquittoUrl');
  const db = `past_${days ?? 'default'}_${process.pid}`;
  await createDatabase(influx, db);
  const args = ['--site', writeSiteFile(join(dir), collectorTestSite(site)), '--mqtt', mqttUrl, '--data', join(dir, `collector-${site}`), '--client-id', site, ...(days ? ['--max-age-days', days] : [])];
  procs.push(await startCollectorProcess(args, { INFLUX_URL: influx, INFLUX_DB: db }, join(dir, `${site}.log`)));

  const pub = await mqtt.connectAsync(mqttUrl, { clientId: `${site}-pub` });
  const dead: DeadLetter[] = [];
  await pub.subscribeAsync(topics.deadLetter(site), { qos: 1 });
  pub.on('message', (_t, m) => dead.push(JSON.parse(m.toString()) as DeadLetter));
  const now = Date.now();
  const batch = (seq: number, ts: number, m3: number): ReadingBatch => ({ v: 1, site, gateway: 'gw2', seq, sent_ts: now, readings: [{ device: 'water', ts, points: { water_m3: { value: m3, quality: 'good' } } }] });
  await pub.publishAsync(topics.readings(site, 'gw2'), JSON.stringify(batch(1, now - 100 * DAY, 10)), { qos: 1 });
  await pub.publishAsync(topics.readings(site, 'gw2'), JSON.stringify(batch(2, now - 60_000, 12)), { qos: 1 }); // the fence
  await waitFor('the fresh reading', async () => (await influxScalar(influx, db, `SELECT COUNT(value) FROM telemetry WHERE time > ${now - 120_000}ms`)) === 1, 20_000, 100);
  if (deadReason) await waitFor('the dead letter', () => dead.length === 1, 5_000);
  await pub.endAsync();
  expect(dead.map((d) => d.reason)).toEqual(deadReason ? [deadReason] : []);
  expect(await influxScalar(influx, db, 'SELECT COUNT(value) FROM telemetry')).toBe(deadReason ? 1 : 2);
}, 60_000);
