/**
 * Comprehensive energy (综合能耗) by day/month/year and intensities (人均 / 单位面积) with 同比 and 环比 for a
 * building, org unit, site or portfolio (issue 6). Reads daily rollups once per medium; the rest is the domain.
 */
import { Router } from 'express';
import { QUANTITY_UNIT } from '../../core/measurements.ts';
import type { Medium } from '../../core/site/schema.ts';
import { localDate, localParts, tzOffsetMs, zonedTime } from '../../core/time.ts';
import type { ApiContext } from '../context.ts';
import {
  changePct, coalCoefficients, daysBetween, daysInYear, perUnit, periodsIn, rateIntensity, standardCoal, warn,
  type ElectricityBasis, type Granularity, type TimeValue, type Warning,
} from '../domain/index.ts';
import { badParameter } from '../errors.ts';
import { enumParam, isoLocal, parseRange, type Query } from '../params.ts';
import { resolveScope, type Scope } from '../scope.ts';
import { sourceSeries, type RollupPoint } from '../series.ts';
import { addProvenance, coverageOf, expectedIntervals, NO_PROVENANCE, type Provenance } from '../domain/provenance.ts';
import { round } from '../format.ts';


/** A medium's daily series with its provenance, and how many meters its rows add up. */
export interface MediumDaily {
  series: RollupPoint[];
  meters: number;
}

/** Daily series of every medium of the scope over [from, to): one storage read per medium. */
export async function dailyByMedium(ctx: ApiContext, scope: Scope, from: number, to: number): Promise<Map<Medium, MediumDaily>> {
  // read in parallel, kept in the scope's order of media (the order of the response's lines and warnings)
  const read = await Promise.all(scope.media().map(async (medium) => {
    const source = scope.source(medium);
    return [medium, { series: await sourceSeries(ctx.storage, { siteId: ctx.index.site.site.id, source, medium, from, to, interval: '1d', tz: ctx.index.tz }), meters: source.meters }] as const;
  }));
  return new Map<Medium, MediumDaily>(read);
}

/** Sum of a daily series over [from, to), how many days held data, and the provenance sums. */
function sumRange(daily: MediumDaily | undefined, from: number, to: number): { value: number; days_with_data: number; provenance: Provenance } {
  let value = 0, days = 0, provenance = NO_PROVENANCE;
  for (const p of daily?.series ?? []) {
    if (p.time >= from && p.time < to) { value += p.value; days++; provenance = addProvenance(provenance, p); }
  }
  return { value, days_with_data: days, provenance };
}

/** One medium's line in a comprehensive-energy result. */
interface MediumLine {
  quantity: number | null; unit: string; kgce_per_unit: number | null; kgce: number | null; days_with_data: number;
  /** the part of `quantity` in estimated intervals */
  estimated_quantity: number | null;
  /** share of the meters' 15-minute intervals measured; complete: all present */
  coverage: number; complete: boolean;
}

/** Quantities and standard coal of all media over one range. */
function comprehensive(ctx: ApiContext, daily: Map<Medium, MediumDaily>, from: number, to: number, basis: ElectricityBasis, label: string):
  { by_medium: Partial<Record<Medium, MediumLine>>; total_kgce: number; days: number; coverage: number; complete: boolean; warnings: Warning[] } {
  const tz = ctx.index.tz;
  const { coefficients, warnings } = coalCoefficients(ctx.reference.coal, localDate(from, tz), localParts(from, tz).year, basis);
  const days = Math.round(daysBetween(from, to));
  const quantities: Partial<Record<Medium, number>> = {};
  const by_medium: Partial<Record<Medium, MediumLine>> = {};
  const sums = new Map<Medium, ReturnType<typeof sumRange>>();
  let measured = 0, expectedAll = 0, complete = daily.size > 0;
  const provenanceOf = (medium: Medium) => {
    const s = sums.get(medium) as ReturnType<typeof sumRange>;
    const expected = expectedIntervals(from, to, daily.get(medium)?.meters ?? 0);
    const c = coverageOf(s.provenance, expected);
    measured += c.coverage * expected;
    expectedAll += expected;
    complete &&= c.complete;
    return { coverage: round(c.coverage, 4), complete: c.complete };
  };
  for (const [medium, series] of daily) {
    const s = sumRange(series, from, to);
    sums.set(medium, s);
    if (s.days_with_data === 0) {
      warnings.push(warn('no_data', `${label}: no ${medium} data; ${medium} is not in the total`));
      by_medium[medium] = {
        quantity: null, unit: QUANTITY_UNIT[medium], kgce_per_unit: coefficients.kgce_per_unit[medium] ?? null, kgce: null, days_with_data: 0,
        estimated_quantity: null, ...provenanceOf(medium),
      };
      continue;
    }
    if (s.days_with_data < days) warnings.push(warn('incomplete_period', `${label}: ${medium} data on ${s.days_with_data} of ${days} days; the figure is a lower bound`));
    quantities[medium] = s.value;
  }
  const coal = standardCoal(quantities, coefficients);
  for (const [medium, line] of Object.entries(coal.by_medium) as [Medium, { quantity: number; kgce_per_unit: number; kgce: number }][]) {
    const s = sums.get(medium) as ReturnType<typeof sumRange>;
    by_medium[medium] = {
      quantity: round(line.quantity, 4), unit: QUANTITY_UNIT[medium], kgce_per_unit: line.kgce_per_unit, kgce: round(line.kgce, 4), days_with_data: s.days_with_data,
      estimated_quantity: round(s.provenance.estimated, 4), ...provenanceOf(medium),
    };
  }
  const coverage = expectedAll > 0 ? round(measured / expectedAll, 4) : 0;
  return { by_medium, total_kgce: coal.total_kgce, days, coverage, complete, warnings: [...warnings, ...coal.warnings] };
}

