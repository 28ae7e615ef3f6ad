/** HVAC physics: counters integrate power, plants follow weather, schedule and set-points, runs are repeatable. */
import { describe, expect, it } from 'vitest';
import { CST_OFFSET_MS } from './climate.ts';
import { AirHandlingUnit, ChillerPlant, createHvacModel, FanCoilZone, HotWaterSystem, VrfOutdoorUnit } from './hvac.ts';

const local = (y: number, m: number, d: number, h: number) => Date.UTC(y, m - 1, d, h) - CST_OFFSET_MS;

describe('HVAC physics', () => {
  it('energy counters are the integral of the power reported (1-minute steps)', () => {
    const start = local(2026, 7, 15, 0); // a Wednesday in July
    for (const model of [new ChillerPlant({ id: 'c', startMs: start }), new AirHandlingUnit({ id: 'a', startMs: start }), new HotWaterSystem({ id: 'h', startMs: start })]) {
      let integral = 0;
      const e0 = model.read(start).energy_kwh;
      for (let t = start; t < start + 86_400_000; t += 60_000) integral += model.read(t).power_kw / 60;
      const e1 = model.read(start + 86_400_000).energy_kwh;
      // outputs are rounded to 1 W; the sum of a day of minutes keeps well within 0.1 %
      expect(e1 - e0).toBeCloseTo(integral, 0);
      expect(e1 - e0).toBeGreaterThan(0);
    }
  });

  it('the chiller plant runs on a hot working morning and rests on a winter night; its COP is plausible', () => {
    const summer = new ChillerPlant({ id: 'c', servedAreaM2: 18_600, startMs: local(2026, 7, 15, 0) });
    const s = summer.read(local(2026, 7, 15, 11));
    expect(s.chiller_on).toBe(1);
    expect(s.cooling_kw / s.power_kw).toBeGreaterThan(3);
    expect(s.cooling_kw / s.power_kw).toBeLessThan(6.5);
    expect(s.power_kw).toBeLessThan(18_600 * 0.1 / 3); // never above design load ÷ COP 3
    expect(s.chw_return_temp_c - s.chw_supply_temp_c).toBeGreaterThan(0);
    const winter = new ChillerPlant({ id: 'c', startMs: local(2026, 1, 14, 0) });
    expect(winter.read(local(2026, 1, 14, 3)).chiller_on).toBe(0);
  });

  it('set-backs written by automation lower the AHU fan and the chiller plant (docs/automation.md, Simulators)', () => {
    const t = local(2026, 7, 15, 14);
    const ahu = new AirHandlingUnit({ id: 'a', servedAreaM2: 18_600, startMs: t - 3_600_000 });
    const base = ahu.read(t);
    // speed = 45 + 55 × demand; a set-back of 4 K (16 → 20 °C) scales the demand by 1 − 0.08 × 4 = 0.68
    const demand = (base.supply_fan_speed_pct - 45) / 55;
    ahu.setSetpoint('supply_air_temp_setpoint_c', 20);
    const speed = 45 + 55 * demand * 0.68;
    expect(ahu.read(t).supply_fan_speed_pct).toBeCloseTo(speed, 0);
    // fan power with the cube of speed: 18.6 kW rated × (speed / 100)³ + 0.15 kW
    expect(ahu.read(t).power_kw).toBeCloseTo(18.6 * (speed / 100) ** 3 + 0.15, 1);
    expect(ahu.read(t).power_kw).toBeLessThan(base.power_kw);
    // a chilled-water reset to 10 °C: 15 % less capacity delivered, 9 % better COP (at the same lift)
    const c = new ChillerPlant({ id: 'c', servedAreaM2: 18_600, startMs: t - 3_600_000 });
    const before = c.read(t);
    c.setSetpoint('chw_supply_temp_setpoint_c', 10);
    const after = c.read(t);
    expect(after.cooling_kw / before.cooling_kw).toBeCloseTo(0.85, 3);
    expect(after.power_kw).toBeLessThan(before.power_kw * 0.85);
  });

  it("a start/stop command overrides the AHU's time programme: stopped, the fan rests and the supply air drifts", () => {
    const t = local(2026, 7, 15, 14); // a working afternoon: the programme runs the unit
    const ahu = new AirHandlingUnit({ id: 'a', servedAreaM2: 18_600, startMs: t - 3_600_000 });
    const running = ahu.read(t);
    expect([running.supply_fan_on, running.run_command_on, running.supply_air_temp_c]).toEqual([1, 1, 16]);
    ahu.setSetpoint('run_command_on', 0);
    const later = ahu.read(t + 10 * 60_000);
    expect([later.supply_fan_on, later.run_command_on, later.supply_fan_speed_pct, later.power_kw]).toEqual([0, 0, 0, 0.05]);
    // 30-minute lag toward outdoor + 0.3 × (24 − outdoor): after 10 min about 28 % of the way, after 3 h nearly there
    const idle = (o: number) => o + 0.3 * (24 - o);
    const frac = (later.supply_air_temp_c - 16) / (idle(later.outdoor_air_temp_c) - 16);
    expect(frac).toBeGreaterThan(0.2);
    expect(frac).toBeLessThan(0.4);
    const after3h = ahu.read(t + 3 * 3_600_000);
    expect(after3h.supply_air_temp_c).toBeCloseTo(idle(after3h.outdoor_air_temp_c), 0);
    ahu.release('run_command_on'); // relinquished: 17:00, still inside the programme's hours
    expect(ahu.read(t + 3 * 3_600_000 + 60_000).supply_fan_on).toBe(1);
    // a start command runs it at night
    const night = new AirHandlingUnit({ id: 'n', startMs: local(2026, 7, 15, 1) });
    expect(night.read(local(2026, 7, 15, 2)).supply_fan_on).toBe(0);
    night.setSetpoint('run_command_on', 1);
    expect(night.read(local(2026, 7, 15, 2) + 60_000).supply_fan_on).toBe(1);
  });

  it('a warmer chilled-water set-point saves electricity at the same load', () => {
    const t = local(2026, 7, 15, 11);
    const a = new ChillerPlant({ id: 'c', startMs: t - 3_600_000 });
    const b = new ChillerPlant({ id: 'c', startMs: t - 3_600_000 });
    b.setSetpoint('chw_supply_temp_setpoint_c', 9);
    expect(b.electricalPowerKw(t)).toBeLessThan(a.electricalPowerKw(t));
    expect(b.read(t).chw_supply_temp_setpoint_c).toBe(9);
  });

  it('the hot-water tank holds its set-point band through a working day and follows a new set-point', () => {
    const start = local(2026, 3, 11, 0);
    const dhw = new HotWaterSystem({ id: 'h', startMs: start });
    for (let t = start + 3_600_000; t <= start + 86_400_000; t += 900_000) {
      const v = dhw.read(t);
      expect(v.tank_temp_c).toBeGreaterThan(40); // the lunchtime draw pulls the tank down; 40 °C is still usable hot water
      expect(v.tank_temp_c).toBeLessThan(56);
    }
    dhw.setSetpoint('tank_temp_setpoint_c', 48);
    const later = dhw.read(start + 2 * 86_400_000);
    expect(later.tank_temp_c).toBeLessThan(49);
    expect(later.heat_kwh / later.energy_kwh).toBeGreaterThan(2); // seasonal COP of an air-source heat pump
  });

  it('VRF heats in winter and cools in summer; the fan-coil zone approaches its set-point when occupied', () => {
    expect(new VrfOutdoorUnit({ id: 'v', startMs: local(2026, 1, 14, 9) }).read(local(2026, 1, 14, 10)).operating_mode).toBe(2);
    expect(new VrfOutdoorUnit({ id: 'v', startMs: local(2026, 7, 15, 9) }).read(local(2026, 7, 15, 14)).operating_mode).toBe(1);
    const fcu = new FanCoilZone({ id: 'f', startMs: local(2026, 7, 15, 0) });
    expect(Math.abs(fcu.read(local(2026, 7, 15, 15)).zone_temp_c - 26)).toBeLessThan(2);
  });

  it('is repeatable and refuses an unknown model name', () => {
    const opts = { id: 'x', startMs: local(2026, 5, 6, 0), weatherSeed: 11 };
    expect(createHvacModel('air-handling-unit', opts).read(local(2026, 5, 6, 10))).toEqual(createHvacModel('air-handling-unit', opts).read(local(2026, 5, 6, 10)));
    expect(() => createHvacModel('boiler', opts)).toThrow(/unknown HVAC physics model 'boiler'/);
  });
});

