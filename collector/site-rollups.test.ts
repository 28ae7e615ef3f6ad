/**
 * The site totals (decision 0407) against the real embedded store: every site row equals the sum of the building
 * totals of its time, field by field, also after late readings re-split intervals and after a restart; the row
 * saying from when the site rows are complete; the partition tag of a partitioned collector.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeviceReading, ReadingBatch } from '../core/contract/v1.ts';
import { checkSite } from '../core/site/load.ts';
import { zonedTime } from '../core/time.ts';
import { openEmbeddedStorage } from '../storage/embedded/store.ts';
import type { Storage, StoredPoint } from '../storage/port.ts';
import { createIngestor, type Ingestor } from './ingest.ts';

const MIN = 60_000;
const DAY = zonedTime('Asia/Shanghai', 2026, 1, 5);
const addr = (unit_id: number) => ({ protocol: 'modbus-tcp' as const, host: '127.0.0.1', port: 15999, unit_id });
const meter = (id: string, building: string, gateway: string, unit: number, extra: object = {}) => ({
  id, name: id, kind: 'meter' as const, medium: 'electricity' as const, category: '01000', building, gateway,
  template: 'chint-dtsu666', ct_ratio: 200, address: addr(unit), ...extra,
});
/** Two buildings on two gateways: b1 one root meter with a sub-meter (not in the totals), b2 two root meters. */
const site = checkSite({
  version: 1,
  site: { id: 'sr', name: '站点', timezone: 'Asia/Shanghai' },
  buildings: [{ id: 'b1', name: '一号楼', floor_area_m2: 1000 }, { id: 'b2', name: '二号楼', floor_area_m2: 500 }],
  gateways: [{ id: 'gw1', poll_interval_s: 60 }, { id: 'gw2', poll_interval_s: 60 }],
  devices: [
    meter('m1', 'b1', 'gw1', 1), meter('m1-sub', 'b1', 'gw1', 2, { parent: 'm1', category: '01A00' }),
    meter('m2', 'b2', 'gw2', 3), meter('m3', 'b2', 'gw2', 4),
  ],
});
const FIELDS = ['energy_kwh', 'estimated', 'estimated_kwh', 'intervals', 'intervals_estimated'];

let dir: string;
let storage: Storage;
let ingestor: Ingestor;
let seq = 0;
const open = (partition?: string) => createIngestor({ site, storage, stateDir: join(dir, 'state'), now: () => DAY + 20 * 3_600_000, partition });

function batch(gateway: string, readings: DeviceReading[]): ReadingBatch {
  return { v: 1, site: 'sr', gateway, seq: seq++, sent_ts: DAY, readings };
}
/** A meter's counter at `minute` of the day: `kwh` per minute from 1 000 kWh. */
const reading = (device: string, minute: number, kwhPerMin: number): DeviceReading =>
  ({ device, ts: DAY + minute * MIN, points: { energy_import_kwh: { value: 1000 + minute * kwhPerMin, quality: 'good' } } });
async function rows(measurement: string, where: Record<string, string> = {}): Promise<StoredPoint[]> {
  await ingestor.flush();
  return storage.raw({ measurement, from: DAY - 86_400_000, to: DAY + 2 * 86_400_000, where: { site: 'sr', ...where } });
}

