/**
 * Electricity use of an office building by sub-item (分类分项, MOHURD 2008: 01A lighting & sockets, 01B HVAC,
 * 01C power, 01D special), driven by the working calendar, the hour, occupancy and the outdoor temperature
 * (cooling above ~22 °C, heat-pump heating below ~14 °C, as Shanghai offices run split/VRF systems).
 *
 * Intensities are set so a typical Shanghai government office uses about 90–100 kWh/(m²·a), of which
 * roughly 40 % lighting & sockets, 38 % HVAC, 12 % power, 10 % special — in line with published sub-metering
 * surveys of Shanghai office buildings [approximate].
 *
 * Power is defined at 15-minute knots (linear between) plus a small sinusoidal ripple with an analytic
 * integral, so the kWh counter equals ∫ kW exactly.
 */
import type { SimulatedDevice } from '../device.ts';
import { localTime } from './calendar.ts';
import { CST_OFFSET_MS, Weather, weatherFor } from './climate.ts';
import { canteen, occupancy, ramp } from './occupancy.ts';
import { childSeed, normalHash, unitHash } from './random.ts';
import { COUNTER_ORIGIN_MS, KnotSeries } from './series.ts';

/** The sub-items the load model knows; `whole` is a building's or feeder's total. */
export type LoadKind = 'lighting' | 'hvac' | 'power' | 'special' | 'whole';

/** Peak intensity of each sub-item, W per m² of floor area. */
const PEAK_W_M2: Record<Exclude<LoadKind, 'whole'>, number> = { lighting: 10, hvac: 18, power: 3, special: 2.5 };

/** The sub-item a 分类分项 code belongs to (01A… lighting, 01B… HVAC, 01C… power, 01D… special, else whole). */
export function loadKindOfCategory(category: string | undefined): LoadKind {
  if (!category) return 'whole';
  if (category.startsWith('01A')) return 'lighting';
  if (category.startsWith('01B')) return 'hvac';
  if (category.startsWith('01C')) return 'power';
  if (category.startsWith('01D')) return 'special';
  return 'whole';
}

/** A building (or part of one) whose power draw is simulated. */
export interface LoadProfile {
  kind: LoadKind;
  floorAreaM2: number;
  /** people using energy (用能人数); scales sockets, lifts and canteen around 30 m² per person */
  headcount?: number;
}

/** The knot-level load model: power in kW at an instant, before ripple. */
export class BuildingLoad {
  private readonly scale: number;
  private readonly people: number;

  constructor(readonly profile: LoadProfile, private readonly seed: number, private readonly weather: Weather) {
    // Each building differs: ±15 % in intensity.
    this.scale = 0.85 + 0.3 * unitHash(seed, 1);
    const typicalHeadcount = profile.floorAreaM2 / 30;
    this.people = Math.min(1.4, Math.max(0.6, (profile.headcount ?? typicalHeadcount) / typicalHeadcount));
  }

  /** Power of the sub-item at an instant, kW, without noise. */
  powerKw(ms: number): number {
    const { day, hour } = localTime(ms, this.weather.utcOffsetMs);
    const area = this.profile.floorAreaM2 * this.scale;
    const occ = occupancy(hour, day.workday);
    const w = (kind: Exclude<LoadKind, 'whole'>): number => {
      switch (kind) {
        case 'lighting': {
          // Standby (PCs, corridors, emergency lights) 18 %; more artificial light on dark winter mornings/evenings.
          const winter = day.month <= 2 || day.month >= 11 ? 1.1 : 1;
          return PEAK_W_M2.lighting * (0.18 + 0.82 * occ * winter * (0.7 + 0.3 * this.people));
        }
        case 'hvac': {
          const t = this.weather.airTempC(ms);
          const cooling = Math.max(0, t - 22) / 10;
          const heating = Math.max(0, 14 - t) / 12;
          const demand = Math.min(1.2, cooling + 0.8 * heating);
          // Plant runs 07:00–18:30 on working days (pre-cooling/heating from 07:00), a few rooms on rest days.
          const schedule = day.workday ? ramp(hour, 6.75, 7.5) * (1 - ramp(hour, 18, 19)) : 0.08 * (hour >= 9 && hour < 17 ? 1 : 0);
          const startBoost = day.workday && hour >= 7 && hour < 8.5 ? 1.25 : 1;
          return PEAK_W_M2.hvac * (0.04 + schedule * (0.2 + 0.8 * demand) * startBoost);
        }
        case 'power':
          // Lifts follow people; water pumps and ventilation fans run around the clock.
          return PEAK_W_M2.power * (0.3 + 0.7 * occ * this.people);
        case 'special':
          // Server room around the clock, canteen kitchen at meal times.
          return PEAK_W_M2.special * (0.45 + 0.55 * canteen(hour, day.workday) * this.people);
      }
    };
    const kind = this.profile.kind;
    const wM2 = kind === 'whole' ? w('lighting') + w('hvac') + w('power') + w('special') : w(kind);
    return (area * wM2) / 1000;
  }
}

