/**
 * The manual entries' template (CSV or XLSX) and the reading of a filled one: row 1 names the fields, a row whose
 * first cell starts with `#` is a comment (the template's help line), every other non-empty row is one entry.
 * Problems name the file's row number and field; a file with any problem stores nothing (all or nothing).
 */
import ExcelJS from 'exceljs';
import { checkZipSize, UPLOAD_UNPACKED_MAX_BYTES } from '../../core/zip-size.ts';
import { checkEntry, ENTRY_KINDS, KIND_NAMES, type EntryContext, type EntryDraft } from './entries.ts';
import { csvField } from './csv.ts';

/** The template's columns: the entry fields, in order. */
export const ENTRY_COLUMNS = ['kind', 'org_unit', 'from', 'to', 'use', 'item', 'medium', 'meter', 'mode', 'quantity', 'unit', 'amount_cny', 'document', 'note', 'supersedes', 'withdrawn'] as const;

/** The Chinese help line under the header. */
const HELP = ['# 类型', '所属单位（空=本机关）', '起始日 YYYY-MM-DD（人数/面积/车辆：生效日）', '截止日（不含，次日）', '用途', '机关运行成本项目代码', '介质（账单）', '计量表（账单覆盖）', 'override 覆盖 / supplement 补充', '数量', '单位', '金额（元）', '凭证（账单号、发票号）', '备注', '更正的记录号', '撤销（true）'];

/** The sheet of entries in the XLSX template, and its help sheet. */
export const ENTRY_SHEET = '手工填报';
const HELP_SHEET = '说明';

/** A problem of one row: its row number in the file (1 = the header), field and what is wrong. */
export interface RowProblem { row: number; field: string; message: string }

/** The template as CSV text (UTF-8 with a byte-order mark, so that Excel opens the Chinese help right). */
export function templateCsv(): string {
  const line = (cells: readonly string[]) => cells.map(csvField).join(',');
  return `\uFEFF${[line(ENTRY_COLUMNS), line(HELP)].join('\r\n')}\r\n`;
}

/** The template as XLSX: the entries sheet (header and help line, text-formatted date columns) and the kinds table. */
export async function templateXlsx(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'jieneng';
  const ws = wb.addWorksheet(ENTRY_SHEET);
  ws.addRow([...ENTRY_COLUMNS]).font = { bold: true };
  ws.addRow(HELP).font = { italic: true, color: { argb: 'FF808080' } };
  ENTRY_COLUMNS.forEach((c, i) => {
    const col = ws.getColumn(i + 1);
    col.width = 14;
    // dates and codes as text: Excel would turn 2025-01-01 into a date serial and 30209 into a number
    if (['from', 'to', 'item', 'org_unit', 'meter'].includes(c)) col.numFmt = '@';
  });
  const help = wb.addWorksheet(HELP_SHEET);
  help.addRow(['kind', '名称', 'use（用途）', '数量单位', '时间']).font = { bold: true };
  for (const kind of KIND_NAMES) {
    const rule = ENTRY_KINDS[kind] as { label: string; unit?: Record<string, string>; uses?: readonly string[]; point?: boolean; bill?: boolean };
    const units = rule.bill ? 'kWh（电、热、冷）/ m3（水、气）' : rule.unit ? Object.entries(rule.unit).map(([u, unit]) => (u ? `${u}: ${unit}` : unit)).join('; ') : '（仅金额）';
    help.addRow([kind, rule.label, rule.uses?.join(' / ') ?? '', units, rule.point ? '生效日 from' : '周期 [from, to)']);
  }
  help.getColumn(2).width = 24;
  help.getColumn(4).width = 34;
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** RFC 4180 fields of CSV text (quoted fields may hold commas, quotes and line breaks); each record with its line number. */
export function parseCsv(text: string): { line: number; cells: string[] }[] {
  const out: { line: number; cells: string[] }[] = [];
  let cells: string[] = [], cell = '', quoted = false, line = 1, start = 1, i = 0;
  const s = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const endRecord = () => { cells.push(cell); out.push({ line: start, cells }); cells = []; cell = ''; };
  while (i < s.length) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') { cell += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      if (c === '\n') line++;
      cell += c; i++; continue;
    }
    if (c === '"' && cell === '') { quoted = true; i++; continue; }
    if (c === ',') { cells.push(cell); cell = ''; i++; continue; }
    if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && s[i + 1] === '\n' ? 2 : 1;
      line++; start = line;
      continue;
    }
    cell += c; i++;
  }
  if (cell !== '' || cells.length > 0) endRecord();
  return out;
}

