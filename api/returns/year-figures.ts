/**
 * One filer's figures for one statistical year: each medium's quantity from the collector's totals (the site: its
 * buildings' totals, decision 0404; an org unit: its topmost meters' rows) corrected by the bills entered by hand
 * (an override replaces a root meter's measured quantity over the bill's period, a supplement adds to the total),
 * 综合能耗 by GB/T 2589-2020 on both electricity bases with the entered fuels, and the intensities.
 */
import { zonedTime } from '../../core/time.ts';
import { ESTIMATED_FIELD, MEASUREMENT, QUANTITY_FIELD } from '../../core/measurements.ts';
import type { Medium } from '../../core/site/schema.ts';
import type { Storage } from '../../storage/port.ts';
import { coalCoefficients, perUnit, standardCoal, type ElectricityBasis } from '../domain/index.ts';
import { addProvenance, coverageOf, expectedIntervals, NO_PROVENANCE } from '../domain/provenance.ts';
import { round } from '../format.ts';
import type { StandardCoalFile } from '../reference.ts';
import { sourceSeries, type RollupSource } from '../series.ts';
import type { SiteIndex } from '../site-index.ts';
import type { YearEntries } from './entry-sums.ts';
import type { Filer } from './filer.ts';

/** A medium's year: quantity (the stored unit: kWh, m³), the estimated and manual parts and coverage; null without data. */
export interface MediumYear {
  quantity: number | null;
  estimated_quantity: number;
  /** the part from bills entered by hand (override: the bill instead of the meter; supplement: added) */
  manual_quantity: number;
  /** the bills behind manual_quantity */
  entries: number[];
  coverage: number;
  complete: boolean;
  days_with_data: number;
  /** some of its meters' energy in the year came from a history import (imports.ts) */
  imported?: boolean;
}

/** The figures of the summary sheet for one year. */
export interface YearFigures {
  year: number;
  by_medium: Partial<Record<Medium, MediumYear>>;
  /** AC energy of the filer's PV systems (kWh); null when it has none */
  pv_generation: MediumYear | null;
  /** standard coal of the fuels entered by hand (vehicle fuel, LPG, coal, purchased heat, other energy) */
  fuels_kgce: number;
  energy_kgce_equivalent: number | null;
  energy_kgce_equal: number | null;
  floor_area_m2: number | null;
  headcount: number | null;
  /** where area and headcount came from: the site model or a manual entry (its id) */
  floor_area_source: { provenance: 'site_model' | 'manual'; entries: number[] };
  headcount_source: { provenance: 'site_model' | 'manual'; entries: number[] };
  energy_kgce_per_m2: number | null;
  energy_kgce_per_person: number | null;
  water_m3_per_person: number | null;
  /** every 15-minute interval of every meter of every medium present */
  complete: boolean;
  coefficients_unconfirmed: boolean;
  /** fuels entered without a coefficient in the reference data */
  missing_coefficients: string[];
}

const MEDIA: Medium[] = ['electricity', 'water', 'gas', 'heat', 'cooling'];

/** Σ of a rollup source's daily rows over [from, to) with provenance; quantity null when no row exists. */
export async function sourceYear(storage: Storage, index: SiteIndex, source: RollupSource, medium: Medium, from: number, to: number): Promise<MediumYear> {
  const series = await sourceSeries(storage, { siteId: index.site.site.id, source, medium, from, to, interval: '1d', tz: index.tz });
  let quantity = 0, provenance = NO_PROVENANCE;
  for (const p of series) { quantity += p.value; provenance = addProvenance(provenance, p); }
  const c = coverageOf(provenance, expectedIntervals(from, to, source.meters));
  return {
    quantity: series.length > 0 ? round(quantity, 4) : null, estimated_quantity: round(provenance.estimated, 4), manual_quantity: 0, entries: [],
    coverage: round(c.coverage, 4), complete: c.complete, days_with_data: series.length,
  };
}

/** The site-calendar instant of a date YYYY-MM-DD. */
export function dayStart(tz: string, date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  return zonedTime(tz, y, m, d);
}

