/**
 * Photovoltaic physics: irradiance on the array from the sun's position and the site's clouds, module
 * temperature, DC power with the temperature coefficient, and an inverter with part-load efficiency and
 * clipping at its AC rating. The AC yield counter is the exact integral of the AC power reported (5-minute
 * knots, linear between them).
 */
import type { SimulatedDevice } from '../device.ts';
import { localTime } from './calendar.ts';
import { CST_OFFSET_MS, Weather, weatherFor } from './climate.ts';
import { childSeed, hashString, unitHash } from './random.ts';
import { COUNTER_ORIGIN_MS, KnotSeries } from './series.ts';
import { clearSkyGhiWm2, planeOfArrayWm2, splitGhi, sunPosition, utcDayOfYear } from './solar.ts';

/** Songjiang, Shanghai (REFERENCE §11). */
export const SONGJIANG = { latitudeDeg: 31.03, longitudeDeg: 121.23 } as const;

/** Where the array is and how it faces. */
export interface ArrayGeometry {
  latitudeDeg: number;
  longitudeDeg: number;
  /** from horizontal; Shanghai rooftops typically 20–25° */
  tiltDeg: number;
  /** 180 = facing south */
  azimuthDeg: number;
}

/** Irradiance and temperatures seen by an array at an instant. */
export interface ArrayConditions {
  ghiWm2: number;
  poaWm2: number;
  airTempC: number;
  moduleTempC: number;
}

/** Irradiance on the array and module temperature at an instant, from the sun and the site's weather. */
export function arrayConditions(ms: number, geometry: ArrayGeometry, weather: Weather, nightTemperatures = true): ArrayConditions {
  const sun = sunPosition(ms, geometry.latitudeDeg, geometry.longitudeDeg);
  const clear = clearSkyGhiWm2(sun.zenithDeg);
  if (clear <= 0) {
    // At night only sensors need the temperatures; the PV knots (half of them) skip the weather.
    const air = nightTemperatures ? weather.airTempC(ms) : Number.NaN;
    return { ghiWm2: 0, poaWm2: 0, airTempC: air, moduleTempC: air };
  }
  const airTempC = weather.airTempC(ms);
  const ghiWm2 = clear * weather.cloudFactor(ms);
  const poaWm2 = planeOfArrayWm2(splitGhi(ghiWm2, sun.zenithDeg, utcDayOfYear(ms)), sun, geometry.tiltDeg, geometry.azimuthDeg);
  // NOCT model (IEC 61215 NOCT 45 °C at 800 W/m², 20 °C air): ΔT = (NOCT − 20)/800 · G, ×0.9 for a ventilated roof.
  const moduleTempC = airTempC + (poaWm2 * (45 - 20)) / 800 * 0.9;
  return { ghiWm2, poaWm2, airTempC, moduleTempC };
}

/** Configuration of a simulated PV inverter with its array. */
export interface PvInverterOptions {
  id: string;
  seed: number;
  peakPowerKwp: number;
  /** AC rating; default DC/AC ratio 1.15 */
  acRatingKw?: number;
  /** γ of Pmax, per °C (datasheets of mono-Si modules: about −0.0035) */
  tempCoefficientPerC?: number;
  geometry?: Partial<ArrayGeometry>;
  /** MPPT trackers (SunSpec model 160 repeating blocks) */
  mpptCount?: number;
  /** DC losses before the inverter: soiling, mismatch, wiring (fraction) */
  dcLossFraction?: number;
  utcOffsetMs?: number;
  weather?: Weather;
}

interface Knot {
  dcKw: number;
  acKw: number;
}

/** SunSpec operating states (model 103 point St) the simulator uses. */
export const INVERTER_STATE = { sleeping: 2, mppt: 4, throttled: 5 } as const;

/** A grid-tied PV inverter and its array, as a SimulatedDevice. */
export class PvInverter implements SimulatedDevice {
  readonly id: string;
  readonly acRatingKw: number;
  readonly peakPowerKwp: number;
  readonly mpptCount: number;
  private readonly geometry: ArrayGeometry;
  private readonly gamma: number;
  private readonly dcLoss: number;
  private readonly weather: Weather;
  private readonly ac: KnotSeries;
  private readonly dc: KnotSeries;
  private readonly knots = new Map<number, Knot>();
  private readonly initialKwh: number;
  private readonly mpptShare: number[];
  private readonly utcOffsetMs: number;
  private readonly seed: number;

