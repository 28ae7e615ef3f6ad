/** A small site model and known rollup rows for the route tests (hand-checkable numbers). */
import { checkSite } from '../../core/site/load.ts';
import type { SiteModel } from '../../core/site/schema.ts';
import type { StoredPoint } from '../../storage/port.ts';
import { zonedTime } from '../../core/time.ts';
import { isWorkingDay, workCalendar } from '../domain/calendar.ts';
import { loadReferenceData } from '../reference.ts';
import { openSecurityStore, type SecurityStore } from '../security/store.ts';
import { ROLES, type Role } from '../security/roles.ts';

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
      meter('m1b', 'b1', { parent: 'm1', category: '01B00', org_unit: 'ou1' }),
      meter('m2', 'b1', { category: '01000' }),
      meter('w1', 'b1', { medium: 'water', category: '02000' }),
      meter('g1', 'b1', { medium: 'gas', category: '03000' }),
      meter('m3', 'b2'),
      { id: 'hvac1', name: 'AHU 1', kind: 'hvac', building: 'b1', gateway: 'gw1', template: 'ahu', address: { protocol: 'bacnet-ip', host: '127.0.0.1', port: 47809, device_instance: 1001 } },
      { id: 'inv1', name: '逆变器1', kind: 'inverter', building: 'b2', gateway: 'gw1', template: 'sunspec-inverter', address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: 15998, unit_id: 1 } },
      { id: 'met1', name: '气象站', kind: 'sensor', building: 'b2', gateway: 'gw1', template: 'sunspec-met-station', address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: 15998, unit_id: 2 } },
    ],
    pv_systems: [{ id: 'pv1', name: '屋顶光伏', building: 'b2', peak_power_kwp: 100, temp_coefficient_per_c: -0.004, inverters: ['inv1'], irradiance_sensor: 'met1', export_meter: 'm3' }],
    contracts: [{
      id: 'c1', name: '热水系统节能改造', type: 'shared-savings', meters: ['m3'], savings_share: 0.6,
      baseline: { from: '2024-01-01', to: '2024-12-31' }, reporting: { from: '2025-01-01', to: '2025-03-31' }, temperature_point: 'met1/temp_c',
    }],
  });
}

/** Local wall-clock time in Shanghai as UTC ms. */
export const sh = (y: number, mo: number, d = 1, h = 0, mi = 0) => zonedTime(TZ, y, mo, d, h, mi);

/** Provenance of a fixture row: estimated quantity, intervals present (default: all of the row's) and estimated. */
export interface RowProvenance { estimated?: number; intervals?: number; intervals_estimated?: number }

/** A rollup row as the collector writes it, with its provenance fields (a 15-minute row: one interval; a day: 96). */
export function rollup(measurement: 'energy_15m' | 'energy_1d', meterId: string, time: number, value: number, opts: { building?: string; medium?: string; category?: string } & RowProvenance = {}): StoredPoint {
  const medium = opts.medium ?? 'electricity';
  const field = medium === 'water' ? 'water_m3' : medium === 'gas' ? 'gas_m3' : 'energy_kwh';
  const estimatedField = medium === 'water' || medium === 'gas' ? 'estimated_m3' : 'estimated_kwh';
  const intervalsEstimated = opts.intervals_estimated ?? 0;
  return {
    measurement,
    tags: { site: 'test-site', building: opts.building ?? 'b1', meter: meterId, medium, category: opts.category ?? '01000' },
    fields: {
      [field]: value, estimated: intervalsEstimated > 0 ? 1 : 0, [estimatedField]: opts.estimated ?? 0,
      intervals: opts.intervals ?? (measurement === 'energy_1d' ? 96 : 1), intervals_estimated: intervalsEstimated,
    },
    time,
  };
}

/**
 * The building totals (energy_building_*, category 01000/02000/03000) the collector writes beside the meter rows
 * of `rows`: per building, medium and time, the sum of its root meters' rows (fields added up).
 */
export function withBuildingRollups(rows: StoredPoint[], site: SiteModel = fixtureSite()): StoredPoint[] {
  const roots = new Set(site.devices.filter((d) => d.kind === 'meter' && d.parent === undefined).map((d) => d.id));
  const totalCode: Record<string, string> = { electricity: '01000', water: '02000', gas: '03000' };
  const sums = new Map<string, StoredPoint>();
  for (const r of rows) {
    if ((r.measurement !== 'energy_15m' && r.measurement !== 'energy_1d') || !roots.has(r.tags.meter)) continue;
    const measurement = r.measurement === 'energy_15m' ? 'energy_building_15m' : 'energy_building_1d';
    const key = `${measurement}|${r.tags.building}|${r.tags.medium}|${r.time}`;
    let b = sums.get(key);
    if (!b) {
      b = { measurement, tags: { site: r.tags.site, building: r.tags.building, medium: r.tags.medium, category: totalCode[r.tags.medium] }, fields: {}, time: r.time };
      sums.set(key, b);
    }
    for (const [k, v] of Object.entries(r.fields)) b.fields[k] = k === 'estimated' ? Math.max(Number(b.fields[k] ?? 0), Number(v)) : Number(b.fields[k] ?? 0) + Number(v);
  }
  return [...rows, ...sums.values()];
}