/** The medium's year corrected by its bills: overrides replace their meter over the bill's days inside the year. */
async function withBills(m: MediumYear | undefined, medium: Medium, storage: Storage, index: SiteIndex, entries: YearEntries, y0: number, y1: number): Promise<MediumYear | undefined> {
  const bills = entries.bills(medium);
  if (bills.length === 0) return m;
  const out: MediumYear = m ? { ...m, entries: [...m.entries] } : { quantity: null, estimated_quantity: 0, manual_quantity: 0, entries: [], coverage: 0, complete: false, days_with_data: 0 };
  let quantity = out.quantity ?? 0;
  for (const { entry, share } of bills) {
    const billed = (entry.quantity ?? 0) * share;
    if (entry.mode === 'override' && entry.meter) {
      const from = Math.max(y0, dayStart(index.tz, entry.from)), to = Math.min(y1, dayStart(index.tz, entry.to as string));
      const read = async (field: string) => (await storage.aggregate({ measurement: MEASUREMENT.energy1d, field, fn: 'sum', from, to, where: { site: index.site.site.id, meter: [entry.meter as string] } }))
        .reduce((a, s) => a + s.points.reduce((b, p) => b + p.value, 0), 0);
      const [measured, estimated] = await Promise.all([read(QUANTITY_FIELD[medium]), read(ESTIMATED_FIELD[medium])]);
      quantity -= measured;
      out.estimated_quantity = round(Math.max(0, out.estimated_quantity - estimated), 4);
    }
    quantity += billed;
    out.manual_quantity = round(out.manual_quantity + billed, 4);
    out.entries.push(entry.id);
  }
  out.quantity = round(quantity, 4);
  return out;
}

/** The filer's figures for one local calendar year. */
export async function yearFigures(filer: Filer, index: SiteIndex, storage: Storage, coal: StandardCoalFile, entries: YearEntries): Promise<YearFigures> {
  const year = entries.year;
  const tz = index.tz;
  const from = zonedTime(tz, year, 1, 1), to = zonedTime(tz, year + 1, 1, 1);
  const by_medium: Partial<Record<Medium, MediumYear>> = {};
  let complete = true;
  await Promise.all(MEDIA.map(async (medium) => {
    const source = filer.source(medium);
    const measured = source.meters === 0 ? undefined : await sourceYear(storage, index, source, medium, from, to);
    const y = await withBills(measured, medium, storage, index, entries, from, to);
    if (!y) return;
    if (measured) complete &&= measured.complete;
    by_medium[medium] = y;
  }));
  const pv_generation = filer.inverters.length > 0
    ? await sourceYear(storage, index, { kind: 'meters', ids: filer.inverters, meters: filer.inverters.length }, 'electricity', from, to)
    : null;
  const quantities: Partial<Record<Medium, number>> = {};
  for (const [m, y] of Object.entries(by_medium) as [Medium, MediumYear][]) if (y.quantity !== null) quantities[m] = y.quantity;
  const fuels = entries.fuelsKgce(coal);
  const anyData = Object.keys(quantities).length > 0 || fuels.entries.length > 0;
  const kgce = (basis: ElectricityBasis) => {
    const { coefficients } = coalCoefficients(coal, `${year}-01-01`, year, basis);
    return { total: anyData ? round(standardCoal(quantities, coefficients).total_kgce + fuels.kgce, 4) : null, unconfirmed: coefficients.unconfirmed };
  };
  const equivalent = kgce('equivalent'), equal = kgce('equal');
  // area and headcount: a manual entry in force at the year's end wins over the site model
  const areaEntry = entries.figure({ kind: 'floor_area', field: 'quantity' });
  const peopleEntry = entries.figure({ kind: 'headcount', field: 'quantity' });
  const area = areaEntry.value ?? filer.floorArea(year);
  const people = peopleEntry.value ?? filer.headcount(year);
  const per = (v: number | null, by: number | null) => (v === null || by === null ? null : perUnit(v, by));
  const r = (v: number | null) => (v === null ? null : round(v, 4));
  return {
    year, by_medium, pv_generation, fuels_kgce: fuels.kgce, energy_kgce_equivalent: equivalent.total, energy_kgce_equal: equal.total,
    floor_area_m2: area, headcount: people,
    floor_area_source: areaEntry.value !== null ? { provenance: 'manual', entries: areaEntry.entries } : { provenance: 'site_model', entries: [] },
    headcount_source: peopleEntry.value !== null ? { provenance: 'manual', entries: peopleEntry.entries } : { provenance: 'site_model', entries: [] },
    energy_kgce_per_m2: r(per(equivalent.total, area)), energy_kgce_per_person: r(per(equivalent.total, people)),
    water_m3_per_person: r(per(by_medium.water?.quantity ?? null, people)),
    complete: complete && Object.keys(quantities).length > 0, coefficients_unconfirmed: equivalent.unconfirmed || equal.unconfirmed,
    missing_coefficients: fuels.missing,
  };
}
