/**
 * Deleting the collector's state mid-day (issue 12.6): on restart every meter's state is rebuilt from storage, so
 * the stored day still equals the counter difference; against the real embedded store and a real InfluxDB 1.x.
 * Before the rebuild the restarted collector took every meter as new and overwrote the day with a partial total.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { MEASUREMENT } from '../core/measurements.ts';
import { StartupError } from '../core/errors.ts';
import { openEmbeddedStorage } from '../storage/embedded/store.ts';
import { openStorage } from '../storage/index.ts';
import type { Storage, StoredPoint } from '../storage/port.ts';
import { createDatabase } from '../test/harness/influxd.ts';
import { collectorCli } from './cli.ts';
import type { IngestorOptions } from './ingest.ts';
import { openIngestor, rebuildMissingMeterState } from './state-rebuild.ts';
import { STATE_FILE } from './state-store.ts';
import { writeSiteFile } from './testing/process.ts';
import { collectorTestSite } from './testing/site.ts';
import { ReadingStream } from './testing/stream.ts';

const MIN = 60_000;
const MIDNIGHT = Date.UTC(2026, 0, 4, 16, 0); // 2026-01-05 00:00 in Shanghai
const STEP = 2 * MIN;
const STEPS = 420; // 00:00 … 13:58 local
const NOW = MIDNIGHT + STEPS * STEP;
const METERS = ['main', 'lighting', 'hvac', 'water'];
const site = collectorTestSite();
/** within one quantum of the stream's counters (0.001): Σ of totals each rounded to 1e-6 differs by a few 1e-6 */
const QUANTUM_DIGITS = 3;

let dir: string;
const cleanups: (() => Promise<unknown>)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jieneng-rebuild-'));
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

