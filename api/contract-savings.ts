/**
 * The savings of an energy-performance contract (合同能源管理, issue 6) as `GET /contracts/{id}/savings` answers
 * them, and as the contract-savings alert rule judges them (alerts/kpi/): daily energy of the contract's meters
 * and daily mean outdoor temperature feed the baseline search of the domain module; every result carries its
 * data-sufficiency warnings. `query` holds the route's parameters (granularity, to, price_cny_per_unit).
 */

import { DAY_MS, MEASUREMENT, QUANTITY_FIELD, QUANTITY_UNIT } from '../core/measurements.ts';
import type { Contract, Medium } from '../core/site/schema.ts';
import { localParts, tzOffsetMs, zonedTime } from '../core/time.ts';
import type { ApiContext } from './context.ts';
import {
  avoidedEnergy, coalCoefficients, contractSplit, fitBaseline, fractionalSavingsUncertainty, G14_LIMITS, isWorkingDay, judgeG14, workCalendar,
  periodStart, sufficiencyWarnings, touCost, warn, type Observation, type TimeValue, type Warning,
} from './domain/index.ts';
import { badParameter } from './errors.ts';
import { enumParam, isoLocal, parseInstant, stringParam } from './params.ts';
import { gridOffsetMs, mergeSeries, rollupSeries } from './series.ts';
import { round } from './format.ts';
import { dedupe } from './routes/energy-kpis.ts';
import { localDate } from '../core/time.ts';

const r = (v: number | null, d = 4) => (v === null || !Number.isFinite(v) ? null : round(v, d));