/** Ripple of a real load: two incommensurate sinusoids (periods in s) with analytic integrals. */
const RIPPLE_PERIODS_S = [97, 353];

/** Options of a simulated electricity meter. */
/** An HVAC plant fed by a sub-meter: its electrical draw and its own kWh counter (the integral of that draw). */
export interface PlantDraw {
  electricalPowerKw(ms: number): number;
  /** kWh drawn since the plant model's start (0 before it) */
  energyKwh(ms: number): number;
}

export interface ElectricityMeterOptions {
  id: string;
  seed: number;
  /**
   * HVAC plants behind this meter (simulators/physics/hvac-site.ts): their power and kWh are added to the
   * meter's, so the HVAC sub-meter (01B00) agrees with what the plants report over BACnet/MQTT.
   */
  plants?: PlantDraw[];
  /** share of the generic load model kept when plants are attached (terminal units, split units elsewhere) */
  genericShare?: number;
  /** what the meter measures: a sub-item of a building, a building's whole load, or the sum of other meters */
  load: LoadProfile | { sumOf: ElectricityMeter[]; lossFraction?: number };
  /** nominal phase voltage; 220 V in China (GB/T 156), the primary's when behind a PT */
  phaseVoltageV?: number;
  weather?: Weather;
  utcOffsetMs?: number;
}

/**
 * A three-phase electricity meter: cumulative import energy (kWh) exactly the integral of its active power
 * (kW), with per-phase values, power factor and frequency consistent with that power.
 */
export class ElectricityMeter implements SimulatedDevice {
  readonly id: string;
  private readonly seed: number;
  private readonly series?: KnotSeries;
  private readonly children?: ElectricityMeter[];
  private readonly lossFraction: number;
  private readonly rippleKw: number;
  private readonly phases: number;
  readonly initialKwh: number;
  readonly phaseVoltageV: number;
  private readonly plants: PlantDraw[];

  constructor(opts: ElectricityMeterOptions) {
    this.id = opts.id;
    this.seed = childSeed(opts.seed, opts.id);
    this.phaseVoltageV = opts.phaseVoltageV ?? 220;
    this.phases = 3;
    this.plants = opts.plants ?? [];
    if ('sumOf' in opts.load) {
      this.children = opts.load.sumOf;
      this.lossFraction = opts.load.lossFraction ?? 0.015;
      this.rippleKw = 0;
      // The main meter has counted everything its sub-meters counted, and their losses: its register is never
      // below theirs, so it reads positive as far back as they do.
      this.initialKwh = Math.round(this.children.reduce((s, c) => s + c.initialKwh, 0) * (1 + this.lossFraction) * (1 + 0.2 * unitHash(this.seed, 3)));
    } else {
      const weather = opts.weather ?? weatherFor(opts.seed, opts.utcOffsetMs ?? CST_OFFSET_MS);
      const model = new BuildingLoad(opts.load, this.seed, weather);
      const noiseSeed = childSeed(this.seed, 'knot-noise');
      const genericShare = opts.genericShare ?? 1;
      // Knot noise ±4 % (1 σ): people come and go, machines cycle.
      this.series = new KnotSeries((k) => {
        const ms = COUNTER_ORIGIN_MS + k * 900_000;
        return Math.max(0, genericShare * model.powerKw(ms) * (1 + 0.04 * normalHash(noiseSeed, k)));
      }, 900_000, COUNTER_ORIGIN_MS);
      // Ripple amplitude: 1.5 % of the standby load, so power never goes negative.
      this.rippleKw = 0.015 * model.powerKw(COUNTER_ORIGIN_MS + 3 * 3_600_000);
      this.lossFraction = 0;
      // A meter installed some years ago: 3–6 years of its own use (the year before the origin; with plants
      // attached, the generic share scaled back up to the whole load) on the register at the origin, so a
      // backfill reaching back two years still reads positive.
      const yearKwh = -this.series.integralHours(COUNTER_ORIGIN_MS - 365 * 86_400_000) / genericShare;
      this.initialKwh = Math.round(yearKwh * (3 + 3 * unitHash(this.seed, 3)));
    }
  }