/**
 * The site totals the collector writes beside the building totals (energy_site_*, decision 0407): per medium and
 * time, the sum of the buildings' total rows of `rows`, as partition `0/1`, and the row saying they are complete
 * from `since` on (none when undefined: the API then reads the building totals).
 */
export function withSiteRollups(rows: StoredPoint[], since?: number): StoredPoint[] {
  const total = new Set(['01000', '02000', '03000', '04000', '05000']);
  const sums = new Map<string, StoredPoint>();
  for (const r of rows) {
    if ((r.measurement !== 'energy_building_15m' && r.measurement !== 'energy_building_1d') || !total.has(r.tags.category)) continue;
    const measurement = r.measurement === 'energy_building_15m' ? 'energy_site_15m' : 'energy_site_1d';
    const key = `${measurement}|${r.tags.medium}|${r.time}`;
    let s = sums.get(key);
    if (!s) sums.set(key, (s = { measurement, tags: { site: r.tags.site, medium: r.tags.medium, category: r.tags.category, partition: '0/1' }, fields: {}, time: r.time }));
    for (const [k, v] of Object.entries(r.fields)) s.fields[k] = k === 'estimated' ? Math.max(Number(s.fields[k] ?? 0), Number(v)) : Number(s.fields[k] ?? 0) + Number(v);
  }
  const marker = since === undefined ? [] : [{ measurement: 'energy_site_since', tags: { site: 'test-site', partition: '0/1' }, fields: { written_at: since }, time: since }];
  return [...rows, ...sums.values(), ...marker];
}

/**
 * 2025-04-10 (local day) of b2's one root meter m3, for provenance (issue 12): quarter-hours 00:00–18:00 present
 * (73 of 96), 1 kWh each except 02:30–03:30 (4 intervals spread over a gap, estimated, 2 kWh each).
 * Day: 69 × 1 + 4 × 2 = 77 kWh, estimated 8 kWh, measured 69 of 96 → coverage 0.71875, not complete.
 * Hour 02:00: 1 + 1 + 2 + 2 = 6 kWh, estimated 4, measured 2 of 4 → coverage 0.5, complete.
 * 2025-04-11: the same 73 quarter-hours, all measured, 1 kWh each: 73 kWh, coverage 73/96 = 0.7604, not complete.
 */