/** The contract's savings (the body of `GET /contracts/{id}/savings`). */
export async function contractSavings(ctx: ApiContext, c: Contract, query: Record<string, unknown>) {
  const req = { query };
  const tz = ctx.index.tz;
  const siteId = ctx.index.site.site.id;
  const calendar = workCalendar(ctx.reference.holidays.years);
  const localMidnight = (date: string, plusDays = 0) => zonedTime(tz, Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10)) + plusDays);
  const mediumOf = (k: Contract): { medium: Medium; warnings: Warning[] } => {
    const media = new Set(k.meters.map((id) => ctx.index.devices.get(id)?.medium ?? ctx.index.virtualMeters.get(id)?.medium).filter((m): m is Medium => m !== undefined));
    const medium = [...media][0] ?? 'electricity';
    return { medium, warnings: media.size > 1 ? [warn('mixed_media', `the contract's meters measure ${[...media].join(' and ')}; only ${medium} meters are used`)] : [] };
  };
  const granularity = enumParam(req.query, 'granularity', ['daily', 'monthly'] as const, 'daily');
  const warnings: Warning[] = [];
  // Contract dates are whole days, both ends included: 2024-01-01…2024-12-31 is the year 2024.
  const baseFrom = localMidnight(c.baseline.from), baseTo = localMidnight(c.baseline.to, 1);
  const repFrom = Math.max(localMidnight(c.reporting.from), baseTo);
  const contractEnd = c.reporting.to ? localMidnight(c.reporting.to, 1) : undefined;
  const toParam = stringParam(req.query, 'to');
  let repTo = toParam ? parseInstant(toParam, 'to', tz) : Math.min(contractEnd ?? Infinity, periodStart(ctx.now(), tz, 'day'));
  if (toParam && contractEnd !== undefined && repTo > contractEnd) throw badParameter('to', `after the end of the reporting period (${c.reporting.to})`);
  if (repTo <= repFrom) {
    if (toParam) throw badParameter('to', `must be after the start of the reporting period (${c.reporting.from})`);
    repTo = repFrom;
  }
  const priceParam = stringParam(req.query, 'price_cny_per_unit');
  const priceOverride = priceParam === undefined ? undefined : Number(priceParam);
  if (priceOverride !== undefined && !(priceOverride >= 0)) throw badParameter('price_cny_per_unit', `'${priceParam}' is not a non-negative number`);

  const { medium, warnings: mw } = mediumOf(c);
  warnings.push(...mw);
  const meters = c.meters.filter((id) => (ctx.index.devices.get(id)?.medium ?? ctx.index.virtualMeters.get(id)?.medium) === medium);
  // Daily energy of the contract's meters over baseline and reporting periods: one query.
  const energySeries = await ctx.storage.aggregate({
    measurement: MEASUREMENT.energy1d, field: QUANTITY_FIELD[medium], fn: 'sum', from: baseFrom, to: Math.max(repTo, baseTo),
    every_ms: DAY_MS, offset_ms: gridOffsetMs(DAY_MS, tz, baseFrom), where: { site: siteId, meter: meters },
  });
  const energy = new Map(mergeSeries(energySeries).map((p) => [p.time, p.value]));
  const temps = new Map<number, number>();
  if (c.temperature_point) {
    const [device, ...rest] = c.temperature_point.split('/');
    const point = rest.join('/') || 'temp_c';
    const t = await ctx.storage.aggregate({
      measurement: MEASUREMENT.telemetry, field: 'value', fn: 'mean', from: baseFrom, to: Math.max(repTo, baseTo),
      every_ms: DAY_MS, offset_ms: gridOffsetMs(DAY_MS, tz, baseFrom), where: { site: siteId, device, point },
    });
    for (const p of mergeSeries(t)) temps.set(p.time, p.value);
    if (temps.size === 0) warnings.push(warn('no_temperature_data', `no data from temperature point '${c.temperature_point}'`));
  } else {
    warnings.push(warn('no_temperature_point', 'the contract has no temperature_point: the baseline cannot be weather-adjusted'));
  }
  const useTemps = temps.size > 0;

  const yearsWithoutCalendar = new Set<number>();
  const days = (from: number, to: number): Observation[] => {
    const out: Observation[] = [];
    for (let t = from; t < to; t = zonedTime(tz, localParts(t, tz).year, localParts(t, tz).month, localParts(t, tz).day + 1)) {
      const e = energy.get(t);
      const temp = temps.get(t);
      if (e === undefined || (useTemps && temp === undefined)) continue;
      const wd = isWorkingDay(t + 12 * 3_600_000, tz, calendar);
      if (!wd.known) yearsWithoutCalendar.add(localParts(t + 12 * 3_600_000, tz).year);
      out.push({ time: t, energy: e, temps_c: temp === undefined ? [] : [temp], working: wd.working ? 1 : 0, days: 1 });
    }
    return out;
  };
  const months = (obs: Observation[]): Observation[] => {
    const byMonth = new Map<number, Observation[]>();
    for (const o of obs) {
      const m = periodStart(o.time, tz, 'month');
      byMonth.set(m, [...(byMonth.get(m) ?? []), o]);
    }
    return [...byMonth.entries()].sort((a, b) => a[0] - b[0]).map(([time, os]) => ({
      time, days: os.length,
      energy: os.reduce((a, o) => a + o.energy, 0) / os.length,
      temps_c: os.flatMap((o) => o.temps_c),
      working: os.reduce((a, o) => a + o.working, 0) / os.length,
    }));
  };
  const baseDays = days(baseFrom, baseTo);
  const repDays = days(repFrom, repTo);
  warnings.push(...sufficiencyWarnings('baseline', baseDays.length, Math.round((baseTo - baseFrom) / DAY_MS)));
  if (repTo > repFrom) warnings.push(...sufficiencyWarnings('reporting', repDays.length, Math.round((repTo - repFrom) / DAY_MS)));
  else warnings.push(warn('reporting_not_started', `the reporting period starts ${c.reporting.from}: nothing to report yet`));
  if (yearsWithoutCalendar.size > 0) warnings.push(warn('no_holiday_calendar', `no public-holiday calendar for ${[...yearsWithoutCalendar].sort().join(', ')} in the reference data: working days there are Monday–Friday`));
  if (ctx.reference.holidays.years.some((y) => y.unconfirmed)) warnings.push(warn('holidays_unconfirmed', 'the public-holiday calendar is marked unconfirmed in the reference data'));
  const baseObs = granularity === 'monthly' ? months(baseDays) : baseDays;
  const repObs = granularity === 'monthly' ? months(repDays) : repDays;

  const fit = fitBaseline(baseObs);
  warnings.push(...fit.warnings.filter((w) => !(w.code === 'no_temperature' && !useTemps)));
  const model = fit.model;
  let g14 = null, savings = null, split = null;
  if (model) {
    g14 = judgeG14(model, granularity);
    if (!g14.passes) warnings.push(warn('guideline14_not_met', `the baseline model does not meet ASHRAE Guideline 14 (${g14.checks.filter((x) => !x.pass).map((x) => x.name).join(', ')}): savings are indicative only`));
    if (repObs.length > 0) {
      const a = avoidedEnergy(model, repObs);
      const fsu = fractionalSavingsUncertainty({ cv_rmse: model.cv_rmse, n: model.n, p: model.p, rho: model.rho, m: repObs.length, fraction_saved: a.fraction ?? 0 });
      if (fsu.fsu === null) warnings.push(warn('no_savings', 'no positive savings: the fractional savings uncertainty is undefined'));
      else if (fsu.fsu > G14_LIMITS.fsu_max) warnings.push(warn('savings_uncertain', `fractional savings uncertainty ${(fsu.fsu * 100).toFixed(0)} % at 68 % confidence exceeds the ${G14_LIMITS.fsu_max * 100} % of ASHRAE Guideline 14`));
      const outside = repObs.flatMap((o) => o.temps_c).filter((t) => t < Math.min(...baseObs.flatMap((o) => o.temps_c)) || t > Math.max(...baseObs.flatMap((o) => o.temps_c))).length;
      if (useTemps && outside > 0) warnings.push(warn('extrapolation', `${outside} reporting day(s) are colder or warmer than any baseline day: the model extrapolates`));
      // Price: given, else the TOU average over the reporting consumption (electricity), else the medium price.
      let price = priceOverride;
      if (price === undefined && medium === 'electricity') {
        const hourly = await rollupSeries(ctx.storage, { siteId, meters, medium, from: repFrom, to: repTo, interval: '1h', tz });
        const cost = touCost(hourly as TimeValue[], ctx.reference.tariffs.tariffs, tz);
        price = cost.energy_kwh > 0 ? cost.cost_cny / cost.energy_kwh : undefined;
      }
      if (price === undefined) {
        const date = localDate(repFrom, tz);
        price = ctx.reference.tariffs.prices.filter((p) => p.medium === medium && p.effective_from <= date).sort((x, y) => x.effective_from.localeCompare(y.effective_from)).at(-1)?.cny_per_unit;
      }
      if (price === undefined) warnings.push(warn('no_price', 'no price for the savings: give price_cny_per_unit'));
      const { coefficients } = coalCoefficients(ctx.reference.coal, localDate(repFrom, tz), localParts(repFrom, tz).year);
      const kgcePerUnit = coefficients.kgce_per_unit[medium] ?? null;
      const reportingDays = repObs.reduce((acc, o) => acc + o.days, 0);
      const s = contractSplit({
        type: c.type, savings_kwh: a.savings, price_cny_per_kwh: price ?? 0, adjusted_baseline_kwh: a.adjusted_baseline, actual_kwh: a.actual,
        share: c.savings_share, guaranteed_kwh_per_year: c.guaranteed_kwh, days: reportingDays,
      });
      warnings.push(...s.warnings);
      savings = {
        unit: QUANTITY_UNIT[medium], adjusted_baseline: round(a.adjusted_baseline, 3), actual: round(a.actual, 3), avoided: round(a.savings, 3),
        fraction: r(a.fraction, 6), avoided_kgce: kgcePerUnit === null ? null : round(a.savings * kgcePerUnit, 3),
        price_cny_per_unit: price === undefined ? null : round(price, 4), avoided_cny: price === undefined ? null : round(a.savings * price, 2),
        fsu: r(fsu.fsu, 6), fsu_confidence: 0.68, uncertainty: fsu.fsu === null ? null : round(Math.abs(a.savings) * fsu.fsu, 3),
        n_effective: round(fsu.n_effective, 2), reporting_days: reportingDays,
      };
      split = {
        type: c.type, esco_cny: round(s.esco_cny, 2), client_cny: round(s.client_cny, 2),
        guaranteed: r(s.guaranteed_kwh, 3), shortfall: r(s.shortfall_kwh, 3), shortfall_cny: r(s.shortfall_cny, 2), client_pays_cny: r(s.client_pays_cny, 2),
      };
    }
  } else {
    warnings.push(warn('no_baseline_model', 'no baseline model could be fitted: no savings'));
  }
  const iso = (ms: number) => isoLocal(ms, tzOffsetMs(ms, tz));
  return {
    contract: c.id, name: c.name, type: c.type, granularity, medium, meters,
    baseline: { from: iso(baseFrom), to: iso(baseTo), observations: baseObs.length, days_with_data: baseDays.length },
    reporting: { from: iso(repFrom), to: iso(Math.max(repTo, repFrom)), observations: repObs.length, days_with_data: repDays.length },
    model: model && {
      kind: model.kind, heating_balance_c: model.heating_balance_c, cooling_balance_c: model.cooling_balance_c,
      coefficients: Object.fromEntries(Object.entries(model.coefficients).map(([k, v]) => [k, r(v, 6)])),
      n: model.n, p: model.p, r2: round(model.r2, 6), adj_r2: round(model.adj_r2, 6), cv_rmse: r(model.cv_rmse, 6), nmbe: r(model.nmbe, 6), rho: round(model.rho, 6),
      candidates_tried: fit.candidates_tried,
    },
    guideline14: g14 && { passes: g14.passes, checks: g14.checks.map((x) => ({ ...x, value: r(x.value, 6) })) },
    savings, split,
    warnings: dedupe(warnings),
  };
}
