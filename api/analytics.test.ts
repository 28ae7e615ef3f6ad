/**
 * The analytics routes (issue 6) on each storage adapter with known rollup and telemetry rows; every response is
 * checked against the OpenAPI document. Expected figures are worked by hand in the comments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from './server.ts';
import { assertMatchesOpenApi } from './openapi-check.ts';
import { contractDays, dayOfRollups, fixtureSite, monthsOfDailyRollups, partialDays, pvDay, sh, testKeys, withBuildingRollups } from './testing/fixture.ts';
import { openFilled, storageBackends } from './testing/backends.ts';
import type { Storage } from '../storage/port.ts';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test reads of JSON validated against the schema

for (const backend of storageBackends()) {
  describe(`analytics on ${backend.name}`, () => {
    const keys = testKeys();
    let storage: Storage;
    let base = '';
    let stop: () => Promise<void> = async () => {};
    let cleanup: () => Promise<void> = async () => {};

    beforeAll(async () => {
      ({ storage, cleanup } = await openFilled(backend, withBuildingRollups([...dayOfRollups(), ...monthsOfDailyRollups(), ...pvDay(), ...contractDays(), ...partialDays()])));
      const api = await startApi({ site: fixtureSite(), storage, port: 0, now: () => sh(2025, 6, 15, 12), security: keys.security });
      base = `http://127.0.0.1:${api.port}`;
      stop = api.stop;
    }, 60_000);
    afterAll(async () => {
      await stop();
      await cleanup();
    });

    async function call(method: 'get' | 'post', path: string, template: string, status = 200): Promise<Body> {
      const res = await fetch(base + path, { method: method.toUpperCase(), headers: keys.headers() });
      const body = await res.json() as Body;
      expect(res.status, JSON.stringify(body).slice(0, 400)).toBe(status);
      assertMatchesOpenApi(method, template, status, body);
      return body;
    }
    const get = (path: string, template: string, status = 200) => call('get', path, template, status);

    it('gives comprehensive energy per month with standard coal and flags the incomplete month', async () => {
      const b = await get('/api/v1/kpi/comprehensive-energy?scope=building&id=b1&from=2025-01-01&to=2025-03-01&granularity=month', '/api/v1/kpi/comprehensive-energy');
      // January: electricity 31 × 150 = 4 650 kWh × 0.1229 = 571.485 kgce; gas 310 m³ × 1.2143 = 376.433 kgce;
      //          water 62 m³ × 0 → total 947.918 kgce
      const [jan, feb] = b.periods;
      expect(jan.by_medium.electricity).toMatchObject({ quantity: 4650, kgce: 571.485, days_with_data: 31 });
      expect(jan.by_medium.gas.kgce).toBeCloseTo(376.433, 3);
      expect(jan.by_medium.water).toMatchObject({ quantity: 62, kgce: 0 });
      expect(jan.total_kgce).toBeCloseTo(947.918, 3);
      // February: electricity only on 27 days: 4 050 kWh → 497.745; gas 280 → 340.004; total 837.749, with a warning
      expect(feb.by_medium.electricity).toMatchObject({ quantity: 4050, days_with_data: 27 });
      expect(feb.total_kgce).toBeCloseTo(837.749, 3);
      expect(b.warnings.map((w: Body) => w.code)).toContain('incomplete_period');
      expect(b.total.total_kgce).toBeCloseTo(947.918 + 837.749, 3);
      expect(b.coefficients).toMatchObject({ standard: 'GB/T 2589-2020', basis: 'equivalent' });
      // 等价值 2025 (0.3033 kgce/kWh): January electricity 4 650 × 0.3033 = 1 410.345 kgce
      const eq = await get('/api/v1/kpi/comprehensive-energy?scope=portfolio&buildings=b1&from=2025-01-01&to=2025-02-01&granularity=year&basis=equal', '/api/v1/kpi/comprehensive-energy');
      expect(eq.periods[0].by_medium.electricity.kgce).toBeCloseTo(1410.345, 3);
    });

    it('adds up an org unit from its own meters and says why it has no intensity', async () => {
      // ou1 carries m1b (01B00): 40 kWh/day × 31 = 1 240 kWh × 0.1229 = 152.396 kgce
      const c = await get('/api/v1/kpi/comprehensive-energy?scope=org_unit&id=ou1&from=2025-01-01&to=2025-02-01&granularity=month', '/api/v1/kpi/comprehensive-energy');
      expect(c.total).toMatchObject({ total_kgce: 152.396, by_medium: { electricity: { quantity: 1240 } } });
      const i = await get('/api/v1/kpi/intensity?scope=org_unit&id=ou1&from=2025-01-01&to=2025-02-01', '/api/v1/kpi/intensity');
      expect(i.current).toMatchObject({ energy_kgce: 152.396, energy_kgce_per_m2: null, energy_kgce_per_person: null });
      expect(i.warnings.map((w: Body) => w.code)).toContain('no_org_unit_denominators');
      // b2 has no data in January 2023: its electricity is unknown (null) and warned, not 0
      const none = await get('/api/v1/kpi/comprehensive-energy?scope=portfolio&buildings=b2&from=2023-01-01&to=2023-02-01&granularity=month', '/api/v1/kpi/comprehensive-energy');
      expect(none.periods[0].by_medium.electricity).toMatchObject({ quantity: null, kgce: null });
      expect(none.warnings.map((w: Body) => w.code)).toContain('no_data');
    });

    it('gives intensities with 同比, 环比 and the GB/T 51161 rating', async () => {
      const b = await get('/api/v1/kpi/intensity?scope=building&id=b1&from=2025-01-01&to=2025-02-01', '/api/v1/kpi/intensity');
      // 2025-01: 947.918 kgce / 80 people = 11.848975; / 1 000 m² = 0.947918; 4 650 kWh / 1 000 m² = 4.65
      expect(b.current).toMatchObject({ headcount: 80, floor_area_m2: 1000, electricity_kwh_per_m2: 4.65, water_m3_per_person: 0.775 });
      expect(b.current.energy_kgce_per_person).toBeCloseTo(11.848975, 4);
      // 2024-01: 4 960 kWh × 0.1229 + 310 × 1.2143 = 609.584 + 376.433 = 986.017 kgce / 100 people = 9.86017
      // 同比 per person: (11.848975 − 9.86017) / 9.86017 = +20.17 %; electricity per m²: (4.65 − 4.96) / 4.96 = −6.25 %
      expect(b.same_period_last_year.energy_kgce_per_person).toBeCloseTo(9.86017, 4);
      expect(b.yoy_change_pct.energy_kgce_per_person).toBeCloseTo(20.17, 2);
      expect(b.yoy_change_pct.electricity_kwh_per_m2).toBeCloseTo(-6.25, 2);
      // 环比: December 2024 has no data → unknown (null), with a warning, never 0
      expect(b.previous_period.energy_kgce).toBeNull();
      expect(b.mom_change_pct.energy_kgce_per_person).toBeNull();
      expect(b.warnings.map((w: Body) => w.code)).toEqual(expect.arrayContaining(['no_data', 'change_withheld']));
      expect([b.current.complete, b.same_period_last_year.complete, b.previous_period.complete]).toEqual([true, true, false]);
      // A-class government office: 70 / 55 kWh/(m²·a) × 31/365 = 5.945 / 4.671; 4.65 ≤ target
      expect(b.rating).toMatchObject({ building_class: 'A-government-office', rating: 'at_or_below_target', unconfirmed: true });
      expect(b.rating.limit_for_period).toBeCloseTo(5.9452, 4);
    });

    it('breaks electricity down by sub-item and shows the unmetered remainder', async () => {
      const b = await get('/api/v1/buildings/b1/breakdown?from=2025-01-01&to=2025-02-01', '/api/v1/buildings/{id}/breakdown');
      // roots m1 3 100 + m2 1 550 = 4 650; 01A00 620, 01B00 1 240; unmetered 4 650 − 1 860 = 2 790 (60 %)
      expect(b.total).toBe(4650);
      expect(b.items.map((i: Body) => [i.code, i.value])).toEqual([['01A00', 620], ['01B00', 1240]]);
      expect(b.unmetered).toMatchObject({ value: 2790, share: 0.6 });
    });

    it('prices a day by time of use and water by its price', async () => {
      const e = await get('/api/v1/buildings/b1/cost?from=2025-03-01&to=2025-03-02', '/api/v1/buildings/{id}/cost');
      // 6 kWh every hour on 2025-03-01 (shoulder season, flat 0.70 CNY/kWh):
      //   valley 00–06 + 22–24 = 8 h → 48 kWh × 0.35 = 16.80; flat 06–08, 11–18, 21–22 = 10 h → 60 × 0.70 = 42.00
      //   peak 08–11, 18–21 = 6 h → 36 × 1.12 = 40.32; total 144 kWh, 99.12 CNY
      expect(e.electricity).toMatchObject({ energy_kwh: 144, cost_cny: 99.12, tariffs_used: ['shanghai-2023-tou'] });
      expect(e.electricity.by_period.valley).toMatchObject({ energy_kwh: 48, cost_cny: 16.8 });
      expect(e.electricity.by_period.peak).toMatchObject({ energy_kwh: 36, cost_cny: 40.32 });
      expect(e.electricity.by_period.critical.energy_kwh).toBe(0);
      expect(e.water).toMatchObject({ quantity: null, cost_cny: null });
      // January water: 62 m³ × 5.50 = 341 CNY; gas 310 m³ × 4.50 = 1 395 CNY
      const jan = await get('/api/v1/buildings/b1/cost?from=2025-01-01&to=2025-02-01', '/api/v1/buildings/{id}/cost');
      expect(jan.water).toMatchObject({ quantity: 62, cost_cny: 341 });
      expect(jan.gas).toMatchObject({ quantity: 310, cost_cny: 1395 });
      expect(jan.warnings.map((w: Body) => w.code)).toContain('no_data');
    });

    it('computes PV yields, PR, self-consumption and avoided CO₂', async () => {
      expect((await get('/api/v1/pv-systems', '/api/v1/pv-systems'))[0]).toMatchObject({ id: 'pv1', peak_power_kwp: 100 });
      const b = await get('/api/v1/pv-systems/pv1/performance?from=2025-06-01&to=2025-06-02&granularity=day', '/api/v1/pv-systems/{id}/performance');
      // Y_f = 200 kWh / 100 kWp = 2 h; Y_r = 2.4 kWh/m² / 1 kW/m² = 2.4 h; PR = 0.833333
      // Over its own range the temperature correction cancels (Σ G·(T − T̄) = 0): PR_corr = 0.833333
      // Self-consumption (200 − 80) / 200 = 0.6; CO₂ 200 × 0.55 (East China 2023) = 110 kg
      expect(b.total).toMatchObject({
        ac_energy_kwh: 200, final_yield_kwh_kwp: 2, poa_irradiation_kwh_m2: 2.4, reference_yield_h: 2.4,
        performance_ratio: 0.8333, temperature_corrected_pr: 0.8333, export_kwh: 80, self_consumption_share: 0.6, avoided_co2_kg: 110,
      });
      // AC energy from inv1's quarter-hours (hours 08–11): 16 of the day's 96, none estimated
      expect(b.total).toMatchObject({ ac_estimated_kwh: 0, ac_coverage: 0.1667, ac_complete: false });
      // T̄_cell = Σ G·(T_m + 3·G/1000) / Σ G = 89 380 / 2 400 = 37.2417 °C
      expect(b.reference_cell_temp_c).toBeCloseTo(37.242, 3);
      await get('/api/v1/pv-systems/nope/performance?from=2025-06-01&to=2025-06-02', '/api/v1/pv-systems/{id}/performance', 404);
    });

    it('verifies contract savings against a weather-dependent baseline', async () => {
      expect((await get('/api/v1/contracts', '/api/v1/contracts'))[0]).toMatchObject({ id: 'c1', type: 'shared-savings' });
      const b = await get('/api/v1/contracts/c1/savings?price_cny_per_unit=0.8', '/api/v1/contracts/{id}/savings');
      // Baseline 2024 (366 days) generated by 200 + 6·HDD(14) + 9·CDD(22) + 40·working; reporting Q1 2025 at 80 %.
      expect(b.baseline).toMatchObject({ days_with_data: 366 });
      expect(b.reporting).toMatchObject({ days_with_data: 90 });
      expect(b.model).toMatchObject({ kind: 'hdd_cdd', heating_balance_c: 14, cooling_balance_c: 22 });
      expect(b.guideline14.passes).toBe(true);
      expect(b.savings.fraction).toBeCloseTo(0.2, 2);
      expect(b.savings.avoided_cny).toBeCloseTo(b.savings.avoided * 0.8, 1);
      // Shared savings: the ESCO gets 60 % of the avoided cost
      expect(b.split.esco_cny).toBeCloseTo(b.savings.avoided_cny * 0.6, 1);
      const monthly = await get('/api/v1/contracts/c1/savings?granularity=monthly&price_cny_per_unit=0.8', '/api/v1/contracts/{id}/savings');
      expect(monthly.baseline.observations).toBe(12);
      expect(monthly.model.n).toBe(12);
      expect(monthly.savings.fraction).toBeCloseTo(0.2, 1);
      await get('/api/v1/contracts/c1/savings?to=2026-01-01', '/api/v1/contracts/{id}/savings', 400);
    });

    it('rejects bad parameters by name and unknown ids with 404', async () => {
      const cases: [string, string, string][] = [
        ['/api/v1/kpi/comprehensive-energy?scope=city&from=2025-01-01&to=2025-02-01', '/api/v1/kpi/comprehensive-energy', 'scope'],
        ['/api/v1/kpi/comprehensive-energy?scope=building&from=2025-01-01&to=2025-02-01', '/api/v1/kpi/comprehensive-energy', 'id'],
        ['/api/v1/kpi/comprehensive-energy?from=2025-01-01&to=2025-02-01&granularity=week', '/api/v1/kpi/comprehensive-energy', 'granularity'],
        ['/api/v1/kpi/intensity?from=2025-01-01&to=2025-02-01&basis=both', '/api/v1/kpi/intensity', 'basis'],
        ['/api/v1/buildings/b1/breakdown?from=2025-01-01&to=2025-02-01&medium=steam', '/api/v1/buildings/{id}/breakdown', 'medium'],
        ['/api/v1/buildings/b1/cost?from=2025-01-01&to=2025-02-01&tariff=nope', '/api/v1/buildings/{id}/cost', 'tariff'],
        ['/api/v1/buildings/b1/cost?from=2024-01-01&to=2025-06-01', '/api/v1/buildings/{id}/cost', 'to'],
        ['/api/v1/pv-systems/pv1/performance?from=2025-06-01&to=2025-06-02&grid_region=mars', '/api/v1/pv-systems/{id}/performance', 'grid_region'],
        ['/api/v1/contracts/c1/savings?price_cny_per_unit=-1', '/api/v1/contracts/{id}/savings', 'price_cny_per_unit'],
      ];
      for (const [path, template, parameter] of cases) {
        expect((await get(path, template, 400)).error, path).toMatchObject({ code: 'bad_parameter', parameter });
      }
      await get('/api/v1/kpi/intensity?scope=org_unit&id=nope&from=2025-01-01&to=2025-02-01', '/api/v1/kpi/intensity', 404);
      await get('/api/v1/contracts/nope/savings', '/api/v1/contracts/{id}/savings', 404);
      await get('/api/v1/buildings/nope/cost?from=2025-01-01&to=2025-02-01', '/api/v1/buildings/{id}/cost', 404);
    });
  });
}
