/**
 * Peak-demand limiting of one building (pure; docs/automation.md gives the formulas and their sources). The
 * building's demand is the mean power over a 15-minute demand period with a sliding window (DL/T 614 multifunction
 * meters: 需量周期 15 min, 滑差 1 min). The limiter forecasts the window that ends `horizon` minutes from now —
 * the mean power of the past part of that window, the present power for the rest — and, inside the tariff periods
 * it guards, sheds the configured loads in order when the forecast exceeds the limit, then restores them, last shed
 * first, once the forecast with the load back stays `restore_margin_kw` below the limit. It measures what it did:
 * kW shed (a load's measured power before and after, or its expected kW), kWh shifted and their cost avoided.
 */
import { priceAt, pricedParts, tariffOn, type TouKind } from '../api/domain/tariff.ts';
import type { Tariff } from '../api/reference.ts';
import { dateOfParts, localDate, localParts } from '../core/time.ts';
import type { DemandLimit } from './schema.ts';

const WINDOW_MS = 15 * 60_000;
/** the longest span one step counts */
const MAX_STEP_MS = 5 * 60_000;

/** A shed load: its index in `loads`, since when, and its measured power just before. */
export interface ShedLoad { index: number; since_ms: number; before_kw?: number }

/** What one step decided and saw. */
export interface DemandStep {
  active: boolean;
  period: TouKind | null;
  limit_kw: number;
  /** forecast of the 15-minute demand at the end of the horizon, kW (null before any reading) */
  forecast_kw: number | null;
  /** the 15-minute demand measured now */
  demand_kw: number | null;
  shed_kw: number;
  action?: { kind: 'shed' | 'restore'; index: number };
}

/** Effect of a stretch of time, to add to the day's record. */
export interface EffectDelta {
  date: string;
  shed_kwh: number;
  energy_cost_avoided_cny: number;
  shed_kw: number;
  demand_kw: number;
  unshed_demand_kw: number;
  sheds: number;
}

/** Mean power over [from, to] from samples (step-wise: each sample holds until the next), and the span covered. */
export function meanPower(samples: { ms: number; kw: number }[], from: number, to: number): { kw: number; covered_ms: number } | undefined {
  let energy = 0, covered = 0;
  for (let i = 0; i < samples.length; i++) {
    const a = Math.max(samples[i].ms, from);
    const b = Math.min(samples[i + 1]?.ms ?? to, to);
    if (b <= a) continue;
    energy += samples[i].kw * (b - a);
    covered += b - a;
  }
  return covered > 0 ? { kw: energy / covered, covered_ms: covered } : undefined;
}

/**
 * Forecast of the 15-minute demand at now + h: ((15 − h) × P̄_past + h × P_now) / 15, with P̄_past the mean power
 * over the last 15 − h minutes (over what the samples cover, when they cover less).
 */
export function forecastDemandKw(samples: { ms: number; kw: number }[], nowMs: number, horizonMin: number): number | undefined {
  const last = samples.at(-1);
  if (!last) return undefined;
  const pastMin = 15 - horizonMin;
  const past = pastMin > 0 ? meanPower(samples, nowMs - pastMin * 60_000, nowMs) : undefined;
  return ((past ? past.kw : last.kw) * pastMin + last.kw * horizonMin) / 15;
}

/** The limiter of one demand limit. */
export class DemandLimiter {
  readonly limitKw: number;
  private samples: { ms: number; kw: number }[] = [];
  /** kW shed at each step, for the demand the building would have had over the same window */
  private shedSamples: { ms: number; kw: number }[] = [];
  readonly shed: ShedLoad[] = [];
  private lastShedMs = -Infinity;
  private lastStepMs: number | undefined;
  private shedsSinceEffect = 0;
  last: DemandStep | undefined;

  constructor(readonly limit: DemandLimit, private readonly tariffs: Tariff[], private readonly tz: string) {
    this.limitKw = limit.contracted_max_kw * (limit.target_fraction ?? 0.95);
  }

  /** A reading of the building meter's power. */
  observe(ms: number, kw: number): void {
    if (this.samples.length > 0 && ms <= this.samples.at(-1)!.ms) return;
    this.samples.push({ ms, kw });
    while (this.samples.length > 2 && this.samples[1].ms < ms - WINDOW_MS) this.samples.shift();
  }

  /** The tariff period at an instant, or null without a tariff in force. */
  period(ms: number): TouKind | null {
    const p = localParts(ms, this.tz);
    const t = tariffOn(this.tariffs, dateOfParts(p));
    return t ? priceAt(t, p.month, p.hour * 60 + p.minute).kind : null;
  }

  /** kW a shed load removes now: measured when it has a power point and a reading before, else expected. */
  shedKwOf(s: ShedLoad, loadKw: (ref: string) => number | undefined): number {
    const load = this.limit.loads[s.index];
    const now = load.power ? loadKw(load.power) : undefined;
    return s.before_kw !== undefined && now !== undefined ? Math.max(0, s.before_kw - now) : load.expected_kw;
  }