export function partialDays(): StoredPoint[] {
  const rows: StoredPoint[] = [];
  for (const [day, gapFrom] of [[sh(2025, 4, 10), 10], [sh(2025, 4, 11), Infinity]] as const) {
    let energy = 0, estimated = 0, estimatedIntervals = 0;
    for (let i = 0; i < 73; i++) {
      const gap = i >= gapFrom && i < gapFrom + 4;
      const kwh = gap ? 2 : 1;
      rows.push(rollup('energy_15m', 'm3', day + i * 900_000, kwh, { building: 'b2', ...(gap ? { estimated: kwh, intervals_estimated: 1 } : {}) }));
      energy += kwh;
      if (gap) { estimated += kwh; estimatedIntervals++; }
    }
    rows.push(rollup('energy_1d', 'm3', day, energy, { building: 'b2', estimated, intervals: 73, intervals_estimated: estimatedIntervals }));
  }
  return rows;
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

/** A telemetry row as the collector writes it. */
export function telemetry(device: string, point: string, time: number, value: number, building = 'b2'): StoredPoint {
  return { measurement: 'telemetry', tags: { site: 'test-site', building, gateway: 'gw1', device, point, quality: 'good' }, fields: { value }, time };
}

/**
 * Daily rollups of b1 for January 2024, January 2025 and February 2025 (electricity only on Feb 1–27):
 *   2024-01: m1 110 + m2 50 kWh/day, w1 2 m³/day, g1 10 m³/day
 *   2025-01/02: m1 100 + m2 50 kWh/day, m1a 20, m1b 40 (sub-meters of m1), w1 2 m³/day, g1 10 m³/day
 */
export function monthsOfDailyRollups(): StoredPoint[] {
  const rows: StoredPoint[] = [];
  const day = (y: number, mo: number, d: number, m1: number, electricity: boolean) => {
    const t = sh(y, mo, d);
    if (electricity) {
      rows.push(rollup('energy_1d', 'm1', t, m1), rollup('energy_1d', 'm2', t, 50));
      rows.push(rollup('energy_1d', 'm1a', t, 20, { category: '01A00' }), rollup('energy_1d', 'm1b', t, 40, { category: '01B00' }));
    }
    rows.push(rollup('energy_1d', 'w1', t, 2, { medium: 'water', category: '02000' }), rollup('energy_1d', 'g1', t, 10, { medium: 'gas', category: '03000' }));
  };
  for (let d = 1; d <= 31; d++) day(2024, 1, d, 110, true);
  for (let d = 1; d <= 31; d++) day(2025, 1, d, 100, true);
  for (let d = 1; d <= 28; d++) day(2025, 2, d, 100, d <= 27);
  return rows;
}

/**
 * PV on 2025-06-01 (local), readings at HH:10 and HH:50 of hours 07–11:
 *   inverter counter (hourly max) 1000, 1040, 1090, 1150, 1200 → hourly yield 40, 50, 60, 50 = 200 kWh (hours 08–11),
 *   stored as the collector derives it: inv1's quarter-hours in energy_15m, a quarter of each hour's yield
 *   POA irradiance 500, 600, 700, 600 W/m² in hours 08–11 → 2.4 kWh/m²
 *   module temperature 30, 35, 40, 35 °C; export counter of m3 500, 510, 530, 560, 580 → 80 kWh exported
 */
export function pvDay(): StoredPoint[] {
  const rows: StoredPoint[] = [];
  const yieldKwh = [1000, 1040, 1090, 1150, 1200];
  const exportKwh = [500, 510, 530, 560, 580];
  const poa = [undefined, 500, 600, 700, 600];
  const temp = [undefined, 30, 35, 40, 35];
  for (let i = 0; i < 5; i++) {
    for (const minute of [10, 50]) {
      const t = sh(2025, 6, 1, 7 + i, minute);
      rows.push(telemetry('inv1', 'energy_yield_kwh', t, yieldKwh[i]), telemetry('m3', 'energy_export_kwh', t, exportKwh[i]));
      if (poa[i] !== undefined) rows.push(telemetry('met1', 'irradiance_w_m2', t, poa[i] as number), telemetry('met1', 'temp_module_c', t, temp[i] as number));
    }
    if (i > 0) {
      for (let q = 0; q < 4; q++) {
        const row = rollup('energy_15m', 'inv1', sh(2025, 6, 1, 7 + i, q * 15), (yieldKwh[i] - yieldKwh[i - 1]) / 4, { building: 'b2' });
        delete row.tags.category; // an inverter's generation carries no consumption category
        rows.push(row);
      }
    }
  }
  return rows;
}

/**
 * Contract c1 on m3: 2024 (baseline) daily energy = 200 + 6·HDD(14) + 9·CDD(22) + 40·working + small noise;
 * 2025-01-01…03-31 (reporting) = 80 % of the same model (20 % saved). Daily mean temperature from met1/temp_c.
 */
export function contractDays(): StoredPoint[] {
  const rows: StoredPoint[] = [];
  const calendar = workCalendar(loadReferenceData().holidays.years);
  for (let t = sh(2024, 1, 1), d = 0; t < sh(2025, 4, 1); t += 86_400_000, d++) {
    const temp = 17 + 11 * Math.sin((2 * Math.PI * (d - 105)) / 366);
    // working days as the shipped holiday calendar has them (Spring Festival etc. are rest days)
    const working = isWorkingDay(t + 12 * 3_600_000, TZ, calendar).working ? 1 : 0;
    const model = 200 + 6 * Math.max(0, 14 - temp) + 9 * Math.max(0, temp - 22) + 40 * working;
    const energy = t < sh(2025, 1, 1) ? model + (((d * 7919) % 11) - 5) * 0.5 : model * 0.8;
    rows.push(rollup('energy_1d', 'm3', t, energy, { building: 'b2' }));
    rows.push(telemetry('met1', 'temp_c', t + 12 * 3_600_000, temp));
  }
  return rows;
}

/** A key store in memory with one key per role, for the route tests (issue #13). */
export interface TestKeys {
  security: SecurityStore;
  /** bearer token of each role's key */
  token: Record<Role, string>;
  /** `{ authorization: 'Bearer …' }` of a role's key, admin by default */
  headers(role?: Role): { authorization: string };
}

/** Open an in-memory security store holding one unexpiring key per role. */
export function testKeys(opts: { now?: () => number } = {}): TestKeys {
  const security = openSecurityStore(':memory:', opts);
  const token = Object.fromEntries(ROLES.map((role) => [role, security.keys.create({ name: `test ${role}`, role, expires_at: null }).token])) as Record<Role, string>;
  return { security, token, headers: (role = 'admin') => ({ authorization: `Bearer ${token[role]}` }) };
}
