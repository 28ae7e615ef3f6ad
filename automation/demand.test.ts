/**
 * Peak-demand limiting. The forecast against hand-worked figures; then a summer day of the demo's building 1 on an
 * injected clock: its main meter is the simulators' physics (lighting, power and HVAC feeders, the chiller plant
 * and the AHU served over BACnet), read at the clock's instant and handed to automation as the gateway's readings
 * would be; sheds and restores travel through the embedded broker, the gateway and the BACnet simulators, whose
 * writes change the same plant models. The 15-minute demand stays under the limit where it applies, the loads come
 * back, and the effect is measured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hvacModelsForSite } from '../simulators/physics/hvac-site.ts';
import { buildSitePhysics } from '../simulators/physics/site.ts';
import { forecastDemandKw, meanPower } from './demand.ts';
import { startRig, type Rig } from './testing/rig.ts';

const MIN = 60_000;
const at = (local: string) => Date.parse(`${local}+08:00`);

describe('the 15-minute demand forecast', () => {
  it('extrapolates the present power over the horizon (hand-worked)', () => {
    // 600 kW from 10:00, 700 kW from 10:08; at 10:10 with a 5 min horizon the window is 10:00–10:15:
    // past 10 min: (8 × 600 + 2 × 700) / 10 = 620 kW; forecast = (10 × 620 + 5 × 700) / 15 = 646.67 kW
    const samples = [{ ms: at('2025-07-16T10:00'), kw: 600 }, { ms: at('2025-07-16T10:08'), kw: 700 }];
    expect(meanPower(samples, at('2025-07-16T10:00'), at('2025-07-16T10:10'))!.kw).toBeCloseTo(620, 9);
    expect(forecastDemandKw(samples, at('2025-07-16T10:10'), 5)).toBeCloseTo(646.667, 3);
    // with less history than the window: the covered part stands for the whole past part
    expect(forecastDemandKw(samples.slice(1), at('2025-07-16T10:10'), 5)).toBeCloseTo(700, 9);
    expect(forecastDemandKw([], at('2025-07-16T10:10'), 5)).toBeUndefined();
  });
});

const FILE = {
  version: 1,
  points: [{ device: 'centre-b1-chiller-plant', point: 'chw_supply_temp_setpoint_c', max_step_per_min: 3 }],
  schedules: [{
    id: 'b1-office', name: '1号楼办公时间', building: 'centre-b1',
    week: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [{ from: '07:30', to: '18:30' }]])),
    targets: [
      { device: 'centre-b1-chiller-plant', point: 'chw_supply_temp_setpoint_c', occupied: 7, unoccupied: 'release' },
      { device: 'centre-b1-ahu-1', point: 'supply_air_temp_setpoint_c', occupied: 16, unoccupied: 'release' },
    ],
  }],
  demand_limits: [{
    id: 'b1-demand', name: '1号楼最大需量控制', building: 'centre-b1', meter: 'centre-b1-main',
    contracted_max_kw: 700, target_fraction: 0.9, periods: ['critical', 'peak', 'flat'], horizon_min: 5,
    restore_margin_kw: 10, min_shed_s: 600, settle_s: 120, demand_charge_cny_per_kw_month: 40,
    loads: [
      { device: 'centre-b1-chiller-plant', point: 'chw_supply_temp_setpoint_c', shed: 10, expected_kw: 40, power: 'centre-b1-chiller-plant/power_kw' },
      { device: 'centre-b1-ahu-1', point: 'supply_air_temp_setpoint_c', shed: 20, expected_kw: 4, power: 'centre-b1-ahu-1/power_kw' },
    ],
  }],
};

describe('a summer day of building 1 under a demand limit', () => {
  let rig: Rig;
  beforeAll(async () => { rig = await startRig(FILE, at('2025-07-16T07:00')); }, 60_000);
  afterAll(async () => { await rig?.stop(); });

  it('keeps the 15-minute demand under the limit where it applies, and restores the loads', async () => {
    const physics = buildSitePhysics(rig.site, 7);
    const plants = hvacModelsForSite(rig.site, 7);
    const fed: { ms: number; kw: number }[] = [];
    const over: string[] = [];
    let guardedSince: number | undefined;
    for (let t = at('2025-07-16T07:00'); t <= at('2025-07-16T22:00'); t += MIN) {
      rig.clock.ms = t;
      const kw = physics.get('centre-b1-main')!.read(t).power_kw;
      fed.push({ ms: t, kw });
      const reading = (device: string, value: number) => rig.automation.observe({ device, ts: t, points: { power_kw: { value, quality: 'good' } } });
      reading('centre-b1-main', kw);
      for (const id of ['centre-b1-chiller-plant', 'centre-b1-ahu-1']) reading(id, plants.get(id)!.read(t).power_kw);
      await rig.automation.tick();
      const view = rig.automation.demand()[0];
      guardedSince = view.active ? guardedSince ?? t : undefined;
      const demand = meanPower(fed, t - 15 * MIN, t)?.kw ?? kw;
      // once the limit has applied for a whole window, the measured demand must respect it
      if (guardedSince !== undefined && t - guardedSince >= 15 * MIN && demand > view.limit_kw) over.push(`${new Date(t).toISOString()} ${demand.toFixed(1)} kW`);
    }
    expect(over).toEqual([]);
    const view = rig.automation.demand()[0];
    expect(view.limit_kw).toBe(630);
    expect(view.shed).toEqual([]); // everything back by the evening
    const day = view.days[0];
    expect(day.date).toBe('2025-07-16');
    // without shedding the building would have passed the limit
    expect(day.max_unshed_demand_kw).toBeGreaterThan(630);
    expect(day.max_demand_kw).toBeLessThanOrEqual(630);
    expect(day.sheds).toBeGreaterThanOrEqual(1);
    expect(day.shed_kwh).toBeGreaterThan(50);
    expect(day.energy_cost_avoided_cny).toBeGreaterThan(0);
    // the devices: no demand-limiting priority (10) left, the schedule released at 18:30
    for (const id of ['centre-b1-chiller-plant', 'centre-b1-ahu-1']) expect((await rig.priorityArray(id, 2, 1)).every((v) => v === null)).toBe(true);
    const demandWrites = rig.automation.history({ origin_prefix: 'demand:' }).reverse().map((c) => [c.device.replace('centre-b1-', ''), c.value, c.priority, c.outcome]);
    expect(demandWrites[0]).toEqual(['chiller-plant', 10, 10, 'written']);
    expect(demandWrites.at(-1)?.[1]).toBeNull();
    expect(demandWrites.filter((w) => w[1] === null).length).toBe(demandWrites.filter((w) => w[1] !== null).length);
  }, 120_000);
});