/** Every site row equals the sum of the building rows of its time (and there is one for each such time). */
async function expectSiteEqualsBuildings(): Promise<number> {
  let compared = 0;
  for (const [building, siteM] of [['energy_building_15m', 'energy_site_15m'], ['energy_building_1d', 'energy_site_1d']]) {
    const sums = new Map<number, Record<string, number>>();
    for (const r of await rows(building, { category: '01000' })) {
      const s = sums.get(r.time) ?? Object.fromEntries(FIELDS.map((f) => [f, 0]));
      for (const f of FIELDS) s[f] = f === 'estimated' ? Math.max(s[f], Number(r.fields[f])) : s[f] + Number(r.fields[f]);
      sums.set(r.time, s);
    }
    const siteRows = await rows(siteM);
    expect(siteRows.map((r) => r.time).sort()).toEqual([...sums.keys()].sort());
    for (const r of siteRows) {
      expect(r.tags).toEqual({ site: 'sr', medium: 'electricity', category: '01000', partition: '0/1' });
      for (const f of FIELDS) expect(Number(r.fields[f])).toBeCloseTo(sums.get(r.time)![f], 9);
      compared++;
    }
  }
  return compared;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jieneng-site-rollups-'));
  storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
  ingestor = open();
});
afterEach(async () => {
  await ingestor.close();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('site rollups', () => {
  it('equal the sum of the building totals, also after late readings re-split intervals and a gap is estimated', async () => {
    // 08:00–10:00 every 5 min; m2 misses 08:40–09:20 (a gap, estimated); the sub-meter is not a root meter.
    const minutes = Array.from({ length: 25 }, (_, i) => 8 * 60 + i * 5);
    await ingestor.ingest(batch('gw1', minutes.flatMap((m) => [reading('m1', m, 2), reading('m1-sub', m, 1)])));
    await ingestor.ingest(batch('gw2', minutes.flatMap((m) => [...(m > 520 && m < 560 ? [] : [reading('m2', m, 1.5)]), reading('m3', m, 0.5)])));
    expect(await expectSiteEqualsBuildings()).toBeGreaterThan(8);
    // The day: m1 2 × 120 + m2 1.5 × 120 + m3 0.5 × 120 = 480 kWh (the sub-meter's 120 not added).
    const [day] = await rows('energy_site_1d');
    expect(Number(day.fields.energy_kwh)).toBeCloseTo(480, 9);
    expect(day.fields.estimated).toBe(1);

    // Late readings of m2 inside the gap: the intervals are measured now, and every site row follows.
    await ingestor.ingest(batch('gw2', [525, 530, 535, 540, 545, 550, 555].map((m) => reading('m2', m, 1.5))));
    await expectSiteEqualsBuildings();
    const [after] = await rows('energy_site_1d');
    expect(Number(after.fields.energy_kwh)).toBeCloseTo(480, 9);
    expect(after.fields.estimated).toBe(0);
  });

  it('says from when they are complete, and writes again at start what memory holds', async () => {
    const [first] = await rows('energy_site_since');
    expect(first.tags).toEqual({ site: 'sr', partition: '0/1' });
    expect(first.time).toBe(DAY); // nothing held: the day of the collector's clock
    await ingestor.ingest(batch('gw1', [0, 5, 10, 15, 20].map((m) => reading('m1', 9 * 60 + m, 1))));
    await ingestor.close();
    await storage.close();
    // A restart with the same state, into a store that lost its site rows: they come back from memory.
    storage = openEmbeddedStorage({ path: join(dir, 'store2.sqlite') });
    ingestor = open();
    const since = await rows('energy_site_since');
    expect(since.map((r) => r.time)).toEqual([DAY]);
    expect((await rows('energy_site_15m')).map((r) => [(r.time - DAY) / MIN, Number(r.fields.energy_kwh)]))
      .toEqual([[540, 15], [555, 5]]);
    expect(Number((await rows('energy_site_1d'))[0].fields.energy_kwh)).toBeCloseTo(20, 9);
  });

  it('carry the partition of a partitioned collector', async () => {
    await ingestor.close();
    ingestor = open('1/2');
    await ingestor.ingest(batch('gw2', [0, 15].map((m) => reading('m2', 9 * 60 + m, 1))));
    expect((await rows('energy_site_15m', { partition: '1/2' })).map((r) => Number(r.fields.energy_kwh))).toEqual([15]);
    expect((await rows('energy_site_since', { partition: '1/2' }))).toHaveLength(1);
  });
});
