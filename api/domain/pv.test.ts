/** PV yield and performance ratio (IEC 61724-1, NREL temperature correction) against worked examples. */
import { describe, expect, it } from 'vitest';
import { avoidedCo2Kg, cellTemperature, finalYield, gridFactorFor, performanceRatio, referenceYield, selfConsumptionShare, temperatureCorrectedPr } from './pv.ts';
import { loadReferenceData } from '../reference.ts';

describe('PV (IEC 61724-1)', () => {
  it('reproduces the public worked example', () => {
    // 100 kWp, H_POA 1 868.23 kWh/m², E_AC 158 917 kWh:
    // Y_f = 158 917 / 100 = 1 589.17 h; Y_r = 1 868.23 / 1 = 1 868.23 h; PR = 1 589.17 / 1 868.23 = 0.85063
    const yf = finalYield(158_917, 100);
    const yr = referenceYield(1868.23);
    expect(yf).toBeCloseTo(1589.17, 9);
    expect(yr).toBeCloseTo(1868.23, 9);
    expect(performanceRatio(yf, yr)).toBeCloseTo(0.850629, 6);
    expect(performanceRatio(yf, 0)).toBeNull();
  });

  it('corrects PR for cell temperature (NREL)', () => {
    // Two 1-hour intervals, P0 = 100 kWp, γ = −0.004 /°C:
    //   G 800 W/m², T 45 °C, 70 kWh;  G 400 W/m², T 25 °C, 37 kWh.
    // T̄ = (800·45 + 400·25) / 1 200 = 38.333 °C
    // expected = 100·0.8·(1 − 0.004·6.667) + 100·0.4·(1 + 0.004·13.333) = 77.8667 + 42.1333 = 120 kWh
    // PR = 107 / 120 = 0.891667 (with T̄ from the same period the corrections cancel: Σ G·(T − T̄) = 0)
    const samples = [{ ac_kwh: 70, poa_w_m2: 800, cell_temp_c: 45 }, { ac_kwh: 37, poa_w_m2: 400, cell_temp_c: 25 }];
    const same = temperatureCorrectedPr(samples, 100, -0.004, 1);
    expect(same.mean_cell_temp_c).toBeCloseTo(38.3333333, 6);
    expect(same.pr).toBeCloseTo(0.891667, 6);
    // Against a reference temperature of 25 °C (e.g. the year's mean):
    // expected = 80·(1 − 0.004·20) + 40·(1 − 0) = 73.6 + 40 = 113.6; PR = 107 / 113.6 = 0.941901
    expect(temperatureCorrectedPr(samples, 100, -0.004, 1, 25).pr).toBeCloseTo(0.941901, 6);
    expect(temperatureCorrectedPr([], 100, -0.004, 1).pr).toBeNull();
  });

  it('derives cell temperature, self-consumption and avoided CO₂', () => {
    // Sandia: 40 °C back-of-module at 1 000 W/m² → 40 + 1·3 = 43 °C
    expect(cellTemperature(40, 1000)).toBe(43);
    // 1 000 kWh generated, 250 kWh exported → 75 % used on site
    expect(selfConsumptionShare(1000, 250)).toBe(0.75);
    expect(selfConsumptionShare(0, 0)).toBeNull();
    // 2024 uses the latest published factor not after it: East China 2023, 0.5500 → 1 000 kWh avoid 550 kg
    const f = gridFactorFor(loadReferenceData().grid.factors, 'east-china', 2024);
    expect(f?.year).toBe(2023);
    expect(avoidedCo2Kg(1000, f!.kgco2_per_kwh)).toBeCloseTo(550, 9);
  });
});
