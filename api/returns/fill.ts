/**
 * The annual returns of one filer (the institution, or an org unit) filled from what the API already computes
 * (issue 15): each medium's year from the collector's totals corrected by bills (year-figures.ts), the manual
 * entries of the year (entry-sums.ts), 综合能耗 on both electricity bases with the entered fuels, the intensities and
 * 同比 against the year before. NY202 is filled once per machine room, NY203 when a building of the filer heats.
 * Every value says where it came from (cells.ts).
 */
import type { Medium, SiteModel } from '../../core/site/schema.ts';
import { zonedTime } from '../../core/time.ts';
import type { Storage } from '../../storage/port.ts';
import { changePct, warn, type Warning } from '../domain/index.ts';
import { round } from '../format.ts';
import type { StandardCoalFile } from '../reference.ts';
import { SiteIndex } from '../site-index.ts';
import { fillRows, type CellContext, type FilledRow } from './cells.ts';
import type { Entry } from './entries.ts';
import { YearEntries } from './entry-sums.ts';
import type { EntryStore } from './entry-store.ts';
import { filerOf, type Filer } from './filer.ts';
import type { LayoutForm, ReturnsLayout } from './layout.ts';
import { importedMeters, importsOf, type ImportRecord } from './imports.ts';
import { meterQuality, type MeterQuality } from './quality.ts';
import { sourceYear, yearFigures, type MediumYear, type YearFigures } from './year-figures.ts';

export type { FilledCell, FilledRow, ValueProvenance } from './cells.ts';
export type { MediumYear, YearFigures } from './year-figures.ts';

/** A filled form (one sheet): NY202 once per machine room, named after it. */
export interface FilledForm {
  id: string;
  title: string;
  sheet: string;
  /** NY202: the machine room this sheet is about */
  subject?: string;
  rows: FilledRow[];
}

const INDICATORS = ['energy_kgce_equivalent', 'energy_kgce_equal', 'energy_kgce_per_m2', 'energy_kgce_per_person', 'water_m3_per_person'] as const;
/** The summary indicators that get a 同比. */
export type Indicator = typeof INDICATORS[number];

/** The filled returns of one filer and year. */
export interface AnnualReturn {
  year: number;
  revision: string;
  layout: ReturnsLayout;
  site: { id: string; name: string; unified_social_credit_code: string | null };
  /** who files: the site (the institution) or an org unit */
  filer: { kind: 'site' | 'org_unit'; id: string; name: string };
  forms: FilledForm[];
  summary: { current: YearFigures; previous: YearFigures; yoy_change_pct: Record<Indicator, number | null> };
  /** per meter: the year's quantity, estimated part, intervals present and missing (the data-quality sheet) */
  quality: MeterQuality[];
  /** the manual entries the year's figures used, with who entered them and when */
  entries: Entry[];
  /** the history imports whose span meets the year (of the filer's devices) */
  imports: ImportRecord[];
  warnings: Warning[];
}

/** What filling the returns reads. */
export interface FillInput {
  year: number;
  site: SiteModel;
  storage: Storage;
  layout: ReturnsLayout;
  coal: StandardCoalFile;
  /** the manual entries (absent: none) */
  entries?: EntryStore;
  /** file for this org unit instead of the whole institution */
  orgUnit?: string;
  /** called after each step (for a progress bar): done of total */
  onProgress?: (done: number, total: number) => void;
}

/** The filer's current entries that concern a year: the site adds every unit's period entries, points only its own. */
export function entriesOfYear(store: EntryStore | undefined, filer: Filer, year: number): YearEntries {
  const list = store?.list({ from: `${year}-01-01`, to: `${year + 1}-01-01`, ...(filer.kind === 'org_unit' ? { org_unit: filer.org_unit } : {}) }) ?? [];
  return new YearEntries(list.filter((e) => e.to !== null || e.org_unit === filer.org_unit), year);
}

