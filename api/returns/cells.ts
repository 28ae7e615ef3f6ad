/**
 * One form's cells filled from their layout sources, each with its provenance: measured (the meters, with the part
 * estimated over gaps), estimated (wholly), manual (entries, with their ids), site_model, or derived (a sum of
 * other rows). A cell with no figure is empty (null), never a zero.
 */
import type { MachineRoom } from '../../core/site/schema.ts';
import { round } from '../format.ts';
import type { YearEntries } from './entry-sums.ts';
import type { Filer } from './filer.ts';
import type { LayoutRow, ValueSource } from './layout.ts';
import type { MediumYear, YearFigures } from './year-figures.ts';

/** Where a value came from; `imported` is a flag beside it (a part of the meters' energy came from a file). */
export type ValueProvenance = 'measured' | 'estimated' | 'manual' | 'site_model' | 'derived';

/** One filled cell with its provenance. */
export interface FilledCell {
  value: number | string | null;
  provenance: ValueProvenance;
  /** measured cells: the part of the value in estimated intervals (form unit), its share, and the coverage */
  estimated_quantity?: number;
  estimated_share?: number | null;
  /** the part entered by hand (bills, purchased heat) in the form's unit */
  manual_quantity?: number;
  coverage?: number;
  complete?: boolean;
  /** the manual entries behind the value */
  entries?: number[];
  /** some of the meters' energy behind the value came from a history import (the 数据质量 sheet lists the files) */
  imported?: boolean;
}

/** A layout row with its filled 数量 and 金额. */
export interface FilledRow extends Omit<LayoutRow, 'value' | 'amount'> {
  value?: FilledCell;
  amount?: FilledCell;
}

/** What a form instance's cells read besides the year's figures. */
export interface CellContext {
  filer: Filer;
  year: YearFigures;
  entries: YearEntries;
  /** NY202: the room of this sheet and its parts' electricity */
  room?: MachineRoom;
  roomParts?: Partial<Record<'it' | 'cooling' | 'distribution', MediumYear>>;
  /** NY203: the year's quantity of the heating meters per medium */
  heatingMeters?: Partial<Record<string, MediumYear>>;
}

/** A measured quantity in the form's unit (× factor) plus entries in that unit, with shares and coverage. */
export function measuredCell(m: MediumYear | null | undefined, factor: number, added?: { value: number | null; entries: number[] }): FilledCell {
  const extra = added?.value ?? 0;
  const extraIds = added?.entries ?? [];
  if (!m || m.quantity === null) {
    if (added && added.value !== null) return { value: round(extra, 4), provenance: 'manual', manual_quantity: round(extra, 4), entries: extraIds };
    return { value: null, provenance: 'measured', coverage: m?.coverage ?? 0, complete: false };
  }
  const value = m.quantity * factor + extra;
  const manual = m.manual_quantity * factor + extra;
  const estimated = m.estimated_quantity * factor;
  const entries = [...m.entries, ...extraIds];
  const cell: FilledCell = {
    value: round(value, 4), provenance: value > 0 && manual >= value ? 'manual' : value > 0 && estimated >= value ? 'estimated' : 'measured',
    estimated_quantity: round(estimated, 4), estimated_share: value > 0 ? round(estimated / value, 6) : null,
    coverage: m.coverage, complete: m.complete,
  };
  if (manual > 0 || entries.length > 0) { cell.manual_quantity = round(manual, 4); cell.entries = entries; }
  if (m.imported) cell.imported = true;
  return cell;
}

/** Fill one cell from its source; `sum` cells are left for sumCells. */
export function fillCell(source: ValueSource, c: CellContext): FilledCell {
  const { year, filer, entries } = c;
  switch (source.from) {
    case 'medium': return measuredCell(year.by_medium[source.medium], source.factor ?? 1, source.add && entries.figure({ ...source.add, field: 'quantity' }));
    case 'pv_generation_kwh': {
      const pv = year.pv_generation;
      // no PV system in the site model: a unit with unmetered panels enters the figure by hand
      if (!pv) return { value: null, provenance: 'manual' };
      return measuredCell(pv, 1);
    }
    case 'floor_area_m2': return { value: year.floor_area_m2, ...provenanceOf(year.floor_area_source) };
    case 'headcount': return { value: year.headcount, ...provenanceOf(year.headcount_source) };
    case 'site': {
      const v = source.field === 'address' ? filer.address : source.field === 'name' ? filer.name : filer.unified_social_credit_code;
      return { value: v, provenance: 'site_model' };
    }
    case 'entry': {
      const f = entries.figure(source);
      return { value: f.value, provenance: 'manual', ...(f.entries.length > 0 ? { entries: f.entries } : {}) };
    }
    case 'room': return { value: c.room?.[source.field] ?? null, provenance: 'site_model' };
    case 'room_meters': return measuredCell(c.roomParts?.[source.part], 1);
    case 'heating': {
      const values = filer.heating.map((b) => b.heating?.[source.field]).filter((v): v is number => v !== undefined);
      // areas add up over the heating buildings; the season is the longest of theirs
      const value = values.length === 0 ? null : source.field === 'season_days' ? Math.max(...values) : values.reduce((a, v) => a + v, 0);
      return { value, provenance: 'site_model' };
    }
    case 'heating_meters': return measuredCell(c.heatingMeters?.[source.medium], source.factor ?? 1, source.add && entries.figure({ ...source.add, field: 'quantity' }));
    case 'sum': return { value: null, provenance: 'derived' };
    case 'manual': return { value: null, provenance: 'manual' };
  }
}

function provenanceOf(s: { provenance: 'site_model' | 'manual'; entries: number[] }): Pick<FilledCell, 'provenance' | 'entries'> {
  return s.provenance === 'manual' ? { provenance: 'manual', entries: s.entries } : { provenance: 'site_model' };
}

/** Fill a form's rows: sources first, then the sums over the codes of the same form (empty when every part is). */
export function fillRows(rows: LayoutRow[], c: CellContext): FilledRow[] {
  const filled = rows.map((r) => {
    const { value, amount, ...rest } = r;
    const row: FilledRow = { ...rest };
    if (value) row.value = fillCell(value, c);
    if (amount) row.amount = fillCell(amount, c);
    return row;
  });
  const byCode = new Map(filled.filter((r) => r.code).map((r) => [r.code as string, r]));
  rows.forEach((r, i) => {
    for (const key of ['value', 'amount'] as const) {
      const src = r[key];
      if (src?.from !== 'sum') continue;
      const parts = src.codes.map((code) => byCode.get(code)?.[key]).filter((p): p is FilledCell => typeof p?.value === 'number');
      const entries = parts.flatMap((p) => p.entries ?? []);
      filled[i][key] = parts.length === 0
        ? { value: null, provenance: 'derived' }
        : {
          value: round(parts.reduce((a, p) => a + (p.value as number), 0), 4), provenance: parts.every((p) => p.provenance === 'manual') ? 'manual' : 'derived',
          ...(entries.length > 0 ? { entries } : {}), ...(parts.some((p) => p.imported) ? { imported: true } : {}),
        };
    }
  });
  return filled;
}
