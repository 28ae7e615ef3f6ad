/**
 * The `imported` mark of the returns (issue 15): readings of one meter imported for part of 2025 (the history import,
 * importer/run.ts, writes `import_log`), then the year's return: the electricity values that meter's energy is in
 * say so (`+imported` in the CSV, 含导入 in the XLSX), the others do not, and the data-quality sheet lists the file
 * (hash, who, when, span).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSite } from '../../core/site/load.ts';
import { zonedTime } from '../../core/time.ts';
import { dailyReadingsCsv } from '../../importer/testing.ts';
import { importReadings } from '../../importer/run.ts';
import { openStorage } from '../../storage/index.ts';
import type { Storage } from '../../storage/port.ts';
import { loadReferenceData } from '../reference.ts';
import { returnCsv } from './csv.ts';
import { fillAnnualReturn, type AnnualReturn } from './fill.ts';
import { layoutForYear } from './layout.ts';
import { IMPORT_QUALITY_COLUMNS, IMPORTS_TITLE, QUALITY_SHEET, returnXlsx } from './workbook.ts';

const site = loadSite(join(import.meta.dirname, '..', '..', 'config', 'demo-site.yaml'));
const IMPORTED_AT = zonedTime('Asia/Shanghai', 2026, 1, 10, 9);

describe('values from a history import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-imported-'));
  // 1 March – 31 May 2025: 92 daily readings' differences of the jiwei building's main meter
  const file = dailyReadingsCsv({ meter: 'jiwei-main', weather: 'zhongshan-e290-weather', from: [2025, 3, 1], days: 92 });
  const bytes = Buffer.from(file.csv);
  let storage: Storage;
  let ret: AnnualReturn;
  beforeAll(async () => {
    storage = await openStorage({ kind: 'embedded', path: join(dir, 'store.sqlite') }, { timezone: 'Asia/Shanghai' });
    const report = await importReadings({ site, storage, bytes, by: 'statistics clerk (k7)', now: () => IMPORTED_AT });
    expect(report.stored).toBe(true);
    ret = await fillAnnualReturn({ year: 2025, site, storage, layout: layoutForYear(2025), coal: loadReferenceData().coal });
  }, 60_000);
  afterAll(async () => { await storage?.close(); rmSync(dir, { recursive: true, force: true }); });

  const ny201 = (code: string) => ret.forms.find((f) => f.id === 'NY201')!.rows.find((r) => r.code === code)!;

  it('marks the electricity the imported meter is in, and nothing else', () => {
    const electricity = ny201('110').value!;
    expect(electricity.value).toBeCloseTo(file.dailyKwh.reduce((a, k) => a + k, 0), 2);
    expect(electricity).toMatchObject({ provenance: 'measured', imported: true });
    expect(ny201('120').value!.imported).toBeUndefined(); // water: no import
    const csv = returnCsv(ret).split('\r\n');
    expect(csv.find((l) => l.startsWith('NY201,110,'))).toContain(',measured+imported,');
    expect(csv.find((l) => l.startsWith('NY201,120,'))).not.toContain('imported');
  });

  it('lists the import on the data-quality sheet: device, span, readings, file hash, who and when', async () => {
    expect(ret.imports.map((i) => [i.device, i.kind])).toEqual([['jiwei-main', 'counter'], ['zhongshan-e290-weather', 'telemetry']]);
    const wb = new ExcelJS.Workbook();
    const xlsx = await returnXlsx(ret);
    await wb.xlsx.load(xlsx.buffer.slice(xlsx.byteOffset, xlsx.byteOffset + xlsx.byteLength) as ArrayBuffer);
    const ny = wb.getWorksheet('NY201')!;
    let label: unknown;
    ny.eachRow((row) => { const v = row.values as unknown[]; if (v[3] === '110') label = v[6]; });
    expect(label).toBe('计量（含导入）');
    const rows: unknown[][] = [];
    let inImports = false;
    wb.getWorksheet(QUALITY_SHEET)!.eachRow((row) => {
      const v = (row.values as unknown[]).slice(1);
      if (v[0] === IMPORTS_TITLE) { inImports = true; return; }
      if (inImports) rows.push(v);
    });
    expect(rows[0]).toEqual([...IMPORT_QUALITY_COLUMNS]);
    expect(rows[1]).toEqual([
      'jiwei-main', 'jiwei', 'counter', new Date(zonedTime('Asia/Shanghai', 2025, 3, 1)).toISOString(),
      new Date(zonedTime('Asia/Shanghai', 2025, 6, 1)).toISOString(), 93, createHash('sha256').update(bytes).digest('hex'),
      'statistics clerk (k7)', new Date(IMPORTED_AT).toISOString(),
    ]);
  });
});