/** Fill every form of the layout for the filer and compute the summary with the year before. */
export async function fillAnnualReturn(input: FillInput): Promise<AnnualReturn> {
  const index = new SiteIndex(input.site);
  const filer = filerOf(index, input.orgUnit);
  const total = 5;
  const entries = entriesOfYear(input.entries, filer, input.year);
  const from = zonedTime(index.tz, input.year, 1, 1), to = zonedTime(index.tz, input.year + 1, 1, 1);
  let done = 0;
  const step = <T>(p: Promise<T>) => p.then((v) => { input.onProgress?.(++done, total); return v; });
  // the three reads are independent: in parallel
  const [current, previous, allQuality, allImports] = await Promise.all([
    step(yearFigures(filer, index, input.storage, input.coal, entries)),
    step(yearFigures(filer, index, input.storage, input.coal, entriesOfYear(input.entries, filer, input.year - 1))),
    step(meterQuality(index, input.storage, from, to)),
    importsOf(index, input.storage, from, to),
  ]);
  const quality = filer.kind === 'org_unit' ? allQuality.filter((q) => index.devices.get(q.meter)?.org_unit === filer.id) : allQuality;
  const imports = filer.kind === 'org_unit' ? allImports.filter((i) => index.devices.get(i.device)?.org_unit === filer.id) : allImports;
  const imported = importedMeters(imports);
  for (const [medium, m] of Object.entries(current.by_medium) as [Medium, MediumYear][]) {
    const meters = filer.kind === 'org_unit' ? index.orgUnitMeters(filer.id, medium).map((d) => d.id)
      : input.site.devices.filter((d) => d.kind === 'meter' && d.medium === medium && d.enabled !== false).map((d) => d.id);
    markImported(m, meters, imported);
  }
  if (current.pv_generation) markImported(current.pv_generation, filer.inverters, imported);
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
    else if (!m.complete && m.days_with_data > 0) warnings.push(warn('incomplete_year', `${input.year}: ${medium} lacks some intervals (coverage ${m.coverage}); the figure is a lower bound`));
  }
  if (current.pv_generation && !current.pv_generation.complete) warnings.push(warn('incomplete_year', `${input.year}: PV generation lacks some intervals (coverage ${current.pv_generation.coverage}); the figure is a lower bound`));
  if (current.coefficients_unconfirmed) warnings.push(warn('coefficients_unconfirmed', 'standard-coal coefficients are marked unconfirmed in the reference data: verify them before filing'));
  for (const fuel of current.missing_coefficients) warnings.push(warn('no_coal_coefficient', `no standard-coal coefficient for ${fuel} in the reference data: it is not in 综合能耗`));
  // 综合能耗 counts heat by its quantity (GB/T 2589-2020): heat billed by heated area has none, nor a medium without a coefficient
  const byArea = entries.figure({ kind: 'heat', use: 'by_area', field: 'quantity' });
  if (byArea.value !== null) warnings.push(warn('heat_by_area_not_in_kgce', `${input.year}: purchased heat billed by area (${byArea.value} m²) has no heat quantity: it is not in 综合能耗; enter it by heat (MJ) when the supplier states it`));
  for (const [medium, m] of Object.entries(current.by_medium) as [Medium, MediumYear][]) {
    if (m.quantity !== null && m.quantity > 0 && input.coal.editions.every((e) => e.media[medium] === undefined)) warnings.push(warn('no_coal_coefficient', `${input.year}: no standard-coal coefficient for ${medium} in the reference data: its ${m.quantity} is not in 综合能耗`));
  }
  const forms: FilledForm[] = [];
  for (const f of input.layout.forms) forms.push(...await fillForm(f, { filer, year: current, entries }, index, input.storage, from, to, imported));
  input.onProgress?.(4, total);
  const used = new Set(entries.entries.map((e) => e.id));
  return {
    year: input.year, revision: input.layout.revision, layout: input.layout,
    site: { id: input.site.site.id, name: filer.name, unified_social_credit_code: filer.unified_social_credit_code },
    filer: { kind: filer.kind, id: filer.id, name: filer.name },
    forms, summary: { current, previous, yoy_change_pct: yoy }, quality,
    entries: entries.entries.filter((e) => used.has(e.id)), imports, warnings,
  };
}

/** Flag a year whose meters include one whose energy came from a file. */
function markImported(m: MediumYear | undefined, meters: readonly string[], imported: ReadonlySet<string>): void {
  if (m && meters.some((id) => imported.has(id))) m.imported = true;
}

/** The sheets of one layout form: one (institution), one per machine room, or one when the filer heats. */
async function fillForm(f: LayoutForm, c: CellContext, index: SiteIndex, storage: Storage, from: number, to: number, imported: ReadonlySet<string>): Promise<FilledForm[]> {
  const base = { id: f.id, title: f.title };
  if (f.per === 'machine_room') {
    const rooms = c.filer.machineRooms;
    return Promise.all(rooms.map(async (room, i) => {
      const roomParts: CellContext['roomParts'] = {};
      for (const part of ['it', 'cooling', 'distribution'] as const) {
        const ids = room.meters[part] ?? [];
        if (ids.length > 0) roomParts[part] = await sourceYear(storage, index, { kind: 'meters', ids, meters: ids.length }, 'electricity', from, to);
        markImported(roomParts[part], ids, imported);
      }
      const sheet = rooms.length === 1 ? f.sheet : `${f.sheet}-${i + 1}`;
      return { ...base, sheet, subject: room.name, rows: fillRows(f.rows, { ...c, room, roomParts }) };
    }));
  }
  if (f.per === 'heating') {
    if (c.filer.heating.length === 0) return [];
    const heatingMeters: CellContext['heatingMeters'] = {};
    const meters = c.filer.heating.flatMap((b) => b.heating?.meters ?? []).map((id) => index.devices.get(id)).filter((d) => d !== undefined);
    for (const medium of [...new Set(meters.map((d) => d.medium as Medium))]) {
      const ids = meters.filter((d) => d.medium === medium).map((d) => d.id);
      heatingMeters[medium] = await sourceYear(storage, index, { kind: 'meters', ids, meters: ids.length }, medium, from, to);
      markImported(heatingMeters[medium], ids, imported);
    }
    return [{ ...base, sheet: f.sheet, rows: fillRows(f.rows, { ...c, heatingMeters }) }];
  }
  return [{ ...base, sheet: f.sheet, rows: fillRows(f.rows, c) }];
}
