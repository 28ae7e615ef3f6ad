/**
 * Two collector processes share one site through Mosquitto (decision 0301): telemetry through the shared
 * subscription `$share/<group>/…`, energy through each one's partition of the gateways. Every point is stored
 * exactly once, both collectors took part, and each meter's energy adds up exactly (one owner per meter).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, expect, inject, it } from 'vitest';
import { topics } from '../core/contract/v1.ts';
import { createDatabase } from '../test/harness/influxd.ts';
import { freePort, waitFor } from '../test/harness/ports.ts';
import type { OwnedProcess } from '../test/harness/process.ts';
import { ownsGateway } from './partition.ts';
import { influxScalar } from './testing/influx.ts';
import { startCollectorProcess, writeSiteFile } from './testing/process.ts';
import { collectorTestSite } from './testing/site.ts';
import { ReadingStream } from './testing/stream.ts';

/** this test's own site id: the shared Mosquitto carries other tests' topics too */
const SITE = `scale-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'jieneng-scale-'));
const procs: OwnedProcess[] = [];
afterAll(async () => {
  for (const p of procs) await p.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A counter's value from a Prometheus text exposition (summed over the given label match). */
async function scrape(port: number, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name) && l.includes(labels)).reduce((a, l) => a + Number(l.split(' ').at(-1)), 0);
}

it('two collectors on one shared subscription store every point exactly once', async () => {
  const influx = inject('influxUrl');
  const mqttUrl = inject('mosquittoUrl');
  const db = `scale_${process.pid}`;
  await createDatabase(influx, db);
  const siteFile = writeSiteFile(dir, collectorTestSite(SITE));
  // The test site's two gateways fall into different partitions of 2, so each collector owns one.
  expect(ownsGateway({ index: 0, count: 2 }, 'gw1')).not.toBe(ownsGateway({ index: 0, count: 2 }, 'gw2'));
  const ports: number[] = [];
  for (const k of [0, 1]) {
    const port = await freePort();
    ports.push(port);
    procs.push(await startCollectorProcess([
      '--site', siteFile, '--mqtt', mqttUrl, '--data', join(dir, `c${k}`), '--share', `g${process.pid}`,
      '--partition', `${k}/2`, '--client-id', `scale-${process.pid}-${k}`, '--metrics-port', String(port),
    ], { INFLUX_URL: influx, INFLUX_DB: db }, join(dir, `c${k}.log`), 2));
  }

  const pub = await mqtt.connectAsync(mqttUrl, { clientId: `scale-pub-${process.pid}` });
  const stream = new ReadingStream(Math.floor(Date.now() / 900_000) * 900_000 - 3 * 3_600_000, 15_000, SITE);
  for (let i = 0; i < 500; i++) {
    for (const b of stream.step(i)) await pub.publishAsync(topics.readings(SITE, b.gateway), JSON.stringify(b), { qos: 1 });
  }
  await pub.endAsync();

  await waitFor('every point in InfluxDB', async () => (await influxScalar(influx, db, 'SELECT COUNT(value) FROM telemetry')) === stream.points, 25_000, 250);
  for (const meter of ['main', 'lighting', 'hvac']) {
    const q = `SELECT SUM(energy_kwh) FROM energy_15m WHERE meter = '${meter}'`;
    await waitFor(`${meter}'s energy`, async () => Math.abs((await influxScalar(influx, db, q)) - stream.total(meter)) < 1e-5, 10_000, 250);
  }
  const water = "SELECT SUM(water_m3) FROM energy_15m WHERE meter = 'water'";
  await waitFor('water energy', async () => Math.abs((await influxScalar(influx, db, water)) - stream.total('water')) < 1e-5, 10_000, 250);

  // Both took a share of the telemetry, and together wrote each point once.
  const written = await Promise.all(ports.map((p) => scrape(p, 'jieneng_collector_points_written_total', 'kind="telemetry"')));
  expect(written[0]).toBeGreaterThan(0);
  expect(written[1]).toBeGreaterThan(0);
  expect(written[0] + written[1]).toBe(stream.points);
  expect(await influxScalar(influx, db, 'SELECT COUNT(value) FROM telemetry')).toBe(stream.points);
}, 60_000);
