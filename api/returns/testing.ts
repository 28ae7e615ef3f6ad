/**
 * A small site with two full years of daily building totals, for the returns' tests; the figures are worked by
 * hand in api/returns/fill.test.ts.
 *   building b1, 2000 m²; 用能人数 2024: 100, 2025: 80; root meters e1, e2 (electricity), w1 (water), g1 (gas)
 *   2024 (366 days): e1 110 + e2 50 kWh/day, w1 2 m³/day, g1 10 m³/day, all measured
 *   2025 (365 days): e1 100 + e2 50 kWh/day, w1 2 m³/day, g1 10 m³/day; on 10 days in March e2's 50 kWh hold
 *   5 kWh spread over a gap (4 estimated quarter-hours); PV system pv1 (inverter inv1) has rows in June 2025 only:
 *   0.25 kWh each quarter-hour (15-minute and daily rows, as the collector writes both), 24 kWh/day, 720 kWh
 */
import { checkSite } from '../../core/site/load.ts';
import type { SiteModel } from '../../core/site/schema.ts';
import type { StoredPoint } from '../../storage/port.ts';
import { rollup, sh, withBuildingRollups } from '../testing/fixture.ts';
import { SiteIndex } from '../site-index.ts';
import { checkEntry } from './entries.ts';
import type { EntryStore } from './entry-store.ts';

const meter = (id: string, medium: string, category: string) => ({
  id, name: `meter ${id}`, kind: 'meter', medium, category, building: 'b1', gateway: 'gw1', template: 't',
  address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: 15999, unit_id: 1 },
});

/** The returns' fixture site (id `test-site`, as the fixture rows are tagged). */
export function returnsSite(): SiteModel {
  return checkSite({
    version: 1,
    site: { id: 'test-site', name: '测试机关', timezone: 'Asia/Shanghai', unified_social_credit_code: '12310000MB0000000L' },
    buildings: [{ id: 'b1', name: '办公楼', floor_area_m2: 2000, address: '上海市测试路1号', years: [{ year: 2024, headcount: 100 }, { year: 2025, headcount: 80 }] }],
    gateways: [{ id: 'gw1', poll_interval_s: 15 }],
    devices: [
      meter('e1', 'electricity', '01000'), meter('e2', 'electricity', '01000'), meter('w1', 'water', '02000'), meter('g1', 'gas', '03000'),
      { id: 'inv1', name: '逆变器1', kind: 'inverter', building: 'b1', gateway: 'gw1', template: 'sunspec-inverter', address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: 15998, unit_id: 1 } },
    ],
    pv_systems: [{ id: 'pv1', name: '屋顶光伏', building: 'b1', peak_power_kwp: 20, inverters: ['inv1'] }],
  });
}

/** Daily meter rows of 2024 and 2025 and the building totals beside them. */
export function returnsRows(): StoredPoint[] {
  const rows: StoredPoint[] = [];
  for (const year of [2024, 2025]) {
    const days = Math.round((sh(year + 1, 1, 1) - sh(year, 1, 1)) / 86_400_000);
    for (let d = 0; d < days; d++) {
      const t = sh(year, 1, 1) + d * 86_400_000; // Shanghai keeps no daylight saving time
      const gap = year === 2025 && d >= 59 && d < 69; // 1–10 March 2025
      rows.push(
        rollup('energy_1d', 'e1', t, year === 2024 ? 110 : 100),
        rollup('energy_1d', 'e2', t, 50, gap ? { estimated: 5, intervals_estimated: 4 } : {}),
        rollup('energy_1d', 'w1', t, 2, { medium: 'water', category: '02000' }),
        rollup('energy_1d', 'g1', t, 10, { medium: 'gas', category: '03000' }),
      );
      if (year === 2025 && d >= 151 && d < 181) { // 1–30 June 2025
        for (let i = 0; i < 96; i++) rows.push(rollup('energy_15m', 'inv1', t + i * 900_000, 0.25));
        rows.push(rollup('energy_1d', 'inv1', t, 24));
      }
    }
  }
  return withBuildingRollups(rows, returnsSite());
}

/**
 * The fixture site with what the returns' other forms need: org unit ou1 (信息中心, 300 m², 12 people in 2025) to
 * which meter e2 is attributed, its machine room mr1 (120 m², 20 racks, IT 40 + cooling 25 + distribution 5 kW,
 * IT meter e2), and building b1 heating 2000 m² by its own gas boiler (meter g1) for 90 days.
 */
