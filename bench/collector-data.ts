/** The collector benchmark's site and traffic: a district-sized slice with realistic per-gateway poll batches. */
import type { DeviceReading, ReadingBatch } from '../core/contract/v1.ts';
import { checkSite } from '../core/site/load.ts';
import type { Device, SiteModel } from '../core/site/schema.ts';

export const GATEWAYS = 10;
export const METERS_PER_GATEWAY = 50;
export const POLL_MS = 15_000;
export const POINTS = ['energy_import_kwh', 'energy_export_kwh', 'power_kw', 'voltage_l12_v', 'voltage_l1_v', 'voltage_l2_v',
  'voltage_l3_v', 'current_l1_a', 'current_l2_a', 'current_l3_a', 'frequency_hz', 'power_factor'];

/** A district-sized slice: per gateway one building, a main meter over 49 sub-meters of four sub-items (CHINT DTSU666, the points of its template). */
export function benchSite(): SiteModel {
  const devices: Device[] = [];
  const cats = ['01A00', '01B00', '01C00', '01D00'];
  for (let g = 0; g < GATEWAYS; g++) {
    for (let m = 0; m < METERS_PER_GATEWAY; m++) {
      devices.push({
        id: `g${g}-m${m}`, name: `表${g}-${m}`, kind: 'meter', medium: 'electricity', building: `b${g}`, gateway: `gw${g}`,
        template: 'chint-dtsu666', address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: 15100 + g, unit_id: m + 1 },
        category: m === 0 ? '01000' : cats[m % 4], parent: m === 0 ? undefined : `g${g}-m0`,
      });
    }
  }
  return checkSite({
    version: 1,
    site: { id: 'bench', name: '基准站点', timezone: 'Asia/Shanghai' },
    buildings: Array.from({ length: GATEWAYS }, (_, g) => ({ id: `b${g}`, name: `楼${g}`, floor_area_m2: 10_000 })),
    gateways: Array.from({ length: GATEWAYS }, (_, g) => ({ id: `gw${g}`, poll_interval_s: POLL_MS / 1000 })),
    devices,
  });
}

/**
 * One poll batch per gateway per cycle; counters advance, other points wander plausibly. `firstCycle` continues an
 * earlier call's counters and seq (cycle c is stamped `start_ms + c × POLL_MS`).
 */
export function benchBatches(start_ms: number, cycles: number, firstCycle = 0): ReadingBatch[][] {
  const out: ReadingBatch[][] = [];
  for (let c = firstCycle; c < firstCycle + cycles; c++) {
    const ts = start_ms + c * POLL_MS;
    out.push(Array.from({ length: GATEWAYS }, (_, g) => {
      const readings: DeviceReading[] = Array.from({ length: METERS_PER_GATEWAY }, (_, m) => {
        const base = 1000 * (m + 1) + c * (m === 0 ? 2.5 : 0.05);
        const values = [base, 10 + m, 20 + (c % 7), 400, 231, 229, 230, 30 + (m % 9), 31, 29, 50, 0.95];
        return { device: `g${g}-m${m}`, ts, points: Object.fromEntries(POINTS.map((p, i) => [p, { value: values[i], quality: 'good' as const }])) };
      });
      return { v: 1 as const, site: 'bench', gateway: `gw${g}`, seq: c, sent_ts: ts, readings };
    }));
  }
  return out;
}