/** A cell of exceljs as the text or number a user meant (dates as YYYY-MM-DD, formulas by their result). */
function cellValue(v: ExcelJS.CellValue): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    if ('result' in v) return cellValue(v.result as ExcelJS.CellValue);
    if ('richText' in v) return v.richText.map((t) => t.text).join('');
    if ('text' in v) return String(v.text);
    return null;
  }
  return v;
}

/** The records of an XLSX upload's entries sheet (or its first sheet), each with its row number. */
async function xlsxRecords(bytes: Buffer): Promise<{ line: number; cells: (string | number | boolean | null)[] }[]> {
  checkZipSize(bytes, UPLOAD_UNPACKED_MAX_BYTES); // before exceljs unpacks it: a small file may unpack to gigabytes
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  const ws = wb.getWorksheet(ENTRY_SHEET) ?? wb.worksheets[0];
  if (!ws) return [];
  const out: { line: number; cells: (string | number | boolean | null)[] }[] = [];
  ws.eachRow({ includeEmpty: false }, (row, n) => {
    const values = row.values as ExcelJS.CellValue[];
    const cells: (string | number | boolean | null)[] = [];
    for (let c = 1; c < Math.max(values.length, 2); c++) cells.push(cellValue(values[c]));
    out.push({ line: n, cells });
  });
  return out;
}

/**
 * Read a filled template (CSV text or XLSX bytes): every entry, or every problem with its row number. The header
 * must name known fields (any order, `kind` and `from` among them); blank rows and `#` rows are skipped.
 */
export async function readEntryFile(body: Buffer, format: 'csv' | 'xlsx', ctx: EntryContext): Promise<{ drafts: { row: number; draft: EntryDraft }[]; problems: RowProblem[] }> {
  let records: { line: number; cells: (string | number | boolean | null)[] }[];
  try {
    records = format === 'csv' ? parseCsv(body.toString('utf8')) : await xlsxRecords(body);
  } catch (err) {
    return { drafts: [], problems: [{ row: 0, field: 'file', message: `not a readable ${format.toUpperCase()} file: ${(err as Error).message}` }] };
  }
  const problems: RowProblem[] = [];
  const header = records.shift();
  if (!header) return { drafts: [], problems: [{ row: 1, field: 'file', message: 'the file is empty: row 1 names the fields (download the template)' }] };
  const names = header.cells.map((c) => String(c ?? '').trim());
  names.forEach((n, i) => {
    if (n !== '' && !(ENTRY_COLUMNS as readonly string[]).includes(n)) problems.push({ row: header.line, field: n, message: `column ${i + 1}: unknown field '${n}' (the fields: ${ENTRY_COLUMNS.join(', ')})` });
    if (n !== '' && names.indexOf(n) !== i) problems.push({ row: header.line, field: n, message: `column ${i + 1}: '${n}' appears twice` });
  });
  for (const need of ['kind', 'from']) if (!names.includes(need)) problems.push({ row: header.line, field: need, message: `no '${need}' column` });
  if (problems.length > 0) return { drafts: [], problems };
  const drafts: { row: number; draft: EntryDraft }[] = [];
  for (const r of records) {
    const first = String(r.cells[0] ?? '').trim();
    if (first.startsWith('#') || r.cells.every((c) => c === null || String(c).trim() === '')) continue;
    const input: Record<string, unknown> = {};
    names.forEach((n, i) => { if (n !== '' && r.cells[i] !== null && r.cells[i] !== undefined) input[n] = r.cells[i]; });
    // a date typed into a cell Excel formats as text is kept as its serial day number (1900 date system)
    for (const n of ['from', 'to']) {
      const v = input[n];
      if (format === 'xlsx' && typeof v === 'number' && Number.isInteger(v) && v > 25_569 && v < 80_000) input[n] = new Date((v - 25_569) * 86_400_000).toISOString().slice(0, 10);
    }
    const checked = checkEntry(input, ctx);
    if ('problems' in checked) for (const p of checked.problems) problems.push({ row: r.line, ...p });
    else drafts.push({ row: r.line, draft: checked.draft });
  }
  if (drafts.length === 0 && problems.length === 0) problems.push({ row: header.line, field: 'file', message: 'no entries below the header' });
  return { drafts, problems };
}