export function returnsSiteWithUnits(): SiteModel {
  const site = structuredClone(returnsSite()) as SiteModel;
  const b1 = site.buildings[0];
  b1.org_units = [{ id: 'ou1', name: '信息中心', unified_social_credit_code: '12310000MB0000001G', floor_area_m2: 300, years: [{ year: 2025, headcount: 12 }] }];
  b1.heating = { own_m2: 2000, season_days: 90, meters: ['g1'] };
  site.devices.find((d) => d.id === 'e2')!.org_unit = 'ou1';
  site.machine_rooms = [{ id: 'mr1', name: '信息中心机房', building: 'b1', org_unit: 'ou1', area_m2: 120, racks: 20, it_power_kw: 40, cooling_power_kw: 25, distribution_power_kw: 5, meters: { it: ['e2'] } }];
  return checkSite(site);
}

/**
 * Manual entries of 2025 for returnsSiteWithUnits, worked by hand in api/returns/fill-entries.test.ts: returns the
 * store's ids by name. `lpg` is corrected once (500 → 520 kg), so the first one is history.
 */
export function enterReturnsEntries(store: EntryStore): Record<string, number> {
  const e = (kind: string, fields: Record<string, unknown>) => ({ kind, from: '2025-01-01', to: '2026-01-01', ...fields });
  const rows: [string, Record<string, unknown>][] = [
    ['gasoline_h1', e('gasoline', { use: 'vehicle', to: '2025-07-01', quantity: 1200, amount_cny: 9000, document: '加油卡 2025H1' })],
    ['gasoline_h2', e('gasoline', { use: 'vehicle', from: '2025-07-01', quantity: 1300, amount_cny: 9800 })],
    ['gasoline_other', e('gasoline', { use: 'other', quantity: 100, amount_cny: 750 })],
    ['gasoline_ou1', e('gasoline', { use: 'vehicle', org_unit: 'ou1', quantity: 100, amount_cny: 760 })],
    ['diesel', e('diesel', { use: 'vehicle', from: '2024-12-01', to: '2025-02-01', quantity: 620, amount_cny: 4650 })],
    ['lpg', e('lpg', { quantity: 500, amount_cny: 4000 })],
    ['heat_by_heat', e('heat', { use: 'by_heat', to: '2025-04-01', quantity: 36000, amount_cny: 9000 })],
    ['heat_by_area', e('heat', { use: 'by_area', to: '2025-04-01', quantity: 500, amount_cny: 15000 })],
    ['other_energy', e('other_energy', { quantity: 1.5, amount_cny: 2000 })],
    ['property', e('operating_cost', { item: '30209', amount_cny: 180000 })],
    ['vehicle_costs', e('operating_cost', { item: '30231', amount_cny: 52000 })],
    ['bill_e1', e('bill', { medium: 'electricity', meter: 'e1', mode: 'override', from: '2025-03-01', to: '2025-04-01', quantity: 3000, amount_cny: 2400, document: '电费单 2025-03' })],
    ['bill_water', e('bill', { medium: 'water', mode: 'supplement', from: '2025-12-01', quantity: 40, amount_cny: 160 })],
    ['headcount', { kind: 'headcount', from: '2025-07-01', quantity: 82 }],
    ['staff', { kind: 'staff', from: '2025-01-01', quantity: 70 }],
    ['vehicles_gasoline', { kind: 'vehicles', use: 'gasoline', from: '2025-01-01', quantity: 3 }],
    ['vehicles_new_energy', { kind: 'vehicles', use: 'new_energy', from: '2025-01-01', quantity: 2 }],
  ];
  const ctx = { index: new SiteIndex(returnsSiteWithUnits()), items: new Set(['30205', '30206', '30208', '30209', '30231']) };
  const ids: Record<string, number> = {};
  for (const [name, input] of rows) {
    const checked = checkEntry(input, ctx);
    if ('problems' in checked) throw new Error(`${name}: ${JSON.stringify(checked.problems)}`);
    ids[name] = store.append([checked.draft], 'test statistics (k1)')[0].id;
  }
  const fix = checkEntry({ kind: 'lpg', from: '2025-01-01', to: '2026-01-01', quantity: 520, amount_cny: 4160, supersedes: ids.lpg, note: '更正：漏记一瓶' }, ctx);
  if ('problems' in fix) throw new Error(JSON.stringify(fix.problems));
  ids.lpg_fix = store.append([fix.draft], 'test statistics (k1)')[0].id;
  return ids;
}
