/** `jieneng export annual`: the file it writes, read back (XLSX with exceljs, CSV as text), and its usage errors. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryStorage } from '../testing/memory-storage.ts';
import { exportCli } from './cli.ts';
import { returnsRows, returnsSite } from './testing.ts';

describe('jieneng export annual', () => {
  const dir = mkdtempSync(join(tmpdir(), 'export-cli-'));
  const siteFile = join(dir, 'site.yaml');
  writeFileSync(siteFile, stringify(returnsSite()));
  const store = async () => { const s = memoryStorage(); await s.write(returnsRows()); return s; };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the XLSX of the year, and CSV when --out ends in .csv', async () => {
    const out = join(dir, 'return-2025.xlsx');
    expect(await exportCli(['annual', '--year', '2025', '--site', siteFile, '--out', out], store)).toBe(0);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out);
    const ny201 = wb.getWorksheet('NY201') as ExcelJS.Worksheet;
    let electricity: ExcelJS.CellValue[] | undefined;
    ny201.eachRow((row) => { const v = (row.values as ExcelJS.CellValue[]).slice(1); if (v[2] === '110') electricity = v; });
    expect(electricity?.slice(0, 4)).toEqual(['电', '千瓦时', '110', 54750]);

    const csv = join(dir, 'return-2025.csv');
    expect(await exportCli(['annual', '--year', '2025', '--site', siteFile, '--out', csv], store)).toBe(0);
    expect(readFileSync(csv, 'utf8')).toContain('NY201,140,天然气,立方米,3650,,measured,0,1\r\n');
  });

  it('writes the monthly report and refuses an unknown org unit or month', async () => {
    const out = join(dir, 'monthly.xlsx');
    expect(await exportCli(['monthly', '--month', '2025-03', '--site', siteFile, '--out', out], store)).toBe(0);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['月报', '分类分项']);
    expect(await exportCli(['annual', '--year', '2025', '--org-unit', 'nope', '--site', siteFile], store)).toBe(2);
    expect(await exportCli(['monthly', '--month', '2025-13', '--site', siteFile], store)).toBe(2);
  });

  it('answers a usage error in one line for a missing or malformed year', async () => {
    expect(await exportCli(['annual', '--site', siteFile], store)).toBe(2);
    expect(await exportCli(['annual', '--year', '25', '--site', siteFile], store)).toBe(2);
    expect(await exportCli(['nothing'], store)).toBe(2);
  });
});