const stores: [string, () => Promise<Storage>][] = [
  ['the embedded store', async () => openEmbeddedStorage({ path: join(dir, 'store.sqlite') })],
  ['InfluxDB 1.x', async () => {
    const db = `rebuild_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    await createDatabase(inject('influxUrl'), db);
    return openStorage({ kind: 'influxdb', url: inject('influxUrl'), database: db, version: 1 });
  }],
];

describe.each(stores)('state rebuilt from %s', (_name, open) => {
  let storage: Storage;
  let options: IngestorOptions;
  beforeEach(async () => {
    storage = await open();
    cleanups.push(() => storage.close());
    options = { site, storage, stateDir: join(dir, 'state'), now: () => NOW };
  });

  /** Ingest steps [from, to) of the stream with a fresh ingestor (rebuilt from storage), flushed and closed. */
  async function run(stream: ReadingStream, from: number, to: number): Promise<void> {
    const ingestor = await openIngestor(options);
    for (let i = from; i < to; i++) for (const b of stream.step(i)) expect((await ingestor.ingest(b)).rejected).toEqual([]);
    await ingestor.flush();
    await ingestor.close();
  }
  async function sum(measurement: string, where: Record<string, string>, field: string): Promise<number> {
    const rows = await storage.raw({ measurement, from: MIDNIGHT - 86_400_000, to: NOW + 86_400_000, where });
    return rows.reduce((a, p) => a + Number(p.fields[field]), 0);
  }
  async function expectDayEqualsCounterDifference(stream: ReadingStream): Promise<void> {
    for (const meter of METERS) {
      const field = meter === 'water' ? 'water_m3' : 'energy_kwh';
      const day = await storage.raw({ measurement: MEASUREMENT.energy1d, from: MIDNIGHT, to: MIDNIGHT + 1, where: { meter } });
      expect(day.map((p) => Number(p.fields[field]))[0], `${meter} day`).toBeCloseTo(stream.total(meter), QUANTUM_DIGITS);
      expect(await sum(MEASUREMENT.energy15m, { meter }, field), `${meter} Σ 15 min`).toBeCloseTo(stream.total(meter), QUANTUM_DIGITS);
    }
    expect(await sum(MEASUREMENT.buildingEnergy1d, { building: 'b1', category: '01000' }, 'energy_kwh')).toBeCloseTo(stream.total('main'), QUANTUM_DIGITS);
  }

  it('keeps the day equal to the counter difference when the state database is deleted mid-day', async () => {
    const stream = new ReadingStream(MIDNIGHT, STEP, site.site.id);
    await run(stream, 0, 250);
    rmSync(options.stateDir, { recursive: true, force: true }); // 08:20 local: the state is gone
    await run(stream, 250, STEPS);
    await expectDayEqualsCounterDifference(stream);
  });

  it('restores the intervals of the day before when the last reading before the loss was before local midnight', async () => {
    // From 18:00 local the day before: the state is lost at 23:40 and the collector back at 08:00 (NOW 14:00)
    const stream = new ReadingStream(MIDNIGHT - 6 * 60 * MIN, STEP, site.site.id);
    await run(stream, 0, 170);
    rmSync(options.stateDir, { recursive: true, force: true });
    await run(stream, 300, 300 + 1); // one reading after the loss, at 04:00: a gap segment over midnight
    await run(stream, 301, 600);
    for (const meter of METERS) {
      const field = meter === 'water' ? 'water_m3' : 'energy_kwh';
      // the readings skipped (170 … 299) are no loss: the gap segment spreads their energy, estimated
      expect(await sum(MEASUREMENT.energy15m, { meter }, field), `${meter} Σ 15 min`).toBeCloseTo(stream.total(meter), QUANTUM_DIGITS);
      expect(await sum(MEASUREMENT.energy1d, { meter }, field), `${meter} Σ days`).toBeCloseTo(stream.total(meter), QUANTUM_DIGITS);
    }
  });

  it('recomputes from telemetry that is ahead of the stored energy rows, never shrinking a stored total', async () => {
    const stream = new ReadingStream(MIDNIGHT, STEP, site.site.id);
    await run(stream, 0, 250);
    // The telemetry of steps 250 … 259 reached storage but their energy rows did not (the state was lost between).
    const telemetry: StoredPoint[] = [];
    for (let i = 250; i < 260; i++) {
      for (const b of stream.step(i)) {
        for (const r of b.readings) {
          const building = site.devices.find((d) => d.id === r.device)!.building;
          for (const [point, pv] of Object.entries(r.points)) {
            telemetry.push({ measurement: MEASUREMENT.telemetry, tags: { site: site.site.id, building, gateway: b.gateway, device: r.device, point, quality: pv.quality }, fields: { value: pv.value as number }, time: r.ts });
          }
        }
      }
    }
    await storage.write(telemetry);
    await storage.flush();
    rmSync(options.stateDir, { recursive: true, force: true });
    const report = await rebuildMissingMeterState(options);
    expect(report).toMatchObject({ missing: 4, rebuilt: 4 });
    expect([...report.rewrite.keys()].sort()).toEqual([...METERS].sort());
    await run(stream, 260, STEPS);
    await expectDayEqualsCounterDifference(stream);
  });
});

it('rebuilds only the meters a state database lacks (a gateway a partition change handed to this collector)', async () => {
  const storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
  cleanups.push(() => storage.close());
  const stateDir = join(dir, 'state');
  const stream = new ReadingStream(MIDNIGHT, STEP, site.site.id);
  let ingestor = await openIngestor({ site, storage, stateDir, now: () => NOW });
  for (let i = 0; i < 250; i++) for (const b of stream.step(i)) await ingestor.ingest(b);
  await ingestor.flush();
  await ingestor.close();
  const db = new Database(join(stateDir, STATE_FILE));
  for (const table of ['meter_reading', 'meter_interval', 'meter_meta']) db.prepare(`DELETE FROM ${table} WHERE meter = 'water'`).run();
  db.close();
  expect(await rebuildMissingMeterState({ site, storage, stateDir, now: () => NOW })).toMatchObject({ missing: 1, rebuilt: 1 });
  ingestor = await openIngestor({ site, storage, stateDir, now: () => NOW });
  for (let i = 250; i < STEPS; i++) for (const b of stream.step(i)) await ingestor.ingest(b);
  await ingestor.flush();
  await ingestor.close();
  for (const [meter, field] of [['water', 'water_m3'], ['main', 'energy_kwh']]) {
    const day = await storage.raw({ measurement: MEASUREMENT.energy1d, from: MIDNIGHT, to: MIDNIGHT + 1, where: { meter } });
    expect(Number(day[0].fields[field]), meter).toBeCloseTo(stream.total(meter), QUANTUM_DIGITS);
  }
});

describe('an unreadable state file', () => {
  it('is one line naming the file and the rebuild-state command, not `SqliteError: file is not a database`', async () => {
    const stateDir = join(dir, 'state');
    rmSync(stateDir, { recursive: true, force: true });
    await import('node:fs').then((fs) => fs.mkdirSync(stateDir, { recursive: true }));
    writeFileSync(join(stateDir, STATE_FILE), 'this is not a database, it is a page of notes '.repeat(200));
    const storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
    cleanups.push(() => storage.close());
    const err = await openIngestor({ site, storage, stateDir }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain(join(stateDir, STATE_FILE));
    expect(message).toContain('file is not a database');
    expect(message).toContain(`jieneng collector rebuild-state --site <site.yaml> --data ${stateDir}`);
  });

  it('is the same one line when pages of the file are damaged', async () => {
    const stateDir = join(dir, 'state');
    const storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
    cleanups.push(() => storage.close());
    const stream = new ReadingStream(MIDNIGHT, STEP, site.site.id);
    const ingestor = await openIngestor({ site, storage, stateDir, now: () => NOW });
    for (let i = 0; i < STEPS; i++) for (const b of stream.step(i)) await ingestor.ingest(b);
    await ingestor.close(); // checkpoints the log into the file
    const file = join(stateDir, STATE_FILE);
    const bytes = readFileSync(file);
    bytes.fill(0xa5, 4 * 4096, bytes.length - 4096); // the counter tables' pages, not the schema on page 1
    writeFileSync(file, bytes);
    const err = await openIngestor({ site, storage, stateDir, now: () => NOW }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toMatch(new RegExp(`^collector state file ${file} is unreadable \\(.*\\): run \`jieneng collector rebuild-state --site <site.yaml> --data ${stateDir}\` to set it aside`));
  });

  it('stops the start in one line when state is missing and storage cannot be read', async () => {
    const storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
    cleanups.push(() => storage.close());
    // the real store, except that reading it fails as an unreachable server does
    const down: Storage = Object.assign(Object.create(storage) as Storage, { aggregate: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:8086')) });
    const err = await rebuildMissingMeterState({ site, storage: down, stateDir: join(dir, 'state') }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toMatch(/^the counter state of 4 meter\(s\) is missing from .*collector-state\.sqlite and storage could not be read to rebuild it \(connect ECONNREFUSED .*\): start storage and start the collector again$/);
  });

  it('is set aside by `jieneng collector rebuild-state`, which rebuilds the state from storage', async () => {
    const stateDir = join(dir, 'collector');
    const storagePath = join(dir, 'jieneng.sqlite'); // where DATA_DIR puts the embedded store
    // The command reads storage at the real clock: readings of the last 14 h, to now.
    const start = Math.floor(Date.now() / (15 * MIN)) * 15 * MIN - STEPS * STEP;
    const stream = new ReadingStream(start, STEP, site.site.id);
    let storage = openEmbeddedStorage({ path: storagePath });
    let ingestor = await openIngestor({ site, storage, stateDir });
    for (let i = 0; i < 150; i++) for (const b of stream.step(i)) await ingestor.ingest(b);
    await ingestor.flush();
    await ingestor.close();
    await storage.close();
    for (const f of ['', '-wal', '-shm']) rmSync(join(stateDir, STATE_FILE + f), { force: true });
    writeFileSync(join(stateDir, STATE_FILE), 'not a database '.repeat(500));

    const env = { DATA_DIR: process.env.DATA_DIR, INFLUX_URL: process.env.INFLUX_URL };
    process.env.DATA_DIR = dir;
    delete process.env.INFLUX_URL;
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await collectorCli(['rebuild-state', '--site', writeSiteFile(dir, site), '--data', stateDir])).toBe(0);
      expect(String(out.mock.calls.at(-1)?.[0])).toMatch(new RegExp(`^rebuilt the counter state of 4 of 4 meter\\(s\\) missing from ${join(stateDir, STATE_FILE)} from storage; the unreadable file is kept as ${join(stateDir, STATE_FILE)}\\.unreadable-`));
    } finally {
      out.mockRestore();
      for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }

    storage = openEmbeddedStorage({ path: storagePath });
    cleanups.push(() => storage.close());
    ingestor = await openIngestor({ site, storage, stateDir });
    for (let i = 150; i < STEPS; i++) for (const b of stream.step(i)) await ingestor.ingest(b);
    await ingestor.flush();
    await ingestor.close();
    for (const measurement of [MEASUREMENT.energy15m, MEASUREMENT.energy1d]) {
      const rows = await storage.raw({ measurement, from: start - 86_400_000, to: Date.now() + 86_400_000, where: { meter: 'main' } });
      expect(rows.reduce((a, p) => a + Number(p.fields.energy_kwh), 0)).toBeCloseTo(stream.total('main'), QUANTUM_DIGITS);
    }
  });
});
