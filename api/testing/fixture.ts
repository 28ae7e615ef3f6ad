/** A small site model and known rollup rows for the route tests (hand-checkable numbers). */
import { checkSite } from '../../core/site/load.ts';
import type { SiteModel } from '../../core/site/schema.ts';
import type { StoredPoint } from '../../storage/port.ts';
import { zonedTime } from '../../core/time.ts';

const TZ = 'Asia/Shanghai';
const meter = (id: string, building: string, extra: Record<string, unknown> = {}) => ({
  id, name: `meter ${id}`, kind: 'meter', medium: 'electricity', category: '01000', building, gateway: 'gw1', template: 't',
  address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: 15999, unit_id: 1 }, ...extra,
});

/** Two buildings; b1 has two root electricity meters (m1, m2) and a sub-meter m1a under m1 that must not be added. */
export function fixtureSite(): SiteModel {
  return checkSite({
    version: 1,
    site: { id: 'test-site', name: '测试站点', timezone: TZ },
    buildings: [
      { id: 'b1', name: '一号楼', floor_area_m2: 1000, building_class: 'A-government-office', years: [{ year: 2024, headcount: 100 }, { year: 2025, headcount: 80 }], org_units: [{ id: 'ou1', name: '办公室' }] },
      { id: 'b2', name: '二号楼', floor_area_m2: 500 },
    ],
    gateways: [{ id: 'gw1', poll_interval_s: 15 }],
    devices: [
      meter('m1', 'b1'),
      meter('m1a', 'b1', { parent: 'm1', category: '01A00' }),
      meter('m1b', 'b1', { parent: 'm1', category: '01B00' }),
      meter('m2', 'b1', { category: '01000' }),
      meter('w1', 'b1', { medium: 'water', category: '02000' }),
      meter('g1', 'b1', { medium: 'gas', category: '03000' }),
      meter('m3', 'b2'),
      { id: 'hvac1', name: 'AHU 1', kind: 'hvac', building: 'b1', gateway: 'gw1', template: 'ahu', address: { protocol: 'bacnet-ip', host: '127.0.0.1', port: 47809, device_instance: 1001 } },
    ],
  });
}

/** Local wall-clock time in Shanghai as UTC ms. */
export const sh = (y: number, mo: number, d = 1, h = 0, mi = 0) => zonedTime(TZ, y, mo, d, h, mi);

/** A rollup row as the collector writes it. */
export function rollup(measurement: 'energy_15m' | 'energy_1d', meterId: string, time: number, value: number, opts: { building?: string; medium?: string; category?: string } = {}): StoredPoint {
  const medium = opts.medium ?? 'electricity';
  const field = medium === 'water' ? 'water_m3' : medium === 'gas' ? 'gas_m3' : 'energy_kwh';
  return {
    measurement,
    tags: { site: 'test-site', building: opts.building ?? 'b1', meter: meterId, medium, category: opts.category ?? '01000' },
    fields: { [field]: value, estimated: 0 },
    time,
  };
}

/**
 * 2025-03-01 (local day): every 15 min m1 = 1 kWh, m2 = 0.5 kWh, m1a = 0.3 kWh (sub-meter, not added).
 * Daily rows: m1 = 96, m2 = 48, m1a = 28.8. Expected per hour 6 kWh, per day 144 kWh.
 */
export function dayOfRollups(): StoredPoint[] {
  const rows: StoredPoint[] = [];
  const start = sh(2025, 3, 1);
  for (let i = 0; i < 96; i++) {
    const t = start + i * 900_000;
    rows.push(rollup('energy_15m', 'm1', t, 1), rollup('energy_15m', 'm2', t, 0.5), rollup('energy_15m', 'm1a', t, 0.3, { category: '01A00' }));
  }
  rows.push(rollup('energy_1d', 'm1', start, 96), rollup('energy_1d', 'm2', start, 48), rollup('energy_1d', 'm1a', start, 28.8, { category: '01A00' }));
  return rows;
}