  constructor(opts: PvInverterOptions) {
    this.id = opts.id;
    this.seed = childSeed(opts.seed, opts.id);
    this.peakPowerKwp = opts.peakPowerKwp;
    this.acRatingKw = opts.acRatingKw ?? Math.round((opts.peakPowerKwp / 1.15) * 10) / 10;
    this.gamma = opts.tempCoefficientPerC ?? -0.0035;
    this.dcLoss = opts.dcLossFraction ?? 0.14;
    this.geometry = { ...SONGJIANG, tiltDeg: 22, azimuthDeg: 180, ...opts.geometry };
    this.utcOffsetMs = opts.utcOffsetMs ?? CST_OFFSET_MS;
    this.weather = opts.weather ?? weatherFor(opts.seed, this.utcOffsetMs);
    this.mpptCount = Math.max(1, opts.mpptCount ?? 2);
    // Strings are never quite equal: shares within ±3 % of an even split, summing to 1.
    const raw = Array.from({ length: this.mpptCount }, (_, i) => 1 + 0.06 * (unitHash(this.seed, 1000 + i) - 0.5));
    const total = raw.reduce((a, b) => a + b, 0);
    this.mpptShare = raw.map((r) => r / total);
    this.initialKwh = Math.round(this.peakPowerKwp * 1100 * (1 + 2 * unitHash(this.seed, 7)));
    const step = 5 * 60_000;
    this.ac = new KnotSeries((k) => this.knot(k).acKw, step, COUNTER_ORIGIN_MS);
    this.dc = new KnotSeries((k) => this.knot(k).dcKw, step, COUNTER_ORIGIN_MS);
  }

  private knot(k: number): Knot {
    let hit = this.knots.get(k);
    if (hit) return hit;
    const ms = COUNTER_ORIGIN_MS + k * this.ac.stepMs;
    const c = arrayConditions(ms, this.geometry, this.weather, false);
    hit = this.convert(c);
    if (this.knots.size > 4096) this.knots.clear();
    this.knots.set(k, hit);
    return hit;
  }

  /** DC and AC power for given conditions (clipping at the AC rating, part-load losses). */
  convert(c: ArrayConditions): Knot {
    if (c.poaWm2 <= 0) return { dcKw: 0, acKw: 0 };
    const dcKw = Math.max(0, this.peakPowerKwp * (c.poaWm2 / 1000) * (1 + this.gamma * (c.moduleTempC - 25)) * (1 - this.dcLoss));
    // Start-up threshold: below 0.5 % of rating the inverter stays asleep.
    if (dcKw < 0.005 * this.acRatingKw) return { dcKw: 0, acKw: 0 };
    // Losses: no-load 0.4 % of rating, 2 % proportional, and an ohmic term growing with the square of load.
    const lossKw = 0.004 * this.acRatingKw + 0.02 * dcKw + (0.01 * dcKw * dcKw) / this.acRatingKw;
    const acKw = Math.min(this.acRatingKw, Math.max(0, dcKw - lossKw));
    return { dcKw, acKw };
  }

  /** AC power in kW at an instant (positive = delivered to the grid). */
  acPowerKw(ms: number): number {
    return this.ac.rate(ms);
  }

  /** Lifetime AC yield, kWh: a seeded initial reading plus the integral of AC power since the counter origin. */
  acEnergyKwh(ms: number): number {
    return this.initialKwh + this.ac.integralHours(ms);
  }

