/**
 * Electricity cost by time-of-use tariff (分时电价). The tariff — effective dates, seasons by month, periods by
 * local clock time, multipliers of the flat price, critical peak (尖峰) — is data (config/reference/tariffs.yaml;
 * Shanghai 沪发改价管〔2022〕50号 by default, unconfirmed). Each interval is priced by the period holding its start.
 */
import { dateOfParts, localDay, localParts, zonedTime } from '../../core/time.ts';
import type { Tariff } from '../reference.ts';
import type { TimeValue } from './calendar.ts';
import { warn, type Warning } from './warnings.ts';

/** Time-of-use period kinds, most expensive first. */
export type TouKind = 'critical' | 'peak' | 'flat' | 'valley';
export const TOU_KINDS: TouKind[] = ['critical', 'peak', 'flat', 'valley'];

const minutes = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

/** The tariff in force on a local date `YYYY-MM-DD`, or undefined. */
export function tariffOn(tariffs: Tariff[], date: string): Tariff | undefined {
  return tariffs
    .filter((t) => t.effective_from <= date && (t.effective_to === undefined || date < t.effective_to))
    .sort((a, b) => a.effective_from.localeCompare(b.effective_from))
    .at(-1);
}

/** Period kind and price (CNY/kWh) at a local month (1–12) and minute of day (0–1439). */
export function priceAt(t: Tariff, month: number, minuteOfDay: number): { kind: TouKind; price_cny_per_kwh: number } {
  const season = t.seasons.find((s) => s.months.includes(month));
  if (!season) throw new Error(`tariff ${t.id}: no season for month ${month}`);
  const period = season.periods.find((p) => minuteOfDay >= minutes(p.from) && minuteOfDay < minutes(p.to));
  if (!period) throw new Error(`tariff ${t.id}: no period at minute ${minuteOfDay}`);
  const cp = season.critical_peak;
  if (cp && cp.months.includes(month) && minuteOfDay >= minutes(cp.from) && minuteOfDay < minutes(cp.to)) {
    return { kind: 'critical', price_cny_per_kwh: t.flat_price_cny_per_kwh * season.multipliers.peak * cp.multiplier_of_peak };
  }
  return { kind: period.kind, price_cny_per_kwh: t.flat_price_cny_per_kwh * season.multipliers[period.kind] };
}

/**
 * Minutes of day (0 < m ≤ 1440) at which the price may change in a local month: the ends of its periods and of
 * its critical peak.
 */
export function periodEndsMin(t: Tariff, month: number): number[] {
  const season = t.seasons.find((s) => s.months.includes(month));
  if (!season) throw new Error(`tariff ${t.id}: no season for month ${month}`);
  const ends = season.periods.flatMap((p) => [minutes(p.from), minutes(p.to)]);
  const cp = season.critical_peak;
  if (cp && cp.months.includes(month)) ends.push(minutes(cp.from), minutes(cp.to));
  return [...new Set(ends.filter((m) => m > 0))].sort((a, b) => a - b);
}

/** A part of a span of time with one price: the tariff in force and its period there (none: no tariff that day). */
export interface PricedPart {
  from_ms: number;
  to_ms: number;
  date: string;
  price?: { tariff: Tariff; kind: TouKind; price_cny_per_kwh: number };
}

/**
 * [fromMs, toMs) split where the price may change: at local midnight (the next day may be in another month, season
 * or tariff) and at the period and critical-peak ends of the day's tariff; each part with its own day's prices.
 */
export function pricedParts(tariffs: Tariff[], tz: string, fromMs: number, toMs: number): PricedPart[] {
  const parts: PricedPart[] = [];
  for (let at = fromMs; at < toMs;) {
    const l = localParts(at, tz);
    const date = dateOfParts(l);
    const t = tariffOn(tariffs, date);
    const dayEndMs = localDay(at, tz)[1];
    let endMs = dayEndMs;
    let price: PricedPart['price'];
    if (t) {
      const minuteOfDay = l.hour * 60 + l.minute;
      price = { tariff: t, ...priceAt(t, l.month, minuteOfDay) };
      const next = periodEndsMin(t, l.month).find((m) => m > minuteOfDay);
      // minute 1440 is the next midnight; a clock change may move a wall-clock end, so never behind `at`
      const nextMs = next === undefined ? dayEndMs : zonedTime(tz, l.year, l.month, l.day, 0, next);
      if (nextMs > at) endMs = Math.min(nextMs, dayEndMs);
    }
    const part: PricedPart = { from_ms: at, to_ms: Math.min(endMs, toMs), date, ...(price ? { price } : {}) };
    parts.push(part);
    at = part.to_ms;
  }
  return parts;
}

/** Energy and cost of one period kind. */
export interface TouLine {
  energy_kwh: number;
  cost_cny: number;
}

/** The cost of an interval energy series (15 min or 1 h windows), split by period kind. */
export function touCost(series: TimeValue[], tariffs: Tariff[], tz: string): { cost_cny: number; energy_kwh: number; by_period: Record<TouKind, TouLine>; tariffs_used: string[]; warnings: Warning[] } {
  const by_period = Object.fromEntries(TOU_KINDS.map((k) => [k, { energy_kwh: 0, cost_cny: 0 }])) as Record<TouKind, TouLine>;
  const used = new Set<string>();
  const warnings: Warning[] = [];
  let unpriced = 0;
  let cost = 0, energy = 0;
  for (const p of series) {
    const l = localParts(p.time, tz);
    const date = dateOfParts(l);
    const t = tariffOn(tariffs, date);
    if (!t) { unpriced += p.value; continue; }
    used.add(t.id);
    const { kind, price_cny_per_kwh } = priceAt(t, l.month, l.hour * 60 + l.minute);
    by_period[kind].energy_kwh += p.value;
    by_period[kind].cost_cny += p.value * price_cny_per_kwh;
    cost += p.value * price_cny_per_kwh;
    energy += p.value;
  }
  if (unpriced > 0) warnings.push(warn('no_tariff', `${unpriced.toFixed(3)} kWh fall on dates without a tariff in force and are not priced`));
  for (const id of used) {
    if (tariffs.find((t) => t.id === id)?.unconfirmed) warnings.push(warn('tariff_unconfirmed', `tariff ${id} is marked unconfirmed: verify its periods and prices against the official notice and the bill`));
  }
  return { cost_cny: cost, energy_kwh: energy, by_period, tariffs_used: [...used], warnings };
}
