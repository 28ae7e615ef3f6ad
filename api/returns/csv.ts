/**
 * The filled returns as CSV (RFC 4180) for systems that take CSV: one line per form row, then the summary
 * indicators, with the same numbers as the XLSX and each value's provenance. UTF-8 without a byte-order mark.
 */
import type { AnnualReturn, FilledCell, Indicator } from './fill.ts';

/** The CSV header line's fields. */
export const CSV_COLUMNS = ['form', 'code', 'name', 'unit', 'quantity', 'amount_cny', 'provenance', 'estimated_share', 'coverage'] as const;

/**
 * One CSV field: quoted when it holds a comma, quote or line break (RFC 4180 §2.6, §2.7). Text that a spreadsheet
 * would take for a formula (starting with = + - @, a tab or a carriage return) gets a leading apostrophe, as OWASP's
 * CSV-injection advice says; numbers are written as they are.
 */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A cell's provenance for machines: the main one, `+estimated` / `+manual` / `+imported` for the parts, and the entries (#12). */
function provenanceText(cell: FilledCell | undefined): string | undefined {
  if (!cell) return undefined;
  const parts: string[] = [cell.provenance];
  if (cell.provenance === 'measured' && (cell.estimated_share ?? 0) > 0) parts.push('estimated');
  if (cell.provenance !== 'manual' && (cell.manual_quantity ?? 0) > 0) parts.push('manual');
  if (cell.imported) parts.push('imported');
  return parts.join('+') + (cell.entries && cell.entries.length > 0 ? ` #${cell.entries.join(' #')}` : '');
}

/** The whole return as CSV text, lines ended by CRLF (RFC 4180 §2.1). */
export function returnCsv(ret: AnnualReturn): string {
  const lines: string[] = [CSV_COLUMNS.join(',')];
  for (const form of ret.forms) {
    for (const r of form.rows) {
      const cell = r.value ?? r.amount;
      lines.push([form.subject ? form.sheet : form.id, r.code ?? '', r.name.trim(), r.unit ?? '', r.value?.value, r.amount?.value, provenanceText(cell), cell?.estimated_share, cell?.coverage].map(csvField).join(','));
    }
  }
  const { current, yoy_change_pct } = ret.summary;
  const summary: [Indicator, string, number | null][] = [
    ['energy_kgce_equivalent', 'kgce', current.energy_kgce_equivalent],
    ['energy_kgce_equal', 'kgce', current.energy_kgce_equal],
    ['energy_kgce_per_m2', 'kgce/m²', current.energy_kgce_per_m2],
    ['energy_kgce_per_person', 'kgce/person', current.energy_kgce_per_person],
    ['water_m3_per_person', 'm³/person', current.water_m3_per_person],
  ];
  for (const [key, unit, value] of summary) {
    lines.push(['SUMMARY', '', key, unit, value, null, 'derived', null, null].map(csvField).join(','));
    lines.push(['SUMMARY', '', `${key}_yoy_change`, '%', yoy_change_pct[key], null, 'derived', null, null].map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