/** The intensity indicators of a range. */
function indicators(ctx: ApiContext, scope: Scope, daily: Map<Medium, MediumDaily>, from: number, to: number, basis: ElectricityBasis, label: string) {
  const c = comprehensive(ctx, daily, from, to, basis, label);
  const year = localParts(from, ctx.index.tz).year;
  const d = scope.denominators(year);
  const electricity = c.by_medium.electricity?.quantity ?? null;
  const water = c.by_medium.water?.quantity ?? null;
  // No medium with data: the energy is unknown, not zero.
  const energy = Object.values(c.by_medium).some((l) => l.quantity !== null) ? c.total_kgce : null;
  const per = (v: number | null, by: number | undefined) => (v === null ? null : perUnit(v, by));
  const r = (v: number | null, digits = 4) => (v === null ? null : round(v, digits));
  return {
    // complete: every 15-minute interval of every meter of every medium is present (issue 12)
    complete: c.complete,
    coverage: c.coverage,
    estimated_kwh: c.by_medium.electricity?.estimated_quantity ?? null,
    from: isoLocal(from, tzOffsetMs(from, ctx.index.tz)),
    to: isoLocal(to, tzOffsetMs(to, ctx.index.tz)),
    days: c.days,
    headcount: d.headcount ?? null,
    floor_area_m2: d.floor_area_m2 ?? null,
    energy_kgce: r(energy),
    electricity_kwh: electricity,
    water_m3: water,
    energy_kgce_per_person: r(per(energy, d.headcount)),
    energy_kgce_per_m2: r(per(energy, d.floor_area_m2)),
    electricity_kwh_per_person: r(per(electricity, d.headcount)),
    electricity_kwh_per_m2: r(per(electricity, d.floor_area_m2)),
    water_m3_per_person: r(per(water, d.headcount)),
    warnings: [...c.warnings, ...d.warnings],
  };
}

const INDICATOR_KEYS = ['energy_kgce_per_person', 'energy_kgce_per_m2', 'electricity_kwh_per_person', 'electricity_kwh_per_m2', 'water_m3_per_person'] as const;

/** Shift a local calendar range: by whole months when both ends are month starts, else by its length. */
export function previousRange(from: number, to: number, tz: string): { from: number; to: number } {
  const a = localParts(from, tz), b = localParts(to, tz);
  const monthAligned = a.day === 1 && b.day === 1 && a.hour === 0 && b.hour === 0 && a.minute === 0 && b.minute === 0;
  if (monthAligned) {
    const months = (b.year - a.year) * 12 + (b.month - a.month);
    return { from: zonedTime(tz, a.year, a.month - months, 1), to: from };
  }
  return { from: from - (to - from), to: from };
}

/**
 * The same local dates one year earlier (同比). A range starting on 29 February starts on the 28th of a common year
 * (not on 1 March, which left a leap day's range empty); an exclusive end on 29 February ends on 1 March, through 28 February.
 */
export function sameRangeLastYear(from: number, to: number, tz: string): { from: number; to: number } {
  const back = (t: number, leapDay: number) => {
    const p = localParts(t, tz);
    return zonedTime(tz, p.year - 1, p.month, p.month === 2 && p.day === 29 ? leapDay : p.day, p.hour, p.minute);
  };
  return { from: back(from, 28), to: back(to, 29) };
}

function parseBasis(query: Query): ElectricityBasis {
  return enumParam(query, 'basis', ['equivalent', 'equal'] as const, 'equivalent');
}

