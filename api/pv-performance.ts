/**
 * The performance of a PV system over a range (issue 6), shared by `GET /pv-systems/{id}/performance` and the
 * daily KPI write-back (decision 0408), so the board and the API give the same figures: AC yield from the
 * inverters' interval energy (the collector derives it from their yield counters at ingestion, with the
 * roll-over, replacement and gap rules of every counter: issue 18 §3), plane-of-array irradiation and module
 * temperature from the configured sensor, IEC 61724-1 yields and PR, NREL temperature-corrected PR,
 * self-consumption where an export meter exists, avoided CO₂.
 */
import { localParts, tzOffsetMs } from '../core/time.ts';
import type { PvSystem } from '../core/site/schema.ts';
import type { ApiContext } from './context.ts';
import {
  avoidedCo2Kg, cellTemperature, finalYield, gridFactorFor, performanceRatio, periodsIn, referenceYield,
  selfConsumptionShare, temperatureCorrectedPr, warn, type Granularity, type PvSample, type Warning,
} from './domain/index.ts';
import { isoLocal } from './params.ts';
import { counterIncrements, sourceSeries, telemetryWindows, type SeriesPoint } from './series.ts';
import { addProvenance, coverageOf, expectedIntervals, NO_PROVENANCE, type Provenance } from './domain/provenance.ts';
import { round } from './format.ts';
import { dedupe } from './routes/energy-kpis.ts';

const HOUR_MS = 3_600_000;
/** Typical γ of crystalline-silicon modules, used when the system does not configure its own. */
const DEFAULT_GAMMA_PER_C = -0.0037;
/** Point names (DESIGN.md boundary 3; the SunSpec and vendor templates map to these). */
const POINTS = { yield: 'energy_yield_kwh', export: 'energy_export_kwh', poa: 'irradiance_w_m2', moduleTemp: 'temp_module_c' };

const r = (v: number | null, d = 4) => (v === null ? null : round(v, d));

