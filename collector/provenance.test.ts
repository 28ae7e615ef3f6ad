/**
 * Provenance of the energy rows (issue 12, decision 0403): every row says how many 15-minute intervals it adds
 * up, how many of them hold an estimate and their quantity — per meter, per building total, per day — against the
 * real embedded store; and a meter's day keeps these counts right when a late reading turns a gap into measurements.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeviceReading } from '../core/contract/v1.ts';
import { zonedTime } from '../core/time.ts';
import { openEmbeddedStorage } from '../storage/embedded/store.ts';
import type { Storage, StoredPoint } from '../storage/port.ts';
import { MeterEnergy } from './energy/meter-energy.ts';
import { createIngestor, type Ingestor } from './ingest.ts';
import { collectorTestSite } from './testing/site.ts';
import { checkSite } from '../core/site/load.ts';

const MIN = 60_000;
const DAY = zonedTime('Asia/Shanghai', 2026, 1, 4); // a local day in Shanghai
const at = (hour: number, minute = 0) => DAY + (hour * 60 + minute) * MIN;

let dir: string;
let storage: Storage;
let ingestor: Ingestor;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jieneng-provenance-'));
  storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
  ingestor = createIngestor({ site: collectorTestSite(), storage, stateDir: join(dir, 'state'), now: () => at(36) });
});
afterEach(async () => {
  await ingestor.close();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The water meter every 5 minutes at +0.1 m³, from 00:00 to 18:05 local, without readings strictly between 02:30 and 03:30. */
function waterDay(): DeviceReading[] {
  const out: DeviceReading[] = [];
  for (let k = 0; k * 5 <= 18 * 60 + 5; k++) {
    const minute = k * 5;
    if (minute > 150 && minute < 210) continue;
    out.push({ device: 'water', ts: DAY + minute * MIN, points: { water_m3: { value: 100 + k * 0.1, quality: 'good' } } });
  }
  return out;
}

async function rows(measurement: string, where: Record<string, string>): Promise<StoredPoint[]> {
  await ingestor.flush();
  return storage.raw({ measurement, from: DAY - 86_400_000, to: DAY + 2 * 86_400_000, where });
}
const round6 = (x: unknown) => Math.round(Number(x) * 1e6) / 1e6;