describe('HVAC models of a site', () => {
  it('gives one shared model per HVAC device of the demo site and sums the plant power of a building', async () => {
    const { loadSite } = await import('../../core/site/load.ts');
    const { buildingHvacPowerKw, hvacModelsForSite } = await import('./hvac-site.ts');
    const site = loadSite('config/demo-site.yaml');
    const models = hvacModelsForSite(site, 5);
    expect([...models.keys()].sort()).toEqual(['centre-b1-ahu-1', 'centre-b1-chiller-plant', 'jiwei-hot-water', 'zhongshan-m38-vrf-1']);
    expect(hvacModelsForSite(site, 5).get('jiwei-hot-water')).toBe(models.get('jiwei-hot-water'));
    const t = Date.now();
    const sum = models.get('centre-b1-ahu-1')!.electricalPowerKw(t) + models.get('centre-b1-chiller-plant')!.electricalPowerKw(t);
    expect(buildingHvacPowerKw(site, 5, 'centre-b1', t)).toBeCloseTo(sum, 9);
    expect(buildingHvacPowerKw(site, 5, 'warehouse', t)).toBe(0);
  });
});

describe('HVAC sub-meter of a building with plants', () => {
  it('adds the plants power and kWh to its own, so its counter stays the integral of its power', async () => {
    const { loadSite } = await import('../../core/site/load.ts');
    const { buildSitePhysics } = await import('./site.ts');
    const { hvacModelsForSite } = await import('./hvac-site.ts');
    const site = loadSite('config/demo-site.yaml');
    const physics = buildSitePhysics(site, 11);
    const plants = [...hvacModelsForSite(site, 11)].filter(([id]) => site.devices.find((d) => d.id === id)?.building === 'centre-b1');
    expect(plants.length).toBeGreaterThan(0);
    const meter = physics.get('centre-b1-hvac')!;
    // A working day's afternoon in July: plants running.
    const t0 = Math.max(Date.UTC(2026, 6, 15, 6, 0), Math.floor(Date.now() / 86_400_000) * 86_400_000 + 6 * 3_600_000);
    let energyByPowerKwh = 0;
    let last = meter.read(t0);
    const first = last;
    for (let t = t0 + 60_000; t <= t0 + 600_000; t += 60_000) {
      const now = meter.read(t);
      const plantKw = plants.reduce((s, [, m]) => s + m.electricalPowerKw(t), 0);
      expect(now.power_kw).toBeGreaterThanOrEqual(plantKw);
      energyByPowerKwh += ((last.power_kw + now.power_kw) / 2) / 60;
      last = now;
    }
    // kWh counted by the register over 10 minutes vs the trapezoid of the kW it reported (1-minute samples).
    expect(last.energy_import_kwh - first.energy_import_kwh).toBeCloseTo(energyByPowerKwh, 0);
  });
});
