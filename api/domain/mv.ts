/**
 * Measurement and verification of energy-performance contracts (合同能源管理; GB/T 28750-2012, IPMVP option C):
 * a baseline regression of energy on heating and cooling degree-days with balance-point search and a
 * working-day term (CalTRACK-style candidates), fit statistics judged against ASHRAE Guideline 14-2014,
 * avoided energy = adjusted baseline − actual, fractional savings uncertainty (G14 Annex B with the lag-1
 * autocorrelation correction), and the split by contract type (GB/T 24915-2020).
 */
import { lag1Autocorrelation, leastSquares, tQuantile } from './stats.ts';
import { warn, type Warning } from './warnings.ts';

/** One observation: a day (or a month, as per-day averages) of energy, mean outdoor temperature, working share. */
export interface Observation {
  time: number;
  /** energy per day in the observation (kWh/day) */
  energy: number;
  /** heating / cooling degree-days per day are computed from temperatures at the tested balance points */
  temps_c: number[];
  /** share of working days in the observation: 1 or 0 for a day, 0–1 for a month */
  working: number;
  /** days the observation covers (1 for daily data) */
  days: number;
}

/** Candidate model forms (CalTRACK daily method, with an optional working-day term). */
export type ModelKind = 'intercept' | 'hdd' | 'cdd' | 'hdd_cdd';

/** A fitted baseline model and its statistics. */
export interface BaselineModel {
  kind: ModelKind;
  heating_balance_c: number | null;
  cooling_balance_c: number | null;
  coefficients: { intercept: number; hdd: number | null; cdd: number | null; working: number | null };
  n: number;
  p: number;
  r2: number;
  adj_r2: number;
  /** CV(RMSE) as a fraction: sqrt(SSE/(n−p)) / ȳ (G14 eq. 4-4) */
  cv_rmse: number;
  /** NMBE as a fraction: Σ(y − ŷ) / ((n − p) · ȳ) (G14 eq. 4-3) */
  nmbe: number;
  /** lag-1 autocorrelation of the residuals */
  rho: number;
  mean: number;
}

/** Mean degree-days per day of an observation at a balance point: HDD = Σ max(0, Tb − T), CDD = Σ max(0, T − Tb). */
export function degreeDays(temps_c: number[], balance_c: number): { hdd: number; cdd: number } {
  if (temps_c.length === 0) return { hdd: 0, cdd: 0 };
  let h = 0, c = 0;
  for (const t of temps_c) {
    h += Math.max(0, balance_c - t);
    c += Math.max(0, t - balance_c);
  }
  return { hdd: h / temps_c.length, cdd: c / temps_c.length };
}

/** Options of the baseline search. */
export interface FitOptions {
  /** balance points tried, °C (CalTRACK searches 30–90 °F ≈ −1…32 °C; default 5…28 °C by 1 °C) */
  balance_grid_c?: number[];
  /** include a working-day term when the baseline holds both kinds of day (default true) */
  working_term?: boolean;
  /** CalTRACK sufficiency per degree-day term: days with non-zero degree-days and their total */
  min_nonzero_days?: number;
  min_total_degree_days?: number;
}

const DEFAULT_GRID = Array.from({ length: 24 }, (_, i) => 5 + i);
/** Observations required per model parameter (a guard against fitting 4 parameters to 6 months). */
export const MIN_OBS_PER_PARAMETER = 3;

function design(obs: Observation[], kind: ModelKind, bh: number | null, bc: number | null, working: boolean): number[][] {
  return obs.map((o) => {
    const row = [1];
    if (kind === 'hdd' || kind === 'hdd_cdd') row.push(degreeDays(o.temps_c, bh as number).hdd);
    if (kind === 'cdd' || kind === 'hdd_cdd') row.push(degreeDays(o.temps_c, bc as number).cdd);
    if (working) row.push(o.working);
    return row;
  });
}

