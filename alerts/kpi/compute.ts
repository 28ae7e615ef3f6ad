/**
 * The scheduled KPI rules' verdicts for one closed local day, each computed from the stored rollups through the
 * API's read helpers (api/series.ts) and domain formulas (api/domain/): the same figures the API and the boards
 * show, never a second copy of a formula. Every function answers one verdict per subject it could judge; a subject
 * without enough data that day is left out (its alert keeps its state) rather than judged on a hole.
 */
import { DAY_MS, MEASUREMENT, QUANTITY_FIELD } from '../../core/measurements.ts';
import { localParts } from '../../core/time.ts';
import type { ApiContext } from '../../api/context.ts';
import { contractSavings } from '../../api/contract-savings.ts';
import { demandKw, isWorkingDay, meanPowerKw, median, nextPeriod, periodStart, workCalendar } from '../../api/domain/index.ts';
import { pvPerformance } from '../../api/pv-performance.ts';
import { buildingSource } from '../../api/scope.ts';
import { sourceSeries } from '../../api/series.ts';
import type { KpiRule } from '../rules/schema.ts';

/** A verdict on one subject. */
export interface KpiVerdict {
  subject: string;
  breach: boolean;
  value: number;
  limit: number;
  /** base load: `night` or `holiday` */
  event?: string;
}

const HOUR_MS = 3_600_000;
/** Same-weekday comparisons need at least this many earlier days with data. */
const MIN_HISTORY_DAYS = 2;

/** The local day `n` days before the one starting at `day` (calendar arithmetic, not 24 h steps). */
export function daysBefore(day: number, tz: string, n: number): number {
  return periodStart(day - n * DAY_MS + 12 * HOUR_MS, tz, 'day');
}

/** The verdicts of one rule for the local day starting at `day`. */
export async function judgeKpiRule(ctx: ApiContext, rule: KpiRule, subjects: string[], day: number): Promise<KpiVerdict[]> {
  switch (rule.kind) {
    case 'daily_energy': return dailyEnergy(ctx, rule, subjects, day);
    case 'base_load': return baseLoad(ctx, rule, subjects, day);
    case 'peak_demand': return peakDemand(ctx, rule, subjects, day);
    case 'pv_performance': return prBelow(ctx, rule, subjects, day);
    case 'contract_savings': return savingsBehind(ctx, rule, subjects, day);
  }
}

type Of<K extends KpiRule['kind']> = Extract<KpiRule, { kind: K }>;

/**
 * The day's energy against the median of the same weekday in the `weeks` weeks before — those of them that are
 * working days when it is one, non-working when it is not — plus `above_pct`.
 */
async function dailyEnergy(ctx: ApiContext, rule: Of<'daily_energy'>, subjects: string[], day: number): Promise<KpiVerdict[]> {
  const tz = ctx.index.tz;
  const weeks = rule.weeks ?? 4;
  const medium = rule.medium ?? 'electricity';
  const end = nextPeriod(day, tz, 'day');
  const earlier = Array.from({ length: weeks }, (_, k) => daysBefore(day, tz, 7 * (k + 1)));
  // like with like: a working Monday against the working Mondays before it, not against a holiday (调休 aware)
  const calendar = workCalendar(ctx.reference.holidays.years);
  const working = (t: number) => isWorkingDay(t + 12 * HOUR_MS, tz, calendar).working;
  const alike = earlier.filter((t) => working(t) === working(day));
  const out: KpiVerdict[] = [];
  for (const id of subjects) {
    const b = ctx.index.site.buildings.find((x) => x.id === id);
    if (!b) continue;
    const series = await sourceSeries(ctx.storage, { siteId: ctx.index.site.site.id, source: buildingSource(ctx, [b], medium), medium, from: earlier[weeks - 1], to: end, interval: '1d', tz });
    const byDay = new Map(series.map((p) => [p.time, p.value]));
    const today = byDay.get(day);
    const history = alike.map((t) => byDay.get(t)).filter((v): v is number => v !== undefined);
    const m = median(history);
    if (today === undefined || m === null || history.length < MIN_HISTORY_DAYS) continue;
    const limit = m * (1 + rule.above_pct / 100);
    out.push({ subject: id, breach: today > limit, value: today, limit });
  }
  return out;
}

/**
 * Base load: a building's mean electric power over the night hours of the day, or over the whole day when it is
 * not a working day (public holidays and weekends of the reference calendar; 调休 working days are working days).
 */
