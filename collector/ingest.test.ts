/**
 * The ingestion pipeline against the real embedded store: energy rows per meter, building × category and
 * virtual meter, rejections by reason, redelivery and restart without double counting.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeviceReading, ReadingBatch } from '../core/contract/v1.ts';
import { openEmbeddedStorage } from '../storage/embedded/store.ts';
import type { Storage, StoredPoint } from '../storage/port.ts';
import { createIngestor, type Ingestor } from './ingest.ts';
import { collectorTestSite } from './testing/site.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 2, 0); // 10:00 in Shanghai, on the 15-minute grid
const site = collectorTestSite();

let dir: string;
let storage: Storage;
let ingestor: Ingestor;
let seq = 0;
const open = () => createIngestor({ site, storage, stateDir: join(dir, 'state'), now: () => T0 + 2 * 3_600_000 });

function batch(gateway: string, readings: DeviceReading[]): ReadingBatch {
  return { v: 1, site: 'test-site', gateway, seq: seq++, sent_ts: T0, readings };
}
function reading(device: string, minute: number, points: Record<string, number>): DeviceReading {
  return { device, ts: T0 + minute * MIN, points: Object.fromEntries(Object.entries(points).map(([k, v]) => [k, { value: v, quality: 'good' as const }])) };
}
async function rows(measurement: string, where: Record<string, string>): Promise<StoredPoint[]> {
  await ingestor.flush();
  return storage.raw({ measurement, from: T0 - 3 * 86_400_000, to: T0 + 86_400_000, where });
}
const kwh = (ps: StoredPoint[]) => ps.map((p) => [(p.time - T0) / MIN, p.fields.energy_kwh, p.fields.estimated]);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jieneng-ingest-'));
  storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
  ingestor = open();
});
afterEach(async () => {
  await ingestor.close();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ingest', () => {
  it('keeps every interval of a long batch that outruns the recompute horizon (backfill, gateway backlog)', async () => {
    // 150 readings 10 min apart (25 h) in one batch, +1.5 m³ each: Σ intervals = Σ days = 149 × 1.5 = 223.5
    const readings = Array.from({ length: 150 }, (_, i) => reading('water', i * 10 - 24 * 60, { water_m3: 100 + i * 1.5 }));
    expect((await ingestor.ingest(batch('gw2', readings))).rejected).toEqual([]);
    const sum = (ps: StoredPoint[]) => ps.reduce((a, p) => a + Number(p.fields.water_m3), 0);
    expect(sum(await rows('energy_15m', { meter: 'water' }))).toBeCloseTo(223.5, 6);
    expect(sum(await rows('energy_1d', { meter: 'water' }))).toBeCloseTo(223.5, 6);
    expect(sum(await rows('energy_building_1d', { building: 'b2', category: '02000' }))).toBeCloseTo(223.5, 6);
  });


  it('writes telemetry, meter intervals, building × category rollups and virtual meters', async () => {
    // main 1000 → 1010 → 1016 at 0, 10, 20 min; lighting 50 → 52 → 54; hvac 99 999 → 1 (roll-over, +2) → 3
    for (const [min, main, light, hvac] of [[0, 1000, 50, 99_999], [10, 1010, 52, 1], [20, 1016, 54, 3]]) {
      const r = await ingestor.ingest(batch('gw1', [
        reading('main', min, { energy_import_kwh: main, power_kw: 30 }),
        reading('lighting', min, { energy_import_kwh: light }),
        reading('hvac', min, { energy_import_kwh: hvac }),
      ]));
      expect(r.rejected).toEqual([]);
    }
    expect((await rows('telemetry', { device: 'main', point: 'power_kw' })).length).toBe(3);
    // main: 10 kWh in 0–10 → interval 0; 6 kWh in 10–20 → 3 to interval 0, 3 to interval 15
    expect(kwh(await rows('energy_15m', { meter: 'main' }))).toEqual([[0, 13, 0], [15, 3, 0]]);
    // lighting: 2 + 1 = 3, then 1; hvac: 2 + 1 = 3, then 1 (the roll-over counted through)
    expect(kwh(await rows('energy_15m', { meter: 'hvac' }))).toEqual([[0, 3, 0], [15, 1, 0]]);
    // virtual b1-rest = main − lighting − hvac: 13 − 3 − 3 = 7, 3 − 1 − 1 = 1
    expect(kwh(await rows('energy_15m', { meter: 'b1-rest' }))).toEqual([[0, 7, 0], [15, 1, 0]]);
    // building total = root meters only (main), never main + its sub-meters
    expect(kwh(await rows('energy_building_15m', { building: 'b1', category: '01000' }))).toEqual([[0, 13, 0], [15, 3, 0]]);
    expect(kwh(await rows('energy_building_15m', { building: 'b1', category: '01A00' }))).toEqual([[0, 3, 0], [15, 1, 0]]);
    // the local day (Shanghai) holding 10:00–10:20: 16 kWh for main
    const day = await rows('energy_1d', { meter: 'main' });
    expect(day.map((p) => [new Date(p.time).toISOString(), p.fields.energy_kwh])).toEqual([['2026-01-04T16:00:00.000Z', 16]]);
  });

  it('rejects by reason and keeps the good readings of the same batch', async () => {
    const r = await ingestor.ingest(batch('gw1', [
      reading('main', 0, { energy_import_kwh: 1000, nonsense: 1, power_kw: 5 }),
      reading('ghost', 0, { energy_import_kwh: 1 }),
      reading('water', 0, { water_m3: 5 }),
      reading('lighting', 0, { energy_import_kwh: -4 }),
      reading('hvac', 3 * 60, { energy_import_kwh: 4 }),
      reading('hvac', -60 * 24 * 60, { energy_import_kwh: 4 }),
    ]));
    expect(r.rejected.map((x) => x.reason).sort()).toEqual(['future_timestamp', 'out_of_range', 'past_timestamp', 'unknown_device', 'unknown_point', 'wrong_gateway']);
    expect(r.accepted).toBe(2);
    expect((await ingestor.ingestMessage('jieneng/v1/test-site/gw1/readings', '{oops')).rejected[0].reason).toBe('not_json');
    expect((await ingestor.ingestMessage('jieneng/v1/test-site/gw1/readings', '{"v":2}')).rejected[0].reason).toBe('schema');
    expect((await ingestor.ingestMessage('jieneng/v1/test-site/gw9/readings', JSON.stringify(batch('gw1', [reading('main', 1, { power_kw: 1 })])))).rejected[0].reason).toBe('topic_mismatch');
    expect((await ingestor.ingest({ ...batch('gw1', [reading('main', 1, { power_kw: 1 })]), site: 'elsewhere' })).rejected[0].reason).toBe('unknown_site');
  });

  it('counts nothing twice when a batch is redelivered or the collector restarts', async () => {
    const b1 = batch('gw2', [reading('water', 0, { water_m3: 10 })]);
    const b2 = batch('gw2', [reading('water', 10, { water_m3: 12 })]);
    await ingestor.ingest(b1);
    await ingestor.ingest(b2);
    await ingestor.ingest(b2); // QoS 1 redelivery
    await ingestor.flush();
    await ingestor.close();
    ingestor = open(); // restart: counter state comes back from the state database
    await ingestor.ingest(b2);
    await ingestor.ingest(batch('gw2', [reading('water', 20, { water_m3: 13 })]));
    // 10 → 12 in interval 0 (2 m³); 12 → 13 over 10–20: half in interval 0, half in 15 → 2.5, 0.5
    const got = await rows('energy_15m', { meter: 'water' });
    expect(got.map((p) => [(p.time - T0) / MIN, p.fields.water_m3])).toEqual([[0, 2.5], [15, 0.5]]);
  });

  it('forgets settled counter state in bulk, and a restart trims what the database still held', async () => {
    await ingestor.close();
    const opts = { site, storage, stateDir: join(dir, 'state'), now: () => T0 + 2 * 86_400_000, recomputeHorizonMs: 3_600_000, pruneEveryReadings: 10 };
    ingestor = createIngestor(opts);
    // water +1 m³ every 30 min for 36 h; the horizon keeps 1 h of readings
    for (let i = 0; i <= 72; i++) await ingestor.ingest(batch('gw2', [reading('water', i * 30, { water_m3: 100 + i })]));
    await ingestor.flush();
    await ingestor.close();
    const db = new Database(join(dir, 'state', 'collector-state.sqlite'), { readonly: true });
    const kept = (db.prepare("SELECT COUNT(*) AS n FROM meter_reading WHERE meter = 'water'").get() as { n: number }).n;
    db.close();
    expect(kept).toBeLessThan(15); // at most the 10 readings since the last prune, plus the horizon's
    // After a restart a late reading older than the horizon changes nothing, as without the restart.
    ingestor = createIngestor(opts);
    const late = await ingestor.ingest(batch('gw2', [reading('water', 60 * 30 + 5, { water_m3: 160.2 })]));
    expect(late.energyRows).toBe(0);
    await ingestor.ingest(batch('gw2', [reading('water', 73 * 30, { water_m3: 173 })]));
    // 100 → 173 m³ over the two local days: 73 m³, none lost or counted twice across prunes and the restart
    const days = await rows('energy_1d', { meter: 'water' });
    expect(days.length).toBe(2);
    expect(days.reduce((sum, p) => sum + Number(p.fields.water_m3), 0)).toBeCloseTo(73, 6);
  });
});
