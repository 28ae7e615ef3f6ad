/**
 * Water and natural-gas meters of an office building: cumulative volume (m³) exactly the integral of the
 * flow (m³/h) the same meter reports.
 *
 * Water: about 40 L per person per working day (GB 50555-2010 gives 30–50 L/(person·day) for offices),
 * following occupancy, with the canteen's peaks and a small night flow (cisterns, leaks).
 * Gas: the canteen's cooking, about 0.06 m³ per person per working day, more in winter (colder water and
 * air); nothing at night.
 */
import type { SimulatedDevice } from '../device.ts';
import { localTime } from './calendar.ts';
import { CST_OFFSET_MS, weatherFor, type Weather } from './climate.ts';
import { canteen, occupancy } from './occupancy.ts';
import { childSeed, normalHash, unitHash } from './random.ts';
import { COUNTER_ORIGIN_MS, KnotSeries } from './series.ts';

/** What a utility meter serves. */
export interface UtilityMeterOptions {
  id: string;
  seed: number;
  medium: 'water' | 'gas';
  headcount: number;
  weather?: Weather;
}

const STEP_MS = 900_000;

/** A water meter (`water_m3`, `flow_m3h`) or a gas volume corrector (`gas_m3`, `gas_flow_m3h`, …). */
export class UtilityMeter implements SimulatedDevice {
  readonly id: string;
  private readonly series: KnotSeries;
  private readonly counterPoint: string;
  readonly initialM3: number;

  constructor(opts: UtilityMeterOptions) {
    this.id = opts.id;
    const seed = childSeed(opts.seed, opts.id);
    const weather = opts.weather ?? weatherFor(opts.seed, CST_OFFSET_MS);
    const scale = 0.85 + 0.3 * unitHash(seed, 1);
    const people = Math.max(1, opts.headcount) * scale;
    this.counterPoint = opts.medium === 'water' ? 'water_m3' : 'gas_m3';
    // Daily volume per person spread over the occupied hours (integral of the occupancy curve ≈ 10.5 h/day).
    const flow = (ms: number): number => {
      const { day, hour } = localTime(ms, weather.utcOffsetMs);
      if (opts.medium === 'water') {
        const perPersonM3H = 0.04 / 10.5;
        return people * perPersonM3H * (0.8 * occupancy(hour, day.workday) + 0.6 * canteen(hour, day.workday)) + 0.02 + 0.00002 * people;
      }
      const winter = 1 + 0.4 * Math.max(0, 15 - weather.airTempC(ms)) / 15;
      const perPersonM3H = 0.06 / 1.9; // ∫ canteen(h) dh ≈ 1.9 h on a working day
      return people * perPersonM3H * canteen(hour, day.workday) * winter;
    };
    const noiseSeed = childSeed(seed, 'noise');
    this.series = new KnotSeries((k) => Math.max(0, flow(COUNTER_ORIGIN_MS + k * STEP_MS) * (1 + 0.08 * normalHash(noiseSeed, k))), STEP_MS, COUNTER_ORIGIN_MS);
    // A meter installed some years ago: 3–6 years of its own use (the year before the origin) on the register at
    // the origin, so a backfill reaching back two years still reads positive (a register never goes below zero).
    const yearly = -this.series.integralHours(COUNTER_ORIGIN_MS - 365 * 86_400_000);
    this.initialM3 = Math.round(yearly * (3 + 3 * unitHash(seed, 3)));
  }

  /** Flow, m³/h. */
  flowM3H(ms: number): number {
    return this.series.rate(ms);
  }

  /** Cumulative volume register, m³. */
  volumeM3(ms: number): number {
    return this.initialM3 + this.series.integralHours(ms);
  }

  read(ms: number): Record<string, number> {
    const volume = this.volumeM3(ms);
    if (this.counterPoint === 'water_m3') return { water_m3: volume, flow_m3h: this.flowM3H(ms) };
    // A gas volume corrector reports standard volume (gas_m3) and the working volume at line conditions:
    // V_working = V_std · (p_std/p) · (T/T_std) with GB/T 11062 reference 101.325 kPa, 20 °C; low-pressure supply
    // ≈ 103.3 kPa abs; the buried pipe keeps the gas near 15 °C (the medium temperature shown wanders ±1 °C).
    const tempC = 15 + Math.sin(ms / 86_400_000);
    const pressureKpa = 103.3;
    return {
      gas_m3: volume,
      gas_working_m3: volume * (101.325 / pressureKpa) * (288.15 / 293.15),
      gas_flow_m3h: this.flowM3H(ms),
      temp_c: tempC,
      pressure_kpa: pressureKpa,
    };
  }
}

/** An outdoor weather station: air temperature, relative humidity and global horizontal irradiance. */
export class WeatherStation implements SimulatedDevice {
  private readonly seed: number;

  constructor(readonly id: string, seed: number, private readonly weather: Weather = weatherFor(seed)) {
    this.seed = childSeed(seed, id);
  }

  read(ms: number): Record<string, number> {
    // A PT100 in a radiation shield: ±0.1 °C of noise.
    const noise = 0.1 * normalHash(this.seed, Math.floor(ms / 10_000));
    return {
      temp_c: this.weather.airTempC(ms) + noise,
      humidity_pct: this.weather.relativeHumidityPct(ms),
    };
  }
}