/** The performance of `system` over [from, to) in periods of `granularity`, as the API answers it. */
export async function pvPerformance(ctx: Pick<ApiContext, 'index' | 'storage' | 'reference'>, system: PvSystem, q: { from: number; to: number; granularity: Granularity; region: string; referenceCellTempC?: number }) {
  const { from, to, granularity, region } = q;
  const tz = ctx.index.tz;
  const siteId = ctx.index.site.site.id;
  const warnings: Warning[] = [];
  // One hour before `from`, so that the first hour's counter increment is known.
  const read = (devices: string[], point: string, fn: 'mean' | 'max') =>
    telemetryWindows(ctx.storage, { siteId, devices, point, fn, from: from - HOUR_MS, to, every_ms: HOUR_MS, tz });
  const sensor = system.irradiance_sensor ? [system.irradiance_sensor] : [];
  const inverters = { kind: 'meters' as const, ids: system.inverters, meters: system.inverters.length };
  const [yieldHourly, exportMax, poa, moduleTemp] = await Promise.all([
    sourceSeries(ctx.storage, { siteId, source: inverters, medium: 'electricity', from, to, interval: '1h', tz }),
    read(system.export_meter ? [system.export_meter] : [], POINTS.export, 'max'),
    read(sensor, POINTS.poa, 'mean'),
    read(sensor, POINTS.moduleTemp, 'mean'),
  ]);
  const hourly = (m: Map<string, SeriesPoint[]>, counter: boolean, what: string) => {
    const sum = new Map<number, number>();
    for (const [device, pts] of m) {
      const { increments, resets } = counter ? counterIncrements(pts) : { increments: pts, resets: 0 };
      if (resets > 0) warnings.push(warn('counter_decreased', `${device}: ${what} counter decreased ${resets} time(s); those hours are left out`));
      for (const p of increments) if (p.time >= from) sum.set(p.time, (sum.get(p.time) ?? 0) + p.value);
    }
    return sum;
  };
  const acByHour = new Map(yieldHourly.map((p) => [p.time, p.value]));
  const acProvenance = new Map<number, Provenance>(yieldHourly.map((p) => [p.time, p]));
  const exportByHour = hourly(exportMax, true, 'export');
  const poaByHour = hourly(poa, false, 'irradiance');
  const tempByHour = hourly(moduleTemp, false, 'module temperature');
  if (acByHour.size === 0) warnings.push(warn('no_data', `no inverter energy (from ${POINTS.yield}) of ${system.inverters.join(', ')} in the range`));
  if (!system.irradiance_sensor) warnings.push(warn('no_irradiance_sensor', 'the PV system has no irradiance_sensor: no reference yield or PR'));
  else if (poaByHour.size === 0) warnings.push(warn('no_irradiance', `no ${POINTS.poa} from ${system.irradiance_sensor} in the range: no reference yield or PR`));
  const gamma = system.temp_coefficient_per_c ?? DEFAULT_GAMMA_PER_C;
  if (system.temp_coefficient_per_c === undefined) warnings.push(warn('default_temperature_coefficient', `temp_coefficient_per_c not configured: γ = ${DEFAULT_GAMMA_PER_C} /°C assumed for the temperature-corrected PR`));

  // NREL: T̄_cell over the whole requested range, so that the periods inside it are comparable.
  const samplesIn = (start: number, end: number): PvSample[] => {
    const out: PvSample[] = [];
    for (const [t, g] of poaByHour) {
      const ac = acByHour.get(t), tm = tempByHour.get(t);
      if (t >= start && t < end && ac !== undefined && tm !== undefined) out.push({ ac_kwh: ac, poa_w_m2: g, cell_temp_c: cellTemperature(tm, g) });
    }
    return out;
  };
  const whole = samplesIn(from, to);
  const sumG = whole.reduce((a, s) => a + s.poa_w_m2, 0);
  // a fixed reference (the write-back's 25 °C, IEC 61724-1 PR'_STC) keeps a day's figure independent of the range
  const tRef = q.referenceCellTempC ?? (sumG > 0 ? whole.reduce((a, s) => a + s.poa_w_m2 * s.cell_temp_c, 0) / sumG : undefined);

  // The inverters' quarter-hours behind the AC energy: estimated part, coverage, completeness (issue 12).
  const acProvenanceOf = (start: number, end: number) => {
    let sum = NO_PROVENANCE;
    for (const [t, p] of acProvenance) if (t >= start && t < end) sum = addProvenance(sum, p);
    const c = coverageOf(sum, expectedIntervals(start, end, inverters.meters));
    return { ac_estimated_kwh: round(sum.estimated, 4), ac_coverage: round(c.coverage, 4), ac_complete: c.complete };
  };
  const period = (start: number, end: number) => {
    const inRange = (m: Map<number, number>) => [...m.entries()].filter(([t]) => t >= start && t < end);
    const ac = inRange(acByHour).reduce((a, [, v]) => a + v, 0);
    // PR over hours that have both yield and irradiance (IEC 61724-1: exclude incomplete intervals consistently).
    const both = inRange(poaByHour).filter(([t]) => acByHour.has(t));
    const acBoth = both.reduce((a, [t]) => a + (acByHour.get(t) ?? 0), 0);
    const hPoa = inRange(poaByHour).reduce((a, [, g]) => a + g / 1000, 0); // mean W/m² over 1 h → kWh/m²
    const hBoth = both.reduce((a, [, g]) => a + g / 1000, 0);
    const exp = system.export_meter ? inRange(exportByHour).reduce((a, [, v]) => a + v, 0) : null;
    const year = localParts(start, tz).year;
    const factor = gridFactorFor(ctx.reference.grid.factors, region, year);
    const hours = (end - start) / HOUR_MS;
    const acHours = inRange(acByHour).length;
    return {
      start: isoLocal(start, tzOffsetMs(start, tz)), end: isoLocal(end, tzOffsetMs(end, tz)),
      ac_energy_kwh: round(ac, 4),
      ...acProvenanceOf(start, end),
      final_yield_kwh_kwp: round(finalYield(ac, system.peak_power_kwp), 4),
      poa_irradiation_kwh_m2: poaByHour.size > 0 ? round(hPoa, 4) : null,
      reference_yield_h: poaByHour.size > 0 ? round(referenceYield(hPoa), 4) : null,
      performance_ratio: r(hBoth > 0 ? performanceRatio(finalYield(acBoth, system.peak_power_kwp), referenceYield(hBoth)) : null),
      temperature_corrected_pr: r(temperatureCorrectedPr(samplesIn(start, end), system.peak_power_kwp, gamma, 1, tRef).pr),
      export_kwh: exp === null ? null : round(exp, 4),
      self_consumption_share: exp === null ? null : r(selfConsumptionShare(ac, exp)),
      avoided_co2_kg: factor ? round(avoidedCo2Kg(ac, factor.kgco2_per_kwh), 3) : null,
      grid_factor: factor ? { region: factor.region, year: factor.year, kgco2_per_kwh: factor.kgco2_per_kwh, source: factor.source } : null,
      hours_with_yield: acHours,
      hours: Math.round(hours),
    };
  };
  const periods = periodsIn(from, to, tz, granularity).map((p) => period(p.start, p.end));
  if (!system.export_meter) warnings.push(warn('no_export_meter', 'no export_meter configured: self-consumption cannot be computed'));
  return {
    system: system.id, name: system.name, peak_power_kwp: system.peak_power_kwp, granularity,
    from: isoLocal(from, tzOffsetMs(from, tz)), to: isoLocal(to, tzOffsetMs(to, tz)),
    reference_cell_temp_c: tRef === undefined ? null : round(tRef, 3),
    periods, total: period(from, to), warnings: dedupe(warnings),
  };
}