function fitOne(obs: Observation[], kind: ModelKind, bh: number | null, bc: number | null, working: boolean, opts: Required<FitOptions>): { model: BaselineModel; qualified: boolean } | null {
  const x = design(obs, kind, bh, bc, working);
  const y = obs.map((o) => o.energy);
  const fit = leastSquares(x, y);
  if (!fit) return null;
  const n = y.length, p = x[0].length;
  // At least three observations per parameter: six months cannot carry intercept, HDD, CDD and a working term.
  if (n < MIN_OBS_PER_PARAMETER * p) return null;
  const yhat = x.map((r) => r.reduce((s, v, j) => s + v * fit.beta[j], 0));
  const resid = y.map((v, i) => v - yhat[i]);
  const mean = y.reduce((a, b) => a + b, 0) / n;
  const sse = resid.reduce((a, e) => a + e * e, 0);
  const sst = y.reduce((a, v) => a + (v - mean) ** 2, 0);
  const r2 = sst > 0 ? 1 - sse / sst : 0;
  const sigma2 = sse / (n - p);
  // CalTRACK qualification: every degree-day coefficient positive with p < 0.1, and enough degree-days behind it.
  let qualified = true;
  const ddColumns = kind === 'hdd_cdd' ? [1, 2] : kind === 'intercept' ? [] : [1];
  const tCrit = tQuantile(0.95, n - p);
  ddColumns.map((col) => ({ col, coef: fit.beta[col], dd: x.map((r) => r[col]) })).forEach((t) => {
    const se = Math.sqrt(sigma2 * fit.xtxInv[t.col][t.col]);
    const nonzeroDays = obs.reduce((a, o, i) => a + (t.dd[i] > 0 ? o.days : 0), 0);
    const totalDd = obs.reduce((a, o, i) => a + t.dd[i] * o.days, 0);
    if (!(t.coef > 0) || !(se > 0 ? t.coef / se > tCrit : true) || nonzeroDays < opts.min_nonzero_days || totalDd < opts.min_total_degree_days) qualified = false;
  });
  const get = (c: number | undefined) => (c === undefined ? null : c);
  let idx = 1;
  const hdd = kind === 'hdd' || kind === 'hdd_cdd' ? fit.beta[idx++] : undefined;
  const cdd = kind === 'cdd' || kind === 'hdd_cdd' ? fit.beta[idx++] : undefined;
  const w = working ? fit.beta[idx++] : undefined;
  return {
    qualified,
    model: {
      kind, heating_balance_c: bh, cooling_balance_c: bc,
      coefficients: { intercept: fit.beta[0], hdd: get(hdd), cdd: get(cdd), working: get(w) },
      n, p, r2, adj_r2: 1 - ((1 - r2) * (n - 1)) / (n - p),
      cv_rmse: mean !== 0 ? Math.sqrt(sigma2) / mean : Infinity,
      nmbe: mean !== 0 ? resid.reduce((a, e) => a + e, 0) / ((n - p) * mean) : 0,
      rho: lag1Autocorrelation(resid),
      mean,
    },
  };
}

/**
 * Fit every candidate (intercept-only; HDD, CDD and HDD+CDD over the balance-point grid) and keep the qualified
 * one with the best adjusted R² (CalTRACK 2.0 §3.4). The intercept-only model always qualifies.
 */
export function fitBaseline(obs: Observation[], options: FitOptions = {}): { model: BaselineModel | null; candidates_tried: number; warnings: Warning[] } {
  const opts: Required<FitOptions> = {
    balance_grid_c: options.balance_grid_c ?? DEFAULT_GRID,
    working_term: options.working_term ?? true,
    min_nonzero_days: options.min_nonzero_days ?? 10,
    min_total_degree_days: options.min_total_degree_days ?? 20,
  };
  const warnings: Warning[] = [];
  if (obs.length < MIN_OBS_PER_PARAMETER) return { model: null, candidates_tried: 0, warnings: [warn('too_few_baseline_points', `${obs.length} baseline observations: a regression needs many more`)] };
  if (obs.length < 12) warnings.push(warn('few_baseline_points', `${obs.length} baseline observations: models are limited to ${Math.floor(obs.length / MIN_OBS_PER_PARAMETER)} parameter(s)`));
  const hasTemps = obs.every((o) => o.temps_c.length > 0);
  const workingVaries = opts.working_term && new Set(obs.map((o) => o.working)).size > 1;
  let best: BaselineModel | null = null;
  let tried = 0;
  const consider = (kind: ModelKind, bh: number | null, bc: number | null) => {
    tried++;
    // With the working-day term when the data can carry it, else without.
    const r = (workingVaries ? fitOne(obs, kind, bh, bc, true, opts) : null) ?? fitOne(obs, kind, bh, bc, false, opts);
    if (r?.qualified && (!best || r.model.adj_r2 > best.adj_r2)) best = r.model;
  };
  consider('intercept', null, null);
  if (hasTemps) {
    for (const b of opts.balance_grid_c) {
      consider('hdd', b, null);
      consider('cdd', null, b);
    }
    for (const bh of opts.balance_grid_c) for (const bc of opts.balance_grid_c) if (bh <= bc) consider('hdd_cdd', bh, bc);
  } else {
    warnings.push(warn('no_temperature', 'no outdoor temperature for (some of) the baseline: only the intercept model was fitted, so weather is not adjusted for'));
  }
  return { model: best, candidates_tried: tried, warnings };
}