  /** Decide at `nowMs`; `loadKw` reads a `device/point` power. Also returns the effect since the last step, per local day. */
  step(nowMs: number, loadKw: (ref: string) => number | undefined): { step: DemandStep; effect: EffectDelta[] } {
    const l = this.limit;
    const period = this.period(nowMs);
    const active = period !== null && (l.periods ?? ['critical', 'peak']).includes(period);
    const forecast = forecastDemandKw(this.samples, nowMs, l.horizon_min ?? 5) ?? null;
    const demand = meanPower(this.samples, nowMs - WINDOW_MS, nowMs)?.kw ?? null;
    const shedKw = this.shed.reduce((sum, s) => sum + this.shedKwOf(s, loadKw), 0);
    this.shedSamples.push({ ms: nowMs, kw: shedKw });
    while (this.shedSamples.length > 2 && this.shedSamples[1].ms < nowMs - WINDOW_MS) this.shedSamples.shift();
    // the mean kW shed over the demand window, not the kW shed this instant: a shed that just began has not yet
    // lowered the window's mean by its full size
    const shedMeanKw = meanPower(this.shedSamples, nowMs - WINDOW_MS, nowMs)?.kw ?? 0;
    const effect = this.effect(nowMs, shedKw, demand, shedMeanKw);
    const step: DemandStep = { active, period, limit_kw: this.limitKw, forecast_kw: forecast, demand_kw: demand, shed_kw: shedKw };
    const top = this.shed.at(-1);
    if (!active) {
      if (top) step.action = this.restore();
    } else if (forecast !== null && forecast > this.limitKw) {
      const next = l.loads.findIndex((_, i) => !this.shed.some((s) => s.index === i));
      if (next >= 0 && nowMs - this.lastShedMs >= (l.settle_s ?? 60) * 1000) {
        const power = l.loads[next].power;
        this.shed.push({ index: next, since_ms: nowMs, before_kw: power ? loadKw(power) : undefined });
        this.lastShedMs = nowMs;
        this.shedsSinceEffect++;
        step.action = { kind: 'shed', index: next };
      }
    } else if (top && forecast !== null && nowMs - top.since_ms >= (l.min_shed_s ?? 300) * 1000
      && forecast + this.shedKwOf(top, loadKw) <= this.limitKw - (l.restore_margin_kw ?? 10)) {
      step.action = this.restore();
    }
    this.last = step;
    return { step, effect };
  }

  private restore(): { kind: 'restore'; index: number } {
    const s = this.shed.pop()!;
    return { kind: 'restore', index: s.index };
  }

  /**
   * Effect since the previous step, over the span it counts: the last min(Δt, 5 min) before now (a longer gap —
   * a stopped process — is not taken as shedding). Shed kWh = shed kW × span. The energy cost avoided assumes the
   * shifted kWh are used later at the flat price; the span is split where the tariff period or the local day
   * changes, the kWh apportioned by duration (the kW shed taken constant over the step), and each part priced at
   * its own period's price: Σ kWh_part × (price_part − flat price). Each local day gets its own part of the kWh and
   * cost; the maxima (demand measured now) and the sheds are booked on the local day of now, the last delta.
   */
  private effect(nowMs: number, shedKw: number, demandKw: number | null, shedMeanKw: number): EffectDelta[] {
    const prev = this.lastStepMs;
    this.lastStepMs = nowMs;
    if (prev === undefined) return [];
    const fromMs = Math.max(prev, nowMs - MAX_STEP_MS);
    const byDay = shedEffectByDay(this.tariffs, this.tz, fromMs, nowMs, shedKw);
    const today = localDate(nowMs, this.tz);
    if (!byDay.has(today)) byDay.set(today, { shed_kwh: 0, energy_cost_avoided_cny: 0 }); // a step of no span
    const sheds = this.shedsSinceEffect;
    this.shedsSinceEffect = 0;
    return [...byDay].map(([date, d]) => date === today
      ? { date, ...d, shed_kw: shedKw, demand_kw: demandKw ?? 0, unshed_demand_kw: (demandKw ?? 0) + shedMeanKw, sheds }
      : { date, ...d, shed_kw: shedKw, demand_kw: 0, unshed_demand_kw: 0, sheds: 0 });
  }
}

/**
 * Energy shed and cost avoided by shedding `shedKw` over [fromMs, toMs), per local day: Σ over the parts of one
 * tariff period and local day of kW × part duration, and of that × (the part's price − its tariff's flat price),
 * CNY; parts without a tariff count their kWh and no cost.
 */
export function shedEffectByDay(tariffs: Tariff[], tz: string, fromMs: number, toMs: number, shedKw: number): Map<string, { shed_kwh: number; energy_cost_avoided_cny: number }> {
  const byDay = new Map<string, { shed_kwh: number; energy_cost_avoided_cny: number }>();
  for (const part of pricedParts(tariffs, tz, fromMs, toMs)) {
    const day = byDay.get(part.date) ?? { shed_kwh: 0, energy_cost_avoided_cny: 0 };
    const partKwh = shedKw * (part.to_ms - part.from_ms) / 3_600_000;
    day.shed_kwh += partKwh;
    if (part.price) day.energy_cost_avoided_cny += partKwh * (part.price.price_cny_per_kwh - part.price.tariff.flat_price_cny_per_kwh);
    byDay.set(part.date, day);
  }
  return byDay;
}