async function baseLoad(ctx: ApiContext, rule: Of<'base_load'>, subjects: string[], day: number): Promise<KpiVerdict[]> {
  const tz = ctx.index.tz;
  const end = nextPeriod(day, tz, 'day');
  const working = isWorkingDay(day + 12 * HOUR_MS, tz, workCalendar(ctx.reference.holidays.years)).working;
  const wholeDay = !working && rule.holidays !== false;
  const [fh, fm] = (rule.night?.from ?? '22:00').split(':').map(Number);
  const [th, tm] = (rule.night?.to ?? '06:00').split(':').map(Number);
  const from = fh * 60 + fm, to = th * 60 + tm;
  const atNight = (t: number) => {
    const p = localParts(t, tz);
    const min = p.hour * 60 + p.minute;
    return from < to ? min >= from && min < to : min >= from || min < to;
  };
  const expected = Math.round((end - day) / HOUR_MS);
  const hours = wholeDay ? expected : Array.from({ length: expected }, (_, i) => day + i * HOUR_MS).filter(atNight).length;
  const out: KpiVerdict[] = [];
  for (const id of subjects) {
    const b = ctx.index.site.buildings.find((x) => x.id === id);
    if (!b) continue;
    const source = buildingSource(ctx, [b], 'electricity');
    const series = await sourceSeries(ctx.storage, { siteId: ctx.index.site.site.id, source, medium: 'electricity', from: day, to: end, interval: '1h', tz });
    // an hour's kWh is its mean kW only when every meter's four quarter-hours are in it
    const judged = series.filter((p) => p.intervals >= 4 * source.meters && (wholeDay || atNight(p.time))).map((p) => p.value);
    const kw = meanPowerKw(judged);
    // at least half the hours judged: a base load from two hours of a night is not the night's
    if (kw === null || judged.length * 2 < hours) continue;
    out.push({ subject: id, breach: kw > rule.above_kw, value: kw, limit: rule.above_kw, event: wholeDay ? 'holiday' : 'night' });
  }
  return out;
}

/** The day's highest 15-minute demand of each meter against the contracted maximum demand. */
async function peakDemand(ctx: ApiContext, rule: Of<'peak_demand'>, subjects: string[], day: number): Promise<KpiVerdict[]> {
  const end = nextPeriod(day, ctx.index.tz, 'day');
  const series = await ctx.storage.aggregate({
    measurement: MEASUREMENT.energy15m, field: QUANTITY_FIELD.electricity, fn: 'max', from: day, to: end,
    where: { site: ctx.index.site.site.id, meter: subjects }, group_by: ['meter'],
  });
  const limit = rule.contracted_kw * ((rule.above_pct ?? 100) / 100);
  return series.filter((s) => s.points.length > 0).map((s) => {
    const kw = demandKw(s.points[0].value);
    return { subject: s.tags.meter, breach: kw > limit, value: kw, limit };
  });
}

/**
 * The PV system's performance ratio (IEC 61724-1) of a local day: the figure GET /pv-systems/{id}/performance and
 * the daily KPI write-back give (api/pv-performance.ts); null without an irradiance sensor or a sunny hour.
 */
async function dailyPr(ctx: ApiContext, systemId: string, day: number): Promise<number | null> {
  const system = (ctx.index.site.pv_systems ?? []).find((s) => s.id === systemId);
  if (!system?.irradiance_sensor) return null;
  const to = nextPeriod(day, ctx.index.tz, 'day');
  const perf = await pvPerformance(ctx, system, { from: day, to, granularity: 'day', region: ctx.reference.grid.default_region });
  return perf.total.performance_ratio;
}

/** PR below `below` on each of the last `days` days (the judged day included); a day without sun breaks the run. */
async function prBelow(ctx: ApiContext, rule: Of<'pv_performance'>, subjects: string[], day: number): Promise<KpiVerdict[]> {
  const out: KpiVerdict[] = [];
  for (const id of subjects) {
    const prs: (number | null)[] = [];
    for (let k = 0; k < (rule.days ?? 1); k++) prs.push(await dailyPr(ctx, id, daysBefore(day, ctx.index.tz, k)));
    const today = prs[0];
    if (today === null) continue;
    out.push({ subject: id, breach: prs.every((p) => p !== null && p < rule.below), value: today, limit: rule.below });
  }
  return out;
}

/** Avoided energy so far (ASHRAE Guideline 14 M&V, as GET /contracts/{id}/savings) against the guaranteed amount pro-rated to date. */
async function savingsBehind(ctx: ApiContext, rule: Of<'contract_savings'>, subjects: string[], day: number): Promise<KpiVerdict[]> {
  const out: KpiVerdict[] = [];
  const end = nextPeriod(day, ctx.index.tz, 'day');
  for (const id of subjects) {
    const c = (ctx.index.site.contracts ?? []).find((x) => x.id === id);
    if (!c) continue;
    // the savings up to the end of the judged day: the route's "to" defaults to the start of "today"
    const body = await contractSavings({ ...ctx, now: () => end }, c, { granularity: 'daily' });
    const avoided = body.savings?.avoided, guaranteed = body.split?.guaranteed;
    if (avoided === undefined || guaranteed === null || guaranteed === undefined) continue;
    const limit = guaranteed * (1 - (rule.behind_pct ?? 0) / 100);
    out.push({ subject: id, breach: avoided < limit, value: avoided, limit });
  }
  return out;
}