/** The model's energy per day for an observation (the adjusted baseline under reporting-period conditions). */
export function predict(m: BaselineModel, o: Pick<Observation, 'temps_c' | 'working'>): number {
  let y = m.coefficients.intercept;
  if (m.coefficients.hdd !== null && m.heating_balance_c !== null) y += m.coefficients.hdd * degreeDays(o.temps_c, m.heating_balance_c).hdd;
  if (m.coefficients.cdd !== null && m.cooling_balance_c !== null) y += m.coefficients.cdd * degreeDays(o.temps_c, m.cooling_balance_c).cdd;
  if (m.coefficients.working !== null) y += m.coefficients.working * o.working;
  return y;
}

/** ASHRAE Guideline 14-2014 acceptance limits used here; finer-than-monthly data is held to the hourly limits. */
export const G14_LIMITS = {
  monthly: { cv_rmse: 0.15, nmbe: 0.05 },
  daily: { cv_rmse: 0.30, nmbe: 0.10 },
  r2_min: 0.70,
  fsu_max: 0.50,
} as const;

/** Whether the model meets Guideline 14 for its data granularity. */
export function judgeG14(m: BaselineModel, granularity: 'daily' | 'monthly'): { passes: boolean; checks: { name: string; value: number; limit: number; pass: boolean }[] } {
  const lim = G14_LIMITS[granularity];
  const checks = [
    { name: 'cv_rmse', value: m.cv_rmse, limit: lim.cv_rmse, pass: m.cv_rmse <= lim.cv_rmse },
    { name: 'nmbe', value: m.nmbe, limit: lim.nmbe, pass: Math.abs(m.nmbe) <= lim.nmbe },
    { name: 'r2', value: m.r2, limit: G14_LIMITS.r2_min, pass: m.r2 >= G14_LIMITS.r2_min },
  ];
  return { passes: checks.every((c) => c.pass), checks };
}

/**
 * Fractional savings uncertainty (ASHRAE G14-2014 Annex B, eq. B-28 with the autocorrelation correction):
 * ΔE/E = 1.26 · t · CV · sqrt((n/n′)(1 + 2/n′)(1/m)) / F, n′ = n(1 − ρ)/(1 + ρ) (ρ ≤ 0: n′ = n),
 * t at 68 % two-sided confidence with n′ − p degrees of freedom, F = savings / adjusted baseline, m reporting points.
 */
export function fractionalSavingsUncertainty(args: { cv_rmse: number; n: number; p: number; rho: number; m: number; fraction_saved: number; confidence?: number }): { fsu: number | null; n_effective: number; t: number } {
  const { cv_rmse, n, p, rho, m, fraction_saved } = args;
  const conf = args.confidence ?? 0.68;
  const nEff = Math.max(p + 1, rho > 0 ? (n * (1 - rho)) / (1 + rho) : n);
  const t = tQuantile(1 - (1 - conf) / 2, nEff - p);
  if (!(fraction_saved > 0) || m <= 0) return { fsu: null, n_effective: nEff, t };
  const fsu = (1.26 * t * cv_rmse * Math.sqrt((n / nEff) * (1 + 2 / nEff) * (1 / m))) / fraction_saved;
  return { fsu, n_effective: nEff, t };
}

