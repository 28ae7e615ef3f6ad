/**
 * The annual returns filled from what the API already computes (issue 15): the year's quantity of each medium from
 * the collector's building totals (api/series.ts, decision 0404), 综合能耗 by GB/T 2589-2020 (api/domain/coal.ts)
 * on both electricity bases, the intensities of api/domain/intensity.ts and 同比 against the year before. Every
 * value says where it came from (measured, with the estimated share; site model; manual).
 */
import { buildingYear } from '../../core/site/load.ts';
import type { Medium, SiteModel } from '../../core/site/schema.ts';
import { zonedTime } from '../../core/time.ts';
import type { Storage } from '../../storage/port.ts';
import { changePct, coalCoefficients, perUnit, standardCoal, warn, type ElectricityBasis, type Warning } from '../domain/index.ts';
import { addProvenance, coverageOf, expectedIntervals, NO_PROVENANCE } from '../domain/provenance.ts';
import { round } from '../format.ts';
import type { StandardCoalFile } from '../reference.ts';
import { buildingSource } from '../scope.ts';
import { sourceSeries, type RollupSource } from '../series.ts';
import { SiteIndex } from '../site-index.ts';
import type { LayoutRow, ReturnsLayout, ValueSource } from './layout.ts';
import { meterQuality, type MeterQuality } from './quality.ts';

/** Where a value came from: a meter total (measured, possibly partly estimated), the site model, or by hand. */
export type ValueProvenance = 'measured' | 'site_model' | 'manual';

/** One filled cell with its provenance. */
export interface FilledCell {
  value: number | string | null;
  provenance: ValueProvenance;
  /** measured cells: the part of the value in estimated intervals (form unit), its share, and the coverage */
  estimated_quantity?: number;
  estimated_share?: number | null;
  coverage?: number;
  complete?: boolean;
}

/** A layout row with its filled 数量 and 金额. */
export interface FilledRow extends Omit<LayoutRow, 'value' | 'amount'> {
  value?: FilledCell;
  amount?: FilledCell;
}

/** A filled form. */
export interface FilledForm {
  id: string;
  title: string;
  sheet: string;
  rows: FilledRow[];
}

/** A medium's year: quantity (the stored unit: kWh, m³), the estimated part and coverage; null without data. */
export interface MediumYear {
  quantity: number | null;
  estimated_quantity: number;
  coverage: number;
  complete: boolean;
  days_with_data: number;
}

/** The figures of the summary sheet for one year. */
export interface YearFigures {
  year: number;
  by_medium: Partial<Record<Medium, MediumYear>>;
  /** AC energy of the site's PV systems (kWh); null when the site model has none */
  pv_generation: MediumYear | null;
  energy_kgce_equivalent: number | null;
  energy_kgce_equal: number | null;
  floor_area_m2: number | null;
  headcount: number | null;
  energy_kgce_per_m2: number | null;
  energy_kgce_per_person: number | null;
  water_m3_per_person: number | null;
  /** every 15-minute interval of every meter of every medium present */
  complete: boolean;
  coefficients_unconfirmed: boolean;
}

const INDICATORS = ['energy_kgce_equivalent', 'energy_kgce_equal', 'energy_kgce_per_m2', 'energy_kgce_per_person', 'water_m3_per_person'] as const;
/** The summary indicators that get a 同比. */
export type Indicator = typeof INDICATORS[number];

/** The filled returns of one site and year. */
export interface AnnualReturn {
  year: number;
  revision: string;
  layout: ReturnsLayout;
  site: { id: string; name: string; unified_social_credit_code: string | null };
  forms: FilledForm[];
  summary: { current: YearFigures; previous: YearFigures; yoy_change_pct: Record<Indicator, number | null> };
  /** per meter: the year's quantity, estimated part, intervals present and missing (the data-quality sheet) */
  quality: MeterQuality[];
  warnings: Warning[];
}

/** What filling the returns reads. */
export interface FillInput {
  year: number;
  site: SiteModel;
  storage: Storage;
  layout: ReturnsLayout;
  coal: StandardCoalFile;
  /** called after each step (for a progress bar): done of total */
  onProgress?: (done: number, total: number) => void;
}

