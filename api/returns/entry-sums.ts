/**
 * The manual entries of one filer (the institution, or an org unit) for one statistical year: Σ of the period
 * kinds over the year (a period that crosses the year's edge counts by its share of days inside it), the value of a
 * point-in-time kind in force at the year's end, and the standard coal of the fuels no meter measures.
 */
import type { Medium } from '../../core/site/schema.ts';
import { round } from '../format.ts';
import type { StandardCoalFile } from '../reference.ts';
import type { Entry, EntryKind } from './entries.ts';

/** A figure from entries: the value and the ids of the entries behind it; value null when none applies. */
export interface EntryFigure { value: number | null; entries: number[] }

/** Which entries a figure adds up. */
export interface EntryFilter { kind: EntryKind; use?: string; item?: string; medium?: Medium; field: 'quantity' | 'amount' }

const DAY = 86_400_000;
const dayMs = (d: string) => Date.parse(`${d}T00:00:00Z`);

/** The entries of one filer and year, ready to add up. */
export class YearEntries {
  /** `entries`: the filer's current entries touching the year (EntryStore.list), `year`: the statistical year */
  constructor(readonly entries: Entry[], readonly year: number) {}

  /** The share of an entry's period inside the year (1 for point-in-time kinds, counted elsewhere). */
  share(e: Entry): number {
    if (e.to === null) return 1;
    const from = dayMs(e.from), to = dayMs(e.to);
    const y0 = Date.UTC(this.year, 0, 1), y1 = Date.UTC(this.year + 1, 0, 1);
    const inside = Math.max(0, Math.min(to, y1) - Math.max(from, y0));
    return inside / DAY / ((to - from) / DAY);
  }

  private matching(f: Omit<EntryFilter, 'field'>): Entry[] {
    return this.entries.filter((e) => e.kind === f.kind && (f.use === undefined || e.use === f.use)
      && (f.item === undefined || e.item === f.item) && (f.medium === undefined || e.medium === f.medium));
  }

  /**
   * The figure of a filter: Σ over the year of a period kind (share of each period inside the year), or for a
   * point-in-time kind the value in force at the year's end — per use the latest entry dated before 1 January of
   * the next year, added over the uses the filter leaves open.
   */
  figure(f: EntryFilter): EntryFigure {
    const pick = (e: Entry) => (f.field === 'quantity' ? e.quantity : e.amount_cny);
    const found = this.matching(f);
    if (found.length > 0 && found[0].to === null) {
      const end = `${this.year + 1}-01-01`;
      const latest = new Map<string, Entry>();
      for (const e of found) {
        if (e.from >= end) continue;
        const key = e.use ?? '';
        const prev = latest.get(key);
        if (!prev || e.from > prev.from || (e.from === prev.from && e.id > prev.id)) latest.set(key, e);
      }
      const chosen = [...latest.values()].filter((e) => pick(e) !== null);
      return chosen.length === 0 ? { value: null, entries: [] } : { value: round(chosen.reduce((a, e) => a + (pick(e) as number), 0), 4), entries: chosen.map((e) => e.id) };
    }
    let sum = 0;
    const ids: number[] = [];
    for (const e of found) {
      const v = pick(e), s = this.share(e);
      if (v === null || s === 0) continue;
      sum += v * s;
      ids.push(e.id);
    }
    return ids.length === 0 ? { value: null, entries: [] } : { value: round(sum, 4), entries: ids };
  }

  /** Bills of a medium inside the year: each with the share of its period inside the year. */
  bills(medium: Medium): { entry: Entry; share: number }[] {
    return this.matching({ kind: 'bill', medium }).map((entry) => ({ entry, share: this.share(entry) })).filter((b) => b.share > 0);
  }

  /**
   * Standard coal (kgce) of the entered fuels, by GB/T 2589-2020 (config/reference/standard-coal.yaml, the edition
   * in force on 1 January): gasoline and diesel litres × density × kgce/kg, LPG kg × kgce/kg, coal t × 1000 × raw
   * coal kgce/kg, purchased heat MJ × (heat kgce/kWh ÷ 3.6), other energy tce × 1000. Missing coefficients are named.
   */
  fuelsKgce(coal: StandardCoalFile): { kgce: number; entries: number[]; missing: string[] } {
    const date = `${this.year}-01-01`;
    const edition = [...coal.editions].sort((a, b) => a.effective_from.localeCompare(b.effective_from)).filter((e) => e.effective_from <= date).at(-1) ?? coal.editions[0];
    const perKg = edition.fuels_kgce_per_kg ?? {}, density = edition.density_kg_per_l ?? {};
    const heatPerKwh = edition.media.heat?.kgce_per_unit;
    const lines: [EntryFilter, number | undefined, string][] = [
      [{ kind: 'gasoline', field: 'quantity' }, perKg.gasoline !== undefined && density.gasoline !== undefined ? perKg.gasoline * density.gasoline : undefined, 'gasoline (kgce/kg and kg/L)'],
      [{ kind: 'diesel', field: 'quantity' }, perKg.diesel !== undefined && density.diesel !== undefined ? perKg.diesel * density.diesel : undefined, 'diesel (kgce/kg and kg/L)'],
      [{ kind: 'lpg', field: 'quantity' }, perKg.lpg, 'lpg'],
      [{ kind: 'coal', field: 'quantity' }, perKg.raw_coal === undefined ? undefined : perKg.raw_coal * 1000, 'raw_coal'],
      [{ kind: 'heat', use: 'by_heat', field: 'quantity' }, heatPerKwh === undefined ? undefined : heatPerKwh / 3.6, 'heat'],
      [{ kind: 'other_energy', field: 'quantity' }, 1000, ''],
    ];
    let kgce = 0;
    const entries: number[] = [], missing: string[] = [];
    for (const [filter, k, name] of lines) {
      const f = this.figure(filter);
      if (f.value === null) continue;
      if (k === undefined) { missing.push(name); continue; }
      kgce += f.value * k;
      entries.push(...f.entries);
    }
    return { kgce: round(kgce, 4), entries, missing };
  }
}