/** `GET /kpi/comprehensive-energy`, `GET /kpi/intensity`. */
export function energyKpiRoutes(ctx: ApiContext): Router {
  const router = Router();
  const tz = ctx.index.tz;

  router.get('/kpi/comprehensive-energy', async (req, res) => {
    const scope = resolveScope(ctx, req.query);
    const granularity = enumParam<Granularity>(req.query, 'granularity', ['day', 'month', 'year'], 'month');
    const basis = parseBasis(req.query);
    const { from, to } = parseRange(req.query, tz);
    if (granularity === 'day' && to - from > 400 * 86_400_000) throw badParameter('granularity', 'day granularity is limited to 400 days; use month');
    const daily = await dailyByMedium(ctx, scope, from, to);
    const warnings: Warning[] = [];
    if (daily.size === 0) warnings.push(warn('no_meters', `no meter carries the consumption of ${scope.kind} '${scope.id}': nothing to add up`));
    const periods = periodsIn(from, to, tz, granularity).map((p) => {
      const label = `${localDate(p.start, tz)}…${localDate(p.end - 1, tz)}`;
      const c = comprehensive(ctx, daily, p.start, p.end, basis, label);
      warnings.push(...c.warnings);
      return {
        start: isoLocal(p.start, tzOffsetMs(p.start, tz)), end: isoLocal(p.end, tzOffsetMs(p.end, tz)), days: c.days,
        total_kgce: round(c.total_kgce, 4), coverage: c.coverage, complete: c.complete, by_medium: c.by_medium,
      };
    });
    const total = comprehensive(ctx, daily, from, to, basis, 'whole range');
    const { coefficients } = coalCoefficients(ctx.reference.coal, localDate(from, tz), localParts(from, tz).year, basis);
    if (coefficients.unconfirmed) warnings.push(warn('coefficients_unconfirmed', `${coefficients.standard} coefficients are marked unconfirmed in the reference data: verify them before a statutory report`));
    res.json({
      scope: scope.kind, id: scope.id, name: scope.name, granularity, basis, unit: 'kgce',
      from: isoLocal(from, tzOffsetMs(from, tz)), to: isoLocal(to, tzOffsetMs(to, tz)),
      coefficients: { standard: coefficients.standard, basis, unconfirmed: coefficients.unconfirmed, kgce_per_unit: coefficients.kgce_per_unit },
      periods,
      total: { total_kgce: round(total.total_kgce, 4), coverage: total.coverage, complete: total.complete, by_medium: total.by_medium },
      warnings: dedupe([...warnings, ...total.warnings.filter((w) => w.code !== 'incomplete_period' && w.code !== 'no_data')]),
    });
  });

  router.get('/kpi/intensity', async (req, res) => {
    const scope = resolveScope(ctx, req.query);
    const basis = parseBasis(req.query);
    const { from, to } = parseRange(req.query, tz, 400);
    const prev = previousRange(from, to, tz);
    const lastYear = sameRangeLastYear(from, to, tz);
    const daily = await dailyByMedium(ctx, scope, Math.min(prev.from, lastYear.from), to);
    const current = indicators(ctx, scope, daily, from, to, basis, 'current period');
    const yoy = indicators(ctx, scope, daily, lastYear.from, lastYear.to, basis, 'same period last year');
    const mom = indicators(ctx, scope, daily, prev.from, prev.to, basis, 'previous period');
    const warnings = [...current.warnings, ...yoy.warnings.map(tag('同比')), ...mom.warnings.map(tag('环比'))];
    // A change against a period with missing days would compare a lower bound with a full figure: withheld.
    const change = (other: typeof current, what: string) => {
      const ok = current.complete && other.complete;
      if (!ok) warnings.push(warn('change_withheld', `${what}: not computed, because the current or the compared period lacks some intervals`));
      return Object.fromEntries(INDICATOR_KEYS.map((k) => {
        const v = ok ? changePct(current[k], other[k]) : null;
        return [k, v === null ? null : round(v, 2)];
      }));
    };
    const yoyChange = change(yoy, '同比'), momChange = change(mom, '环比');
    let rating = null;
    if (scope.kind === 'building') {
      const b = scope.buildings[0];
      const limits = b.building_class ? ctx.reference.limits.classes[b.building_class] : undefined;
      if (!limits) {
        warnings.push(warn('no_building_class_limits', `building '${b.id}' has no building_class with limits in the reference data (${Object.keys(ctx.reference.limits.classes).join(', ')})`));
      } else if (current.electricity_kwh_per_m2 !== null) {
        const r = rateIntensity(current.electricity_kwh_per_m2, current.days, daysInYear(from, tz), limits);
        warnings.push(...r.warnings);
        if (ctx.reference.limits.unconfirmed) warnings.push(warn('limits_unconfirmed', `${ctx.reference.limits.standard} values are marked unconfirmed in the reference data`));
        rating = {
          standard: ctx.reference.limits.standard, building_class: b.building_class as string, indicator: 'electricity_kwh_per_m2',
          unit: ctx.reference.limits.unit, annual_limit: limits.limit, annual_target: limits.target,
          limit_for_period: round(r.limit, 4), target_for_period: round(r.target, 4), rating: r.rating,
          unconfirmed: ctx.reference.limits.unconfirmed === true,
        };
      }
    }
    const strip = ({ warnings: _w, ...rest }: typeof current) => rest;
    res.json({
      scope: scope.kind, id: scope.id, name: scope.name, basis,
      current: strip(current),
      same_period_last_year: strip(yoy), yoy_change_pct: yoyChange,
      previous_period: strip(mom), mom_change_pct: momChange,
      rating,
      warnings: dedupe(warnings),
    });
  });

  return router;
}

const tag = (what: string) => (w: Warning): Warning => ({ code: w.code, message: `${what}: ${w.message}` });

/** Drop repeated warnings (same code and message). */
export function dedupe(ws: Warning[]): Warning[] {
  const seen = new Set<string>();
  return ws.filter((w) => { const k = `${w.code}|${w.message}`; if (seen.has(k)) return false; seen.add(k); return true; });
}