const MEDIA: Medium[] = ['electricity', 'water', 'gas', 'heat', 'cooling'];

/** Fill every form of the layout for the whole site and compute the summary with the year before. */
export async function fillAnnualReturn(input: FillInput): Promise<AnnualReturn> {
  const index = new SiteIndex(input.site);
  const total = 4;
  const current = await yearFigures(index, input.storage, input.coal, input.year);
  input.onProgress?.(1, total);
  const previous = await yearFigures(index, input.storage, input.coal, input.year - 1);
  input.onProgress?.(2, total);
  const quality = await meterQuality(index, input.storage, zonedTime(index.tz, input.year, 1, 1), zonedTime(index.tz, input.year + 1, 1, 1));
  input.onProgress?.(3, total);
  const warnings: Warning[] = [];
  const bothComplete = current.complete && previous.complete;
  // as the intensity API does: a change against a year with missing intervals would compare a lower bound
  if (!bothComplete) warnings.push(warn('change_withheld', `同比: not computed, because ${input.year} or ${input.year - 1} lacks some intervals`));
  const yoy = Object.fromEntries(INDICATORS.map((k) => {
    const v = bothComplete ? changePct(current[k], previous[k]) : null;
    return [k, v === null ? null : round(v, 2)];
  })) as Record<Indicator, number | null>;
  for (const [medium, m] of Object.entries(current.by_medium) as [Medium, MediumYear][]) {
    if (m.quantity === null) warnings.push(warn('no_data', `${input.year}: no ${medium} data; its rows are empty and it is not in 综合能耗`));
    else if (!m.complete) warnings.push(warn('incomplete_year', `${input.year}: ${medium} lacks some intervals (coverage ${m.coverage}); the figure is a lower bound`));
  }
  if (current.pv_generation && !current.pv_generation.complete) warnings.push(warn('incomplete_year', `${input.year}: PV generation lacks some intervals (coverage ${current.pv_generation.coverage}); the figure is a lower bound`));
  if (current.coefficients_unconfirmed) warnings.push(warn('coefficients_unconfirmed', 'standard-coal coefficients are marked unconfirmed in the reference data: verify them before filing'));
  warnings.push(warn('manual_not_included', '综合能耗 holds the metered media only: vehicle fuel, LPG, coal and other energy wait for manual entries'));
  const site = input.site;
  const forms = input.layout.forms.map((f) => ({
    id: f.id, title: f.title, sheet: f.sheet,
    rows: f.rows.map((r) => {
      const { value, amount, ...rest } = r;
      const row: FilledRow = { ...rest };
      if (value) row.value = fillCell(value, current, site);
      if (amount) row.amount = fillCell(amount, current, site);
      return row;
    }),
  }));
  input.onProgress?.(4, total);
  return {
    year: input.year, revision: input.layout.revision, layout: input.layout,
    site: { id: site.site.id, name: site.site.name, unified_social_credit_code: site.site.unified_social_credit_code ?? null },
    forms, summary: { current, previous, yoy_change_pct: yoy }, quality, warnings,
  };
}

function fillCell(source: ValueSource, year: YearFigures, site: SiteModel): FilledCell {
  switch (source.from) {
    case 'medium': return measuredCell(year.by_medium[source.medium], source.factor ?? 1);
    case 'pv_generation_kwh': {
      const pv = year.pv_generation;
      // no PV system in the site model: a unit with unmetered panels enters the figure by hand
      if (!pv) return { value: null, provenance: 'manual' };
      return measuredCell(pv, 1);
    }
    case 'floor_area_m2': return { value: year.floor_area_m2, provenance: 'site_model' };
    case 'headcount': return { value: year.headcount, provenance: 'site_model' };
    // the site model keeps addresses per building: the first building's stands for the institution
    case 'site': return { value: (source.field === 'address' ? site.buildings[0].address : site.site[source.field]) ?? null, provenance: 'site_model' };
    case 'manual': return { value: null, provenance: 'manual' };
  }
}

