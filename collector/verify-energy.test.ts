/**
 * `jieneng verify energy` (issue 12): a small site fed through a real collector (real Mosquitto, QoS 1) into the
 * embedded store and into real InfluxDB 1.6.7, then reconciled by the command as an operator runs it — its own
 * process, the store named by the environment: every meter's intervals add up to its counter advance and every
 * building total to its meters (exit 0); after a stored building row, then a meter's row, is tampered with, each
 * is printed as a mismatch (exit 1). The edge arithmetic
 * is checked on hand-worked readings.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { topics } from '../core/contract/v1.ts';
import { openStorage } from '../storage/index.ts';
import type { Storage } from '../storage/port.ts';
import { createDatabase } from '../test/harness/influxd.ts';
import { waitFor } from '../test/harness/ports.ts';
import { startCollector } from './runtime.ts';
import { writeSiteFile } from './testing/process.ts';
import { collectorTestSite } from './testing/site.ts';
import { ReadingStream } from './testing/stream.ts';
import { counterAdvance } from './verify-energy.ts';

const MIN = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'jieneng-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('counter advance over a range', () => {
  const T = 1_000 * 900_000; // a quarter-hour
  it('interpolates the counter at each edge, as the intervals were apportioned', () => {
    // 100 at T − 5 min, 103 at T + 10 min (0.2/min): C(T) = 101; 110 at T + 40, 112 at T + 50: C(T + 45) = 111
    const rs = [[-5, 100], [10, 103], [40, 110], [50, 112]].map(([m, value]) => ({ ts: T + m * MIN, value }));
    expect(counterAdvance(rs, T, T + 45 * MIN)).toBeCloseTo(10, 12);
    // no reading before the range: the first inside (103); none after it: the last inside (112)
    expect(counterAdvance(rs.slice(1), T, T + 60 * MIN)).toBeCloseTo(9, 12);
  });
  it('counts through a roll-over and refuses a reset', () => {
    const rs = [[0, 99_990], [10, 5], [20, 15]].map(([m, value]) => ({ ts: T + m * MIN, value }));
    // 99 990 → 5 wraps at 100 000: +15, then +10
    expect(counterAdvance(rs, T, T + 30 * MIN, 100_000)).toBeCloseTo(25, 9);
    expect(counterAdvance(rs, T, T + 30 * MIN)).toBeNull();
  });
});

/** Feed a site through a collector into `storage`, then run the command against the store `env` names. */
async function feedAndVerify(name: string, storage: Storage, env: NodeJS.ProcessEnv): Promise<void> {
  const siteId = `verify-${name}-${process.pid}`;
  const site = collectorTestSite(siteId);
  const siteFile = writeSiteFile(mkdtempSync(join(dir, 'site-')), site);
  const mqttUrl = inject('mosquittoUrl');
  const collector = await startCollector({ site, mqttUrl, storage, dataDir: join(dir, `collector-${name}`), clientId: siteId });
  const pub = await mqtt.connectAsync(mqttUrl, { clientId: `${siteId}-pub` });
  // Two hours of readings every minute, starting on a quarter-hour three hours ago.
  const start = Math.floor(Date.now() / 900_000) * 900_000 - 3 * 3_600_000;
  const stream = new ReadingStream(start, MIN, siteId);
  try {
    for (let i = 0; i < 120; i++) {
      for (const b of stream.step(i)) await pub.publishAsync(topics.readings(siteId, b.gateway), JSON.stringify(b), { qos: 1 });
    }
    await waitFor('every telemetry point stored', async () => (await storage.raw({ measurement: 'telemetry', from: start, to: start + 3 * 3_600_000, where: { site: siteId } })).length === stream.points, 30_000, 250);
    await collector.flush();
  } finally {
    await pub.endAsync();
    await collector.stop();
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  const verify = () => spawnSync(process.execPath, ['bin/jieneng.js', 'verify', 'energy', '--site', siteFile, '--from', iso(start), '--to', iso(start + 2 * 3_600_000)], {
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, encoding: 'utf8', timeout: 60_000,
  });
  // The collector started with no state: its site totals are complete from its local day (decision 0407), which
  // may be after the readings' start; it wrote them for every reading all the same, so say so from the day before.
  await storage.write([{ measurement: 'energy_site_since', tags: { site: siteId, partition: '0/1' }, fields: { written_at: Date.now() }, time: start - 86_400_000 }]);
  await storage.flush();
  const clean = verify();
  // main, lighting, hvac, water; the totals b1/01000 (main), b1/01A00, b1/01B00, b2/02000; the site's electricity and water
  expect(clean.stdout, clean.stderr).toMatch(/^verified 4 meters, 4 building totals and 2 site totals from .*: 0 mismatches; 0 without counter readings\n$/);
  expect(clean.status).toBe(0);

  // One quarter-hour of b1's total stored 3 kWh too high: the command names that total, and only it.
  const tamper = async (measurement: string, where: Record<string, string>, kwh: number) => {
    const [row] = await storage.raw({ measurement, from: start + 30 * MIN, to: start + 45 * MIN, where: { site: siteId, ...where } });
    await storage.write([{ ...row, fields: { ...row.fields, energy_kwh: Number(row.fields.energy_kwh) + kwh } }]);
    await storage.flush();
  };
  await tamper('energy_building_15m', { building: 'b1', category: '01000' }, 3);
  const building = verify();
  expect(building.status).toBe(1);
  expect(building.stdout).toMatch(/^MISMATCH building=b1 medium=electricity category=01000 unit=kWh meters_sum=[\d.]+ building_sum=[\d.]+ difference=3: the building total is not the sum of its meters\n/);
  expect(building.stdout).toMatch(/: 1 mismatches;/);

  // One quarter-hour of main 5 kWh too high as well: main against its counter, and b1's total now 3 − 5 off.
  await tamper('energy_15m', { meter: 'main' }, 5);
  const tampered = verify();
  expect(tampered.status).toBe(1);
  expect(tampered.stdout).toMatch(/^MISMATCH meter=main unit=kWh counter_delta=[\d.]+ intervals_sum=[\d.]+ difference=5 readings=120: more energy stored than the counter advanced\n/);
  expect(tampered.stdout).toMatch(/\nMISMATCH building=b1 medium=electricity category=01000 .* difference=-2: /);
  // main is b1's only root meter: the site's electricity total, right, now differs from its meters by −5 too.
  expect(tampered.stdout).toMatch(/\nMISMATCH site medium=electricity category=01000 unit=kWh meters_sum=[\d.]+ site_sum=[\d.]+ difference=-5: the site total is not the sum of its meters\n/);
  expect(tampered.stdout).toMatch(/: 3 mismatches;/);

  // One quarter-hour of the site's water total 2 m³ too high: named as the site total.
  const [row] = await storage.raw({ measurement: 'energy_site_15m', from: start + 30 * MIN, to: start + 45 * MIN, where: { site: siteId, medium: 'water' } });
  await storage.write([{ ...row, fields: { ...row.fields, water_m3: Number(row.fields.water_m3) + 2 } }]);
  await storage.flush();
  expect(verify().stdout).toMatch(/\nMISMATCH site medium=water category=02000 unit=m³ .* difference=2: the site total is not the sum of its meters\n/);
}

it('reconciles a site fed through the collector into the embedded store', async () => {
  const dataDir = join(dir, 'embedded');
  const storage = await openStorage({ kind: 'embedded', path: join(dataDir, 'jieneng.sqlite') });
  try {
    await feedAndVerify('embedded', storage, { DATA_DIR: dataDir, INFLUX_URL: '' });
  } finally {
    await storage.close();
  }
}, 120_000);

it('reconciles a site fed through the collector into InfluxDB 1.6.7', async () => {
  const url = inject('influxUrl');
  const database = `verify_${process.pid}`;
  await createDatabase(url, database);
  const storage = await openStorage({ kind: 'influxdb', url, version: 1, database });
  try {
    await feedAndVerify('influx', storage, { INFLUX_URL: url, INFLUX_DB: database, INFLUX_VERSION: '1' });
  } finally {
    await storage.close();
  }
}, 120_000);
