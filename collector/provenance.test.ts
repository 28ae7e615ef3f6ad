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
});
