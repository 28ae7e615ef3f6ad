/**
 * The file reader and the row checks on hostile input: whatever the bytes, the import either reads a table and
 * refuses rows by number, or says in one line why the file is no table (ImportFileError) — never another error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadSite } from '../core/site/load.ts';
import { checkRows } from './rows.ts';
import { csvRows, ImportFileError, readTable } from './table.ts';

const site = loadSite('config/demo-site.yaml');

describe('import file reader', () => {
  it('reads RFC 4180 quoting: commas, quotes and line breaks inside quotes, CRLF, a byte-order mark', () => {
    expect(csvRows('\ufefftime,device\r\n"2025-01-01","a,b"\r\n"say ""hi""","two\nlines"\nlast,')).toEqual([
      [1, ['time', 'device']], [2, ['2025-01-01', 'a,b']], [3, ['say "hi"', 'two\nlines']], [5, ['last', '']],
    ]);
    expect(() => csvRows('a,"open\n')).toThrow(/line 1: a quoted field is not closed/);
  });

  it('never fails on hostile bytes other than with a one-line ImportFileError', async () => {
    const cell = fc.oneof(fc.string(), fc.constantFrom('jiwei-main', 'energy_import_kwh', 'temp_c', '2025-01-01', '1e308', 'NaN', '-0', '"', '\r\n', '#'));
    await fc.assert(fc.asyncProperty(
      fc.array(fc.array(cell, { maxLength: 6 }), { maxLength: 12 }), fc.boolean(),
      async (table, header) => {
        const text = (header ? 'time,device,point,value,end\n' : '') + table.map((r) => r.join(',')).join('\n');
        try {
          const { rows } = await readTable(Buffer.from(text));
          const checked = checkRows(site, rows);
          for (const p of checked.problems) expect(rows.some((r) => r.row === p.row)).toBe(true);
          for (const r of checked.readings) expect(Number.isFinite(r.value) && Number.isFinite(r.ts)).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(ImportFileError);
          expect((err as Error).message).not.toContain('\n');
        }
      },
    ), { numRuns: 300 });
  });

  it('says why a file is no table: no header, an unreadable workbook', async () => {
    await expect(readTable(Buffer.from('\n# only a comment\n'))).rejects.toThrow('the file holds no header row');
    await expect(readTable(Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]))).rejects.toThrow(/not a readable XLSX workbook/);
  });
});