/** A measured quantity in the form's unit (× factor) with its estimated part, share and coverage; empty without data. */
function measuredCell(m: MediumYear | null | undefined, factor: number): FilledCell {
  if (!m || m.quantity === null) return { value: null, provenance: 'measured', coverage: m?.coverage ?? 0, complete: false };
  return {
    value: round(m.quantity * factor, 4), provenance: 'measured',
    estimated_quantity: round(m.estimated_quantity * factor, 4),
    estimated_share: m.quantity > 0 ? round(m.estimated_quantity / m.quantity, 6) : null,
    coverage: m.coverage, complete: m.complete,
  };
}

/** Σ of a rollup source's daily rows over [from, to) with provenance; quantity null when no row exists. */
async function sourceYear(storage: Storage, index: SiteIndex, source: RollupSource, medium: Medium, from: number, to: number): Promise<MediumYear> {
  const series = await sourceSeries(storage, { siteId: index.site.site.id, source, medium, from, to, interval: '1d', tz: index.tz });
  let quantity = 0, provenance = NO_PROVENANCE;
  for (const p of series) { quantity += p.value; provenance = addProvenance(provenance, p); }
  const c = coverageOf(provenance, expectedIntervals(from, to, source.meters));
  return {
    quantity: series.length > 0 ? round(quantity, 4) : null, estimated_quantity: round(provenance.estimated, 4),
    coverage: round(c.coverage, 4), complete: c.complete, days_with_data: series.length,
  };
}

/** The site's figures for one local calendar year, read from the building totals through the storage port. */
export async function yearFigures(index: SiteIndex, storage: Storage, coal: StandardCoalFile, year: number): Promise<YearFigures> {
  const tz = index.tz;
  const from = zonedTime(tz, year, 1, 1), to = zonedTime(tz, year + 1, 1, 1);
  const buildings = index.site.buildings;
  const by_medium: Partial<Record<Medium, MediumYear>> = {};
  let complete = true;
  await Promise.all(MEDIA.map(async (medium) => {
    const source = buildingSource({ index }, buildings, medium);
    if (source.meters === 0) return;
    const y = await sourceYear(storage, index, source, medium, from, to);
    complete &&= y.complete;
    by_medium[medium] = y;
  }));
  // PV AC energy from the inverters' interval rows, as /pv-systems/{id}/performance reads it
  const inverters = (index.site.pv_systems ?? []).flatMap((s) => s.inverters);
  const pv_generation = inverters.length > 0
    ? await sourceYear(storage, index, { kind: 'meters', ids: inverters, meters: inverters.length }, 'electricity', from, to)
    : null;
  const quantities: Partial<Record<Medium, number>> = {};
  for (const [m, y] of Object.entries(by_medium) as [Medium, MediumYear][]) if (y.quantity !== null) quantities[m] = y.quantity;
  const anyData = Object.keys(quantities).length > 0;
  const kgce = (basis: ElectricityBasis) => {
    const { coefficients } = coalCoefficients(coal, `${year}-01-01`, year, basis);
    return { total: anyData ? round(standardCoal(quantities, coefficients).total_kgce, 4) : null, unconfirmed: coefficients.unconfirmed };
  };
  const equivalent = kgce('equivalent'), equal = kgce('equal');
  // the site scope's denominators, as the intensity API computes them
  // the site's denominators as the site scope of the intensity API sums them (api/scope.ts)
  let area = 0, people: number | null = 0;
  for (const b of buildings) {
    const y = buildingYear(b, year);
    area += y.floor_area_m2;
    people = people === null || y.headcount === undefined ? null : people + y.headcount;
  }
  const per = (v: number | null, by: number | null) => (v === null || by === null ? null : perUnit(v, by));
  const r = (v: number | null) => (v === null ? null : round(v, 4));
  return {
    year, by_medium, pv_generation, energy_kgce_equivalent: equivalent.total, energy_kgce_equal: equal.total,
    floor_area_m2: area, headcount: people,
    energy_kgce_per_m2: r(per(equivalent.total, area)), energy_kgce_per_person: r(per(equivalent.total, people)),
    water_m3_per_person: r(per(by_medium.water?.quantity ?? null, people)),
    complete: complete && anyData, coefficients_unconfirmed: equivalent.unconfirmed || equal.unconfirmed,
  };
}
