/**
 * PV performance (IEC 61724-1; NREL Dierauf et al. 2013, "Weather-Corrected Performance Ratio", NREL/TP-5200-57991):
 * final yield, reference yield, performance ratio, temperature-corrected PR, self-consumption, avoided CO₂.
 */

/** G_ref of IEC 61724-1: 1 kW/m². */
export const G_REF_KW_M2 = 1;

/** Final yield Y_f = E_AC / P0 in kWh/kWp (= hours at rated power). */
export function finalYield(acEnergy_kwh: number, peakPower_kwp: number): number {
  return acEnergy_kwh / peakPower_kwp;
}

/** Reference yield Y_r = H_POA / G_ref in h (peak-sun hours), H_POA in kWh/m². */
export function referenceYield(poaIrradiation_kwh_m2: number): number {
  return poaIrradiation_kwh_m2 / G_REF_KW_M2;
}

/** Performance ratio PR = Y_f / Y_r; null without irradiation. */
export function performanceRatio(finalYield_h: number, referenceYield_h: number): number | null {
  return referenceYield_h > 0 ? finalYield_h / referenceYield_h : null;
}

/** One interval of PV measurements: AC energy and plane-of-array irradiance (mean W/m²) and cell temperature. */
export interface PvSample {
  ac_kwh: number;
  poa_w_m2: number;
  cell_temp_c: number;
}

/**
 * Temperature-corrected PR (NREL, Dierauf et al. 2013, eq. 2):
 * PR_corr = Σ E_AC / Σ [P0 · (G/1000) · Δt · (1 + γ (T_cell − T̄_cell))], T̄_cell = Σ G·T_cell / Σ G
 * the irradiance-weighted mean cell temperature. Over the same period the corrections cancel (Σ G·(T − T̄) = 0),
 * so NREL takes T̄ from a longer reference period (a year): pass it as `referenceCellTemp_c` to compare months.
 * Intervals of equal length Δt (hours).
 */
export function temperatureCorrectedPr(samples: PvSample[], peakPower_kwp: number, gamma_per_c: number, intervalHours: number, referenceCellTemp_c?: number): { pr: number | null; mean_cell_temp_c: number | null } {
  const sumG = samples.reduce((a, s) => a + s.poa_w_m2, 0);
  if (sumG <= 0) return { pr: null, mean_cell_temp_c: null };
  const meanT = samples.reduce((a, s) => a + s.poa_w_m2 * s.cell_temp_c, 0) / sumG;
  const tBar = referenceCellTemp_c ?? meanT;
  const expected = samples.reduce((a, s) => a + peakPower_kwp * (s.poa_w_m2 / 1000) * intervalHours * (1 + gamma_per_c * (s.cell_temp_c - tBar)), 0);
  const actual = samples.reduce((a, s) => a + s.ac_kwh, 0);
  return { pr: expected > 0 ? actual / expected : null, mean_cell_temp_c: meanT };
}

/**
 * Cell temperature from the module back-surface temperature (Sandia model, King et al. 2004):
 * T_cell = T_module + (G / 1000) · ΔT, ΔT = 3 °C for open-rack glass/cell/polymer-sheet modules.
 */
export function cellTemperature(moduleTemp_c: number, poa_w_m2: number, deltaT_c = 3): number {
  return moduleTemp_c + (poa_w_m2 / 1000) * deltaT_c;
}

/** Self-consumption share = (generation − export) / generation; null without generation. */
export function selfConsumptionShare(generation_kwh: number, export_kwh: number): number | null {
  return generation_kwh > 0 ? Math.max(0, generation_kwh - export_kwh) / generation_kwh : null;
}

/** Avoided CO₂ in kg = generation × grid emission factor (kgCO₂/kWh of the region and year). */
export function avoidedCo2Kg(generation_kwh: number, factor_kgco2_per_kwh: number): number {
  return generation_kwh * factor_kgco2_per_kwh;
}

/** The grid factor for a year: the latest of the region whose year is not after it (factors lag publication). */
export function gridFactorFor(factors: { region: string; year: number; kgco2_per_kwh: number; source: string }[], region: string, year: number) {
  return factors.filter((f) => f.region === region && f.year <= year).sort((a, b) => a.year - b.year).at(-1)
    ?? factors.filter((f) => f.region === region).sort((a, b) => a.year - b.year)[0];
}
