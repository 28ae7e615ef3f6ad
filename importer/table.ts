/**
 * The rows of an import file, CSV (RFC 4180: comma-separated, double quotes around a field holding a comma, a quote
 * or a line break, UTF-8 with or without a byte-order mark) or XLSX (the first worksheet, read with exceljs), as
 * text cells under the header's column names. Row numbers are the file's: the header is row 1.
 */
import ExcelJS from 'exceljs';

/** One data row: its number in the file and its cells by lower-case column name. */
export interface TableRow {
  row: number;
  cells: Record<string, string>;
}

/** A file that cannot be read as a table at all (not a per-row problem). */
export class ImportFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportFileError';
  }
}

/** The two formats, told apart by the file's first bytes (XLSX is a ZIP archive: `PK\x03\x04`). */
export function fileFormat(bytes: Uint8Array): 'xlsx' | 'csv' {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04 ? 'xlsx' : 'csv';
}

/**
 * Read CSV or XLSX bytes into rows; blank rows and rows whose first cell starts with `#` are skipped. Header names
 * are lower-cased and, through `aliases`, mapped to the names the caller reads (Chinese headings, say).
 */
export async function readTable(bytes: Uint8Array, aliases: Readonly<Record<string, string>> = {}): Promise<{ columns: string[]; rows: TableRow[] }> {
  const lines = fileFormat(bytes) === 'xlsx' ? await xlsxRows(bytes) : csvRows(csvText(bytes));
  const data = lines.filter(([, cells]) => cells.some((c) => c.trim() !== '') && !cells[0]?.trim().startsWith('#'));
  if (data.length === 0) throw new ImportFileError('the file holds no header row');
  const [, header] = data[0];
  const columns = header.map((h) => { const name = h.trim().toLowerCase(); return aliases[name] ?? name; });
  const rows = data.slice(1).map(([row, cells]) => {
    const out: Record<string, string> = {};
    columns.forEach((name, i) => { if (name) out[name] = (cells[i] ?? '').trim(); });
    return { row, cells: out };
  });
  return { columns, rows };
}

/**
 * The text of a CSV file: UTF-8 (with or without a byte-order mark), else GB 18030 — what a spreadsheet program on
 * a Chinese-language system saves as "CSV" (a superset of GBK and GB 2312).
 */
export function csvText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}

/** CSV text → [line number, fields] per record (a quoted field may span lines; the record keeps its first line). */
export function csvRows(text: string): [number, string[]][] {
  const out: [number, string[]][] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let fields: string[] = [];
  let field = '';
  let recordLine = 1;
  let quoted = false;
  const endRecord = () => {
    fields.push(field);
    out.push([recordLine, fields]);
    fields = [];
    field = '';
  };
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') { fields.push(field); field = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      recordLine = ++line;
    } else field += ch;
  }
  if (quoted) throw new ImportFileError(`line ${recordLine}: a quoted field is not closed`);
  if (field !== '' || fields.length > 0) endRecord();
  return out;
}

/** The first worksheet of an XLSX file → [row number, cell texts]; dates become ISO text in UTC, numbers their text. */
async function xlsxRows(bytes: Uint8Array): Promise<[number, string[]][]> {
  const book = new ExcelJS.Workbook();
  try {
    await book.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  } catch (err) {
    throw new ImportFileError(`not a readable XLSX workbook (${String((err as Error).message).split('\n')[0]})`);
  }
  const sheet = book.worksheets[0];
  if (!sheet) throw new ImportFileError('the workbook has no worksheet');
  const out: [number, string[]][] = [];
  sheet.eachRow({ includeEmpty: false }, (row, number) => {
    const cells: string[] = [];
    row.eachCell({ includeEmpty: true }, (cell, col) => { cells[col - 1] = cellText(cell.value); });
    for (let i = 0; i < cells.length; i++) cells[i] ??= '';
    out.push([number, cells]);
  });
  return out;
}

/** A cell's value as text: a date cell (Excel keeps no zone) is its wall-clock time without offset. */
function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 19).replace(/T00:00:00$/, '');
  if (typeof v === 'object') {
    if ('result' in v) return cellText(v.result as ExcelJS.CellValue);
    if ('richText' in v) return v.richText.map((t) => t.text).join('');
    if ('text' in v) return String(v.text);
    return '';
  }
  return String(v);
}
