/**
 * An inverter's AC yield counter becomes interval energy at ingestion like a meter's (issue 18 §3): rows in
 * energy_15m / energy_1d under the inverter's id, medium electricity, positive = generated, through the same
 * roll-over, gap and provenance rules; never part of a building's consumption total. Real embedded store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { checkSite } from '../core/site/load.ts';
import { openEmbeddedStorage } from '../storage/embedded/store.ts';
import { createIngestor } from './ingest.ts';
import { energyCounter } from './point-rules.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 2, 0); // 10:00 in Shanghai, on the 15-minute grid
const dir = mkdtempSync(join(tmpdir(), 'jieneng-generation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const site = checkSite({
  version: 1,
  site: { id: 'pv-site', name: '光伏', timezone: 'Asia/Shanghai' },
  buildings: [{ id: 'b1', name: '一号楼', floor_area_m2: 1000 }],
  gateways: [{ id: 'gw1', poll_interval_s: 60 }],
  devices: [
    { id: 'main', name: '总表', kind: 'meter', medium: 'electricity', category: '01000', building: 'b1', gateway: 'gw1', template: 'chint-dtsu666', address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: 15999, unit_id: 1 } },
    { id: 'inv1', name: '逆变器', kind: 'inverter', building: 'b1', gateway: 'gw1', template: 'sunspec-inverter', address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: 15999, unit_id: 2 } },
  ],
});

it('derives an inverter\'s generation from its yield counter and keeps it out of the building total', async () => {
  expect(energyCounter(site.devices[1])).toEqual({ point: 'energy_yield_kwh', medium: 'electricity' });
  const storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
  const ingestor = createIngestor({ site, storage, stateDir: join(dir, 'state'), now: () => T0 + 3_600_000 });
  try {
    // yield 5000 → 5006 → 5015 at 0, 10, 20 min: 6 kWh in interval 0; 9 kWh over 10–20 → 4.5 + 4.5
    // main 100 → 101 → 102: 1 + 0.5 in interval 0, 0.5 in interval 15
    for (const [minute, yieldKwh, main] of [[0, 5000, 100], [10, 5006, 101], [20, 5015, 102]]) {
      const r = await ingestor.ingest({
        v: 1, site: 'pv-site', gateway: 'gw1', seq: minute, sent_ts: T0 + minute * MIN, readings: [
          { device: 'inv1', ts: T0 + minute * MIN, points: { energy_yield_kwh: { value: yieldKwh, quality: 'good' }, power_ac_kw: { value: 50, quality: 'good' } } },
          { device: 'main', ts: T0 + minute * MIN, points: { energy_import_kwh: { value: main, quality: 'good' } } },
        ],
      });
      expect(r.rejected).toEqual([]);
    }
    await ingestor.flush();
    const rows = await storage.raw({ measurement: 'energy_15m', from: T0, to: T0 + 3_600_000, where: { meter: 'inv1' } });
    expect(rows.map((p) => [(p.time - T0) / MIN, p.tags.medium, p.fields.energy_kwh, p.fields.intervals])).toEqual([[0, 'electricity', 10.5, 1], [15, 'electricity', 4.5, 1]]);
    const [day] = await storage.raw({ measurement: 'energy_1d', from: T0 - 86_400_000, to: T0 + 86_400_000, where: { meter: 'inv1' } });
    expect(day.fields).toMatchObject({ energy_kwh: 15, intervals: 2, intervals_estimated: 0 });
    // the building's consumption total is its root meter only: 1.5 + 0.5, never the generation
    const building = await storage.raw({ measurement: 'energy_building_15m', from: T0, to: T0 + 3_600_000, where: { building: 'b1', category: '01000' } });
    expect(building.map((p) => p.fields.energy_kwh)).toEqual([1.5, 0.5]);
  } finally {
    await ingestor.close();
    await storage.close();
  }
});
