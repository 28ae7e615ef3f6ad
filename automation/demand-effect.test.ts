/**
 * The energy cost avoided by demand limiting, hand-worked against the Shanghai 2023 tariff of the reference data
 * (flat 0.70 CNY/kWh; shoulder months peak 08:00–11:00 at 0.70 × 1.6 = 1.12, flat 11:00–18:00 at 0.70, valley
 * 22:00–06:00 at 0.70 × 0.5 = 0.35; summer valley 0.70 × 0.4 = 0.28): each part of a step is priced at the period in
 * force during that part, on its own local day and month.
 */
import { describe, expect, it } from 'vitest';
import { loadReferenceData } from '../api/reference.ts';
import { DemandLimiter, shedEffectByDay } from './demand.ts';
import type { DemandLimit } from './schema.ts';

const TZ = 'Asia/Shanghai';
const tariffs = loadReferenceData().tariffs.tariffs;
const at = (local: string) => Date.parse(`${local}+08:00`);

/** A limiter of 100 kW × 0.95 guarding `periods`, with one load of 40 kW expected (no power point: 40 kW shed). */
function limiter(periods: DemandLimit['periods']): DemandLimiter {
  const limit: DemandLimit = {
    id: 'b1-demand', name: '1号楼最大需量控制', building: 'b1', meter: 'b1-main', contracted_max_kw: 100,
    target_fraction: 0.95, periods, horizon_min: 5, restore_margin_kw: 10, min_shed_s: 300, settle_s: 60,
    loads: [{ device: 'b1-chiller-plant', point: 'chw_supply_temp_setpoint_c', shed: 10, expected_kw: 40 }],
  };
  return new DemandLimiter(limit, tariffs, TZ);
}

/** Shed at `shedAt` (200 kW against a 95 kW limit), then the effect of the step at `thenAt`. */
function effectOfStep(periods: DemandLimit['periods'], shedAt: string, thenAt: string) {
  const l = limiter(periods);
  l.observe(at(shedAt) - 10 * 60_000, 200);
  expect(l.step(at(shedAt), () => undefined).step.action).toEqual({ kind: 'shed', index: 0 });
  const effect = l.step(at(thenAt), () => undefined).effect;
  expect(effect.length).toBe(1);
  return effect[0];
}

describe('energy cost avoided of a step', () => {
  it('does not change for a step inside one period', () => {
    // 2025-03-12 10:50–10:55, all peak: 40 kW × 5/60 h = 3.3333 kWh × (1.12 − 0.70) = 1.40 CNY
    const e = effectOfStep(['peak'], '2025-03-12T10:50', '2025-03-12T10:55');
    expect(e.date).toBe('2025-03-12');
    expect(e.shed_kwh).toBeCloseTo(40 * 5 / 60, 9);
    expect(e.energy_cost_avoided_cny).toBeCloseTo(1.4, 9);
  });

  it('prices each part of a step straddling the 11:00 peak → flat boundary at its own period', () => {
    // 2025-03-12 10:57–11:02, 40 kW shed: 10:57–11:00 peak, 3 min → 2 kWh × (1.12 − 0.70) = 0.84 CNY;
    // 11:00–11:02 flat, 2 min → 1.3333 kWh × (0.70 − 0.70) = 0; total 3.3333 kWh, 0.84 CNY
    // (priced at the flat price in force at 11:02 it would be 0)
    const e = effectOfStep(['peak'], '2025-03-12T10:57', '2025-03-12T11:02');
    expect(e.shed_kwh).toBeCloseTo(40 * 5 / 60, 9);
    expect(e.energy_cost_avoided_cny).toBeCloseTo(0.84, 9);
    // a step 12 min apart counts its last 5 min, 10:57–11:02: the same figures
    const gap = effectOfStep(['peak'], '2025-03-12T10:50', '2025-03-12T11:02');
    expect(gap.shed_kwh).toBeCloseTo(40 * 5 / 60, 9);
    expect(gap.energy_cost_avoided_cny).toBeCloseTo(0.84, 9);
  });

  it('prices a step across local midnight and a month boundary on each part\'s own day and month, and books each part on its day', () => {
    // 2025-06-30 23:58 – 07-01 00:02, 40 kW shed in the valley: June (shoulder) 2 min → 1.3333 kWh × (0.35 − 0.70)
    // = −0.46667 CNY on 06-30; July (summer) 2 min → 1.3333 kWh × (0.28 − 0.70) = −0.56 CNY on 07-01 (shifting
    // valley energy to the flat price costs more); the demand measured at 00:02 and the shed count go to 07-01
    const l = limiter(['valley']);
    l.observe(at('2025-06-30T23:48'), 200);
    expect(l.step(at('2025-06-30T23:58'), () => undefined).step.action).toEqual({ kind: 'shed', index: 0 });
    const [june, july, ...more] = l.step(at('2025-07-01T00:02'), () => undefined).effect;
    expect(more).toEqual([]);
    expect(june).toMatchObject({ date: '2025-06-30', shed_kw: 40, demand_kw: 0, sheds: 0 });
    expect(june.shed_kwh).toBeCloseTo(40 * 2 / 60, 9);
    expect(june.energy_cost_avoided_cny).toBeCloseTo(-0.466667, 6);
    expect(july).toMatchObject({ date: '2025-07-01', shed_kw: 40, demand_kw: 200, sheds: 1 });
    expect(july.shed_kwh).toBeCloseTo(40 * 2 / 60, 9);
    expect(july.energy_cost_avoided_cny).toBeCloseTo(-0.56, 9);
  });

  it('counts nothing for the part of a span without a tariff in force', () => {
    // 2022-12-31 23:58 – 2023-01-01 00:02: no tariff before 2023; January valley 2 min → 1.3333 kWh × (0.28 − 0.70)
    const days = shedEffectByDay(tariffs, TZ, at('2022-12-31T23:58'), at('2023-01-01T00:02'), 40);
    expect(days.get('2022-12-31')).toEqual({ shed_kwh: 40 * 2 / 60, energy_cost_avoided_cny: 0 });
    expect(days.get('2023-01-01')!.energy_cost_avoided_cny).toBeCloseTo(-0.56, 9);
  });
});