  /** Active power, kW (import positive). */
  powerKw(ms: number): number {
    if (this.children) return this.children.reduce((s, c) => s + c.powerKw(ms), 0) * (1 + this.lossFraction);
    return this.series!.rate(ms) + this.ripple(ms) + this.plants.reduce((s, p) => s + p.electricalPowerKw(ms), 0);
  }

  /** Energy imported since the counter origin, kWh (without the initial reading). */
  energySinceOriginKwh(ms: number): number {
    if (this.children) return this.children.reduce((s, c) => s + c.energySinceOriginKwh(ms), 0) * (1 + this.lossFraction);
    return this.series!.integralHours(ms) + this.rippleIntegralHours(ms) - this.rippleIntegralHours(COUNTER_ORIGIN_MS)
      + this.plants.reduce((s, p) => s + p.energyKwh(ms), 0);
  }

  /** The cumulative import register, kWh. */
  energyImportKwh(ms: number): number {
    return this.initialKwh + this.energySinceOriginKwh(ms);
  }

  private ripple(ms: number): number {
    const s = ms / 1000;
    return RIPPLE_PERIODS_S.reduce((sum, p, i) => sum + this.rippleKw * Math.sin((2 * Math.PI * s) / p + i), 0);
  }

  /** ∫ ripple dt in kWh: ∫ A sin(2πs/P + φ) ds = −A·P/(2π)·cos(2πs/P + φ), seconds → hours. */
  private rippleIntegralHours(ms: number): number {
    const s = ms / 1000;
    return RIPPLE_PERIODS_S.reduce((sum, p, i) => sum - (this.rippleKw * p / (2 * Math.PI)) * Math.cos((2 * Math.PI * s) / p + i), 0) / 3600;
  }

  read(ms: number): Record<string, number> {
    const p = this.powerKw(ms);
    const energy = this.energyImportKwh(ms);
    // Power factor improves with load (capacitor banks switch in): 0.86 at no load to 0.97 at high load.
    const pf = 0.97 - 0.11 * Math.exp(-p / Math.max(1, this.nominalKw()));
    const s = p / pf;
    const q = Math.sqrt(Math.max(0, s * s - p * p));
    const slot = Math.floor(ms / 5000);
    const v = [0, 1, 2].map((i) => this.phaseVoltageV * (1 + 0.01 * normalHash(this.seed + i, slot) * 0.5 - 0.01 * Math.min(1, p / Math.max(1, 3 * this.nominalKw()))));
    // Phases are never balanced: L1 carries a little more (single-phase sockets sit there most often).
    const share = [0.36, 0.33, 0.31];
    const points: Record<string, number> = {
      energy_import_kwh: energy,
      energy_export_kwh: 0,
      energy_total_kwh: energy,
      power_kw: p,
      reactive_power_kvar: q,
      apparent_power_kva: s,
      power_factor: pf,
      frequency_hz: 50 + 0.03 * normalHash(this.seed + 9, slot) * 0.5,
    };
    for (let i = 0; i < this.phases; i++) {
      const n = i + 1;
      points[`voltage_l${n}_v`] = v[i];
      points[`power_l${n}_kw`] = p * share[i];
      points[`current_l${n}_a`] = (p * share[i] * 1000) / (v[i] * pf);
      points[`power_factor_l${n}`] = pf;
    }
    points.voltage_l12_v = ((v[0] + v[1]) / 2) * Math.sqrt(3);
    points.voltage_l23_v = ((v[1] + v[2]) / 2) * Math.sqrt(3);
    points.voltage_l31_v = ((v[2] + v[0]) / 2) * Math.sqrt(3);
    return points;
  }

  /** A rough nominal power, for shaping the power factor and voltage drop. */
  private nominalKw(): number {
    return this.children ? this.children.reduce((s, c) => s + c.nominalKw(), 0) : this.series!.rate(COUNTER_ORIGIN_MS + 3 * 3_600_000) * 4;
  }
}