  read(ms: number): Record<string, number> {
    const c = arrayConditions(ms, this.geometry, this.weather);
    const acKw = this.ac.rate(ms);
    const dcKw = this.dc.rate(ms);
    const energy = this.acEnergyKwh(ms);
    const { hour } = localTime(ms, this.utcOffsetMs);
    const midnight = ms - hour * 3_600_000;
    const load = acKw / this.acRatingKw;
    // Vmp of the strings falls 0.33 %/°C (mono-Si) and a little at low light; 600 V nominal per tracker.
    const vmp = dcKw > 0 ? 600 * (1 - 0.0033 * (c.moduleTempC - 25)) * (1 + 0.04 * Math.log(Math.max(c.poaWm2, 20) / 1000)) : 0;
    const phaseV = 220 + 3 * (unitHash(this.seed, Math.floor(ms / 10_000)) - 0.5) + 4 * load;
    const phaseA = acKw > 0 ? (acKw * 1000) / (3 * phaseV) : 0;
    const lineV = phaseV * Math.sqrt(3);
    // Point names shared with the vendor templates (huawei-sun2000) and the SunSpec mapping, so every inverter
    // publishes the same canonical points: AC power and yield, DC power, inverter temperature.
    const points: Record<string, number> = {
      power_ac_kw: acKw,
      energy_yield_kwh: energy,
      energy_yield_today_kwh: energy - this.acEnergyKwh(midnight),
      power_dc_kw: dcKw,
      voltage_dc_v: vmp,
      current_dc_a: vmp > 0 ? (dcKw * 1000) / vmp : 0,
      apparent_power_kva: acKw,
      reactive_power_kvar: 0,
      power_factor: 1,
      frequency_hz: 50 + 0.02 * (unitHash(this.seed, Math.floor(ms / 5000)) - 0.5),
      voltage_l1_v: phaseV, voltage_l2_v: phaseV + 0.8, voltage_l3_v: phaseV - 0.6,
      voltage_l12_v: lineV, voltage_l23_v: lineV + 0.3, voltage_l31_v: lineV - 0.4,
      current_l1_a: phaseA, current_l2_a: phaseA, current_l3_a: phaseA,
      current_a: 3 * phaseA,
      temp_inverter_c: c.airTempC + 6 + 14 * load,
      temp_heatsink_c: c.airTempC + 4 + 28 * load,
      power_rated_kw: this.acRatingKw,
      inverter_state: acKw <= 0 ? INVERTER_STATE.sleeping : acKw >= this.acRatingKw - 1e-9 ? INVERTER_STATE.throttled : INVERTER_STATE.mppt,
    };
    const dcEnergy = this.dc.integralHours(ms) + this.initialKwh * 1.04;
    this.mpptShare.forEach((share, i) => {
      const n = i + 1;
      const v = vmp > 0 ? vmp * (1 + (share - 1 / this.mpptCount)) : 0;
      points[`mppt${n}_power_dc_kw`] = dcKw * share;
      points[`mppt${n}_voltage_dc_v`] = v;
      points[`mppt${n}_current_dc_a`] = v > 0 ? (dcKw * share * 1000) / v : 0;
      points[`mppt${n}_energy_dc_kwh`] = dcEnergy * share;
      points[`mppt${n}_temp_module_c`] = c.moduleTempC;
    });
    return points;
  }
}

/** Irradiance / module-temperature sensor mounted in the array's plane (a PV reference cell with a PT1000). */
export class IrradianceSensor implements SimulatedDevice {
  private readonly geometry: ArrayGeometry;
  private readonly weather: Weather;
  private readonly seed: number;

  private readonly poa: KnotSeries;

  constructor(readonly id: string, seed: number, geometry?: Partial<ArrayGeometry>, weather?: Weather) {
    this.seed = childSeed(seed, id);
    this.geometry = { ...SONGJIANG, tiltDeg: 22, azimuthDeg: 180, ...geometry };
    this.weather = weather ?? weatherFor(seed);
    const step = 5 * 60_000;
    this.poa = new KnotSeries((k) => arrayConditions(COUNTER_ORIGIN_MS + k * step, this.geometry, this.weather, false).poaWm2, step, COUNTER_ORIGIN_MS);
  }

  read(ms: number): Record<string, number> {
    const c = arrayConditions(ms, this.geometry, this.weather);
    const { hour } = localTime(ms, this.weather.utcOffsetMs);
    const todayWhM2 = this.poa.integralHours(ms) - this.poa.integralHours(ms - hour * 3_600_000);
    // Reference cells read within ±2 % and a fraction of a W/m² of noise.
    const noise = 1 + 0.004 * (unitHash(this.seed, Math.floor(ms / 1000)) - 0.5);
    return {
      irradiance_w_m2: c.poaWm2 * noise,
      irradiance_ghi_w_m2: c.ghiWm2 * noise,
      irradiation_today_kwh_m2: todayWhM2 / 1000,
      temp_module_c: c.moduleTempC,
      temp_c: c.airTempC,
    };
  }
}

/** A seed from a string, for callers that name their fleet instead of numbering it. */
export const seedOf = hashString;