/** Avoided energy over a reporting period (GB/T 28750-2012): Σ adjusted baseline − Σ actual. */
export function avoidedEnergy(model: BaselineModel, reporting: Observation[]): { adjusted_baseline: number; actual: number; savings: number; fraction: number | null } {
  const adjusted = reporting.reduce((a, o) => a + predict(model, o) * o.days, 0);
  const actual = reporting.reduce((a, o) => a + o.energy * o.days, 0);
  const savings = adjusted - actual;
  return { adjusted_baseline: adjusted, actual, savings, fraction: adjusted > 0 ? savings / adjusted : null };
}

/** Contract types of GB/T 24915-2020. */
export type ContractType = 'shared-savings' | 'guaranteed-savings' | 'cost-trusteeship';

/**
 * How the savings of a period divide between the energy-service company (ESCO) and the client:
 * shared savings at the ESCO's share; guaranteed savings against the guaranteed amount (annual, pro-rated to
 * the period's days) with the shortfall the ESCO owes; cost trusteeship: the client pays the adjusted-baseline
 * cost, the ESCO keeps the difference to the actual cost.
 */
export function contractSplit(args: {
  type: ContractType; savings_kwh: number; price_cny_per_kwh: number; adjusted_baseline_kwh: number; actual_kwh: number;
  share?: number; guaranteed_kwh_per_year?: number; days: number;
}): { esco_cny: number; client_cny: number; shortfall_kwh: number | null; shortfall_cny: number | null; guaranteed_kwh: number | null; client_pays_cny: number | null; warnings: Warning[] } {
  const warnings: Warning[] = [];
  const savingsCny = args.savings_kwh * args.price_cny_per_kwh;
  const base = { shortfall_kwh: null, shortfall_cny: null, guaranteed_kwh: null, client_pays_cny: null };
  if (args.type === 'shared-savings') {
    if (args.share === undefined) warnings.push(warn('no_savings_share', 'the contract has no savings_share: the ESCO share is taken as 0'));
    const share = args.share ?? 0;
    const positive = Math.max(0, savingsCny);
    return { ...base, esco_cny: positive * share, client_cny: savingsCny - positive * share, warnings };
  }
  if (args.type === 'guaranteed-savings') {
    if (args.guaranteed_kwh_per_year === undefined) warnings.push(warn('no_guaranteed_amount', 'the contract has no guaranteed_kwh: no shortfall can be computed'));
    const guaranteed = args.guaranteed_kwh_per_year === undefined ? null : (args.guaranteed_kwh_per_year * args.days) / 365;
    const shortfall = guaranteed === null ? null : Math.max(0, guaranteed - args.savings_kwh);
    return {
      esco_cny: 0, client_cny: savingsCny, guaranteed_kwh: guaranteed, shortfall_kwh: shortfall,
      shortfall_cny: shortfall === null ? null : shortfall * args.price_cny_per_kwh, client_pays_cny: null, warnings,
    };
  }
  const clientPays = args.adjusted_baseline_kwh * args.price_cny_per_kwh;
  return { ...base, esco_cny: clientPays - args.actual_kwh * args.price_cny_per_kwh, client_cny: 0, client_pays_cny: clientPays, warnings };
}

/** CalTRACK-style data-sufficiency checks of a baseline or reporting period. */
export function sufficiencyWarnings(kind: 'baseline' | 'reporting', observedDays: number, calendarDays: number): Warning[] {
  const w: Warning[] = [];
  if (calendarDays <= 0) return [warn(`${kind}_empty`, `the ${kind} period is empty`)];
  const coverage = observedDays / calendarDays;
  if (coverage < 0.9) w.push(warn(`${kind}_coverage`, `${kind} period: data on ${observedDays} of ${Math.round(calendarDays)} days (${(coverage * 100).toFixed(0)} %); CalTRACK asks for at least 90 %`));
  if (kind === 'baseline' && calendarDays < 365 - 1e-9) w.push(warn('baseline_short', `the baseline spans ${Math.round(calendarDays)} days; 12 months are needed to cover every season (CalTRACK, IPMVP)`));
  return w;
}
