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
