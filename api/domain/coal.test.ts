/** Standard coal and intensities against hand-worked examples (GB/T 2589-2020; public-institution statistics). */
import { describe, expect, it } from 'vitest';
import { loadReferenceData } from '../reference.ts';
import { coalCoefficients, standardCoal } from './coal.ts';
import { changePct, perUnit, rateIntensity } from './intensity.ts';

const ref = loadReferenceData();

describe('standard coal (GB/T 2589-2020)', () => {
  it('converts electricity by 当量值 by default', () => {
    const { coefficients, warnings } = coalCoefficients(ref.coal, '2025-01-01', 2025);
    expect(warnings).toEqual([]);
    // 10 000 kWh × 0.1229 kgce/kWh = 1 229 kgce
    // 500 m³ natural gas × 1.2143 kgce/m³ = 607.15 kgce
    // 100 m³ water × 0 = 0 (a resource, not energy)
    // total = 1 229 + 607.15 = 1 836.15 kgce
    const r = standardCoal({ electricity: 10_000, gas: 500, water: 100 }, coefficients);
    expect(r.by_medium.electricity?.kgce).toBeCloseTo(1229, 9);
    expect(r.by_medium.gas?.kgce).toBeCloseTo(607.15, 9);
    expect(r.by_medium.water?.kgce).toBe(0);
    expect(r.total_kgce).toBeCloseTo(1836.15, 9);
  });

  it('uses the per-year 等价值 coefficient when asked, falling back to an earlier year with a warning', () => {
    // 2023: 300.7 gce/kWh → 10 000 kWh × 0.3007 = 3 007 kgce; plus gas 607.15 = 3 614.15 kgce
    const y2023 = coalCoefficients(ref.coal, '2023-01-01', 2023, 'equal');
    expect(standardCoal({ electricity: 10_000, gas: 500 }, y2023.coefficients).total_kgce).toBeCloseTo(3614.15, 9);
    const y2030 = coalCoefficients(ref.coal, '2030-01-01', 2030, 'equal');
    expect(y2030.warnings.map((w) => w.code)).toEqual(['equal_value_from_other_year']);
    expect(y2030.coefficients.unconfirmed).toBe(true);
  });

  it('leaves a medium without coefficient out of the total and says so', () => {
    const { coefficients } = coalCoefficients(ref.coal, '2025-01-01', 2025);
    const r = standardCoal({ electricity: 1000, cooling: 50 }, coefficients);
    expect(r.total_kgce).toBeCloseTo(122.9, 9);
    expect(r.warnings.map((w) => w.code)).toEqual(['no_coal_coefficient']);
  });
});

describe('intensities', () => {
  it('divides by headcount and area, refusing a missing denominator', () => {
    // 1 836.15 kgce / 80 people = 22.951875 kgce/person; / 1 000 m² = 1.83615 kgce/m²
    expect(perUnit(1836.15, 80)).toBeCloseTo(22.951875, 9);
    expect(perUnit(1836.15, 1000)).toBeCloseTo(1.83615, 9);
    expect(perUnit(1836.15, undefined)).toBeNull();
    expect(perUnit(1836.15, 0)).toBeNull();
  });

  it('computes 同比 as the seed reports it', () => {
    // H1 2021 100 kgce/person, H1 2022 96.69 → (96.69 − 100) / 100 = −3.31 %
    expect(changePct(96.69, 100)).toBeCloseTo(-3.31, 9);
    expect(changePct(96.69, null)).toBeNull();
    expect(changePct(5, 0)).toBeNull();
  });

  it('rates against 约束值/引导值, pro-rating a part year', () => {
    // A-class government office: limit 70, target 55 kWh/(m²·a). 60 lies between.
    const year = rateIntensity(60, 365, 365, { limit: 70, target: 55 });
    expect(year.rating).toBe('between_target_and_limit');
    expect(year.warnings).toEqual([]);
    // 181 days: limit 70 × 181/365 = 34.7123…, target 55 × 181/365 = 27.2740…; 30 lies between
    const half = rateIntensity(30, 181, 365, { limit: 70, target: 55 });
    expect(half.limit).toBeCloseTo(34.712329, 5);
    expect(half.target).toBeCloseTo(27.273973, 5);
    expect(half.rating).toBe('between_target_and_limit');
    expect(half.warnings.map((w) => w.code)).toEqual(['prorated_limits']);
    expect(rateIntensity(50, 365, 365, { limit: 70, target: 55 }).rating).toBe('at_or_below_target');
    expect(rateIntensity(71, 365, 365, { limit: 70, target: 55 }).rating).toBe('above_limit');
  });
});