describe('energy row provenance', () => {
  it('counts present and estimated quarter-hours and the estimated quantity on every row', async () => {
    const r = await ingestor.ingest({ v: 1, site: 'test-site', gateway: 'gw2', seq: 1, sent_ts: at(18, 5), readings: waterDay() });
    expect(r.rejected).toEqual([]);
    // Quarter-hours 00:00 … 18:00 are present: 73. 0.1 m³ per 5 min = 0.3 per quarter-hour; the one segment
    // 02:30 → 03:30 (60 min > the 15-minute gap threshold of a 60 s poll) is spread over 02:30, 02:45, 03:00, 03:15,
    // 0.3 each, estimated: 1.2 m³ in 4 intervals. The day: 72 × 0.3 + 0.1 (18:00–18:05) = 21.7 m³.
    for (const [measurement, where] of [['energy_1d', { meter: 'water' }], ['energy_building_1d', { building: 'b2', category: '02000' }]] as const) {
      const [day] = await rows(measurement, where);
      expect(day.time).toBe(DAY);
      expect(round6(day.fields.water_m3)).toBe(21.7);
      expect(round6(day.fields.estimated_m3)).toBe(1.2);
      expect(day.fields).toMatchObject({ estimated: 1, intervals: 73, intervals_estimated: 4 });
    }
    const quarters = await rows('energy_15m', { meter: 'water' });
    expect(quarters).toHaveLength(73);
    const q = (h: number, m: number) => quarters.find((p) => p.time === at(h, m))!.fields;
    expect(q(2, 15)).toMatchObject({ estimated: 0, estimated_m3: 0, intervals: 1, intervals_estimated: 0 });
    expect(round6(q(2, 30).estimated_m3)).toBe(0.3);
    expect(q(2, 30)).toMatchObject({ estimated: 1, intervals: 1, intervals_estimated: 1 });
    expect(q(18, 0)).toMatchObject({ intervals: 1, intervals_estimated: 0 });
  });

  it('takes an interval out of the estimated part when late readings measure it', () => {
    const m = new MeterEnergy({ replacements: [], gap_ms: 15 * MIN }, 6 * 3_600_000, undefined, () => DAY);
    const touched = new Set<number>();
    const add = (minute: number, value: number) => m.add({ ts: DAY + minute * MIN, value }, touched);
    // 10 at 00:00, 13 at 00:30 (a 30-minute gap: 1.5 + 1.5 estimated), then 14 at 00:40
    add(0, 10); add(30, 13); add(40, 14);
    expect(m.dayTotal(DAY)).toMatchObject({ intervals: 3, intervals_estimated: 2, estimated_quantity: 3 });
    // 11.5 at 00:15 arrives late: both halves are 15 minutes, no longer a gap: nothing estimated
    add(15, 11.5);
    const day = m.dayTotal(DAY);
    expect(day).toMatchObject({ intervals: 3, intervals_estimated: 0, estimated: 0 });
    expect(day.estimated_quantity).toBeCloseTo(0, 9);
    expect(day.quantity).toBeCloseTo(4, 9);
    // a restart restores the same day from the interval totals
    const copy = new MeterEnergy({ replacements: [], gap_ms: 15 * MIN }, 6 * 3_600_000, undefined, () => DAY);
    copy.restore([...m.readings], [...m.intervals].map(([s, t]) => [s, { ...t }]), m.evicted);
    expect(copy.dayTotal(DAY)).toMatchObject({ intervals: 3, intervals_estimated: 0 });
  });

  it('never replaces a building total with a partial one when a member\'s interval is already forgotten', async () => {
    // b1 has two root meters: a (gw1) and b (gw2). The collector keeps 1 h of readings, so once b has read past
    // 03:00 on day 2 it forgets its day-1 intervals. Then a's backlog of day 1 arrives (21:00–24:00).
    const meter = (id: string, gateway: string) => ({
      id, name: id, kind: 'meter', medium: 'electricity', category: '01000', building: 'b1', gateway, template: 'chint-dtsu666', ct_ratio: 100,
      address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: 15999, unit_id: 1 },
    });
    const twoRoots = checkSite({
      version: 1, site: { id: 'test-site', name: 't', timezone: 'Asia/Shanghai' }, buildings: [{ id: 'b1', name: 'b1', floor_area_m2: 100 }],
      gateways: [{ id: 'gw1', poll_interval_s: 60 }, { id: 'gw2', poll_interval_s: 60 }], devices: [meter('a', 'gw1'), meter('b', 'gw2')],
    });
    await ingestor.close();
    ingestor = createIngestor({ site: twoRoots, storage, stateDir: join(dir, 'state2'), now: () => at(36), recomputeHorizonMs: 3_600_000 });
    const readings = (device: string, from: number, to: number, base: number, step: number): DeviceReading[] => {
      const out: DeviceReading[] = [];
      for (let m = from, k = 0; m <= to; m += 15, k++) out.push({ device, ts: DAY + m * MIN, points: { energy_import_kwh: { value: base + k * step, quality: 'good' } } });
      return out;
    };
    // a: one reading at 21:00 of day 1; b: 1 kWh a quarter-hour from 21:00 of day 1 to 04:00 of day 2
    await ingestor.ingest({ v: 1, site: 'test-site', gateway: 'gw1', seq: 1, sent_ts: at(21), readings: readings('a', 21 * 60, 21 * 60, 100, 2) });
    await ingestor.ingest({ v: 1, site: 'test-site', gateway: 'gw2', seq: 1, sent_ts: at(28), readings: readings('b', 21 * 60, 28 * 60, 500, 1) });
    const building = async () => (await rows('energy_building_15m', { building: 'b1', category: '01000' })).filter((p) => p.time === at(22));
    const [before] = await building();
    expect(before.fields).toMatchObject({ energy_kwh: 1, intervals: 1 }); // b's quarter-hour: a has none yet
    const [dayBefore] = (await rows('energy_building_1d', { building: 'b1', category: '01000' })).filter((p) => p.time === DAY);
    expect(dayBefore.fields).toMatchObject({ energy_kwh: 12, intervals: 12 }); // b's 12 quarter-hours of day 1
    // a's backlog: 2 kWh a quarter-hour, 21:15 … 24:00
    await ingestor.ingest({ v: 1, site: 'test-site', gateway: 'gw1', seq: 2, sent_ts: at(28), readings: readings('a', 21 * 60 + 15, 24 * 60, 102, 2) });
    expect((await rows('energy_15m', { meter: 'a' })).filter((p) => p.time === at(22))[0].fields.energy_kwh).toBe(2);
    // The building's rows of day 1 could only be recomputed from a alone (b's are forgotten): they are left as
    // they were — b's energy, counted as 1 of 2 meters, so the API reports them incomplete — never a's alone.
    const [after] = await building();
    expect(after.fields).toMatchObject({ energy_kwh: 1, intervals: 1 });
    const [dayAfter] = (await rows('energy_building_1d', { building: 'b1', category: '01000' })).filter((p) => p.time === DAY);
    expect(dayAfter.fields).toMatchObject({ energy_kwh: 12, intervals: 12 });
    // After a restart: a's late readings at 23:50, 23:55, 23:57 (inside a's hour) re-split a's 23:45 quarter-hour
    // (still 2 kWh).
    // The state database forgets lazily: while it still holds b's day 1, the restored b makes the building's row
    // whole again (2 + 1). Run with pruning after every reading, then restarted once more, it no longer holds b's
    // day 1: the row written before stays, never a's 2 kWh alone.
    const late = async (pruneEveryReadings: number, minute: number, value: number, k: number) => {
      await ingestor.close();
      ingestor = createIngestor({ site: twoRoots, storage, stateDir: join(dir, 'state2'), now: () => at(36), recomputeHorizonMs: 3_600_000, pruneEveryReadings });
      await ingestor.ingest({ v: 1, site: 'test-site', gateway: 'gw1', seq: 3, sent_ts: at(28), readings: [{ device: 'a', ts: at(23, minute), points: { energy_import_kwh: { value, quality: 'good' } } }] });
      await ingestor.ingest({ v: 1, site: 'test-site', gateway: 'gw2', seq: 2, sent_ts: at(28, 15 * k), readings: readings('b', 28 * 60 + 15 * k, 28 * 60 + 15 * k, 528 + k, 1) });
      expect((await rows('energy_15m', { meter: 'a' })).filter((p) => p.time === at(23, 45))[0].fields.energy_kwh).toBe(2);
      return (await rows('energy_building_15m', { building: 'b1', category: '01000' })).filter((p) => p.time === at(23, 45))[0].fields;
    };
    expect(await late(50_000, 50, 122.5, 1)).toMatchObject({ energy_kwh: 3, intervals: 2 });
    expect(await late(1, 55, 123, 2)).toMatchObject({ energy_kwh: 3, intervals: 2 }); // b's day 1 forgotten after this run
    expect(await late(1, 57, 123.5, 3)).toMatchObject({ energy_kwh: 3, intervals: 2 }); // restored without it: left as stored
  });
});
