/**
 * `GET /api/v1/exports/annual` (issue 15) on each storage adapter: the XLSX read back with exceljs cell by cell
 * against the figures of the intensity and comprehensive-energy APIs for the same year, CSV by `format=csv` and by
 * `Accept: text/csv`, and the `statistics` role required.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../server.ts';
import { openFilled, storageBackends } from '../testing/backends.ts';
import { testKeys } from '../testing/fixture.ts';
import { returnsRows, returnsSite } from './testing.ts';
import { FORM_COLUMNS, HEADING_ROW, QUALITY_COLUMNS, QUALITY_SHEET, SUMMARY_SHEET } from './workbook.ts';
import { CSV_COLUMNS } from './csv.ts';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test reads of JSON checked elsewhere against the schema

for (const backend of storageBackends()) describe(`GET /api/v1/exports/annual on ${backend.name}`, () => {
  const keys = testKeys();
  let base = '';
  let stop: () => Promise<void> = async () => {};
  let cleanup: () => Promise<void> = async () => {};
  beforeAll(async () => {
    const { storage, cleanup: close } = await openFilled(backend, returnsRows());
    cleanup = close;
    const api = await startApi({ site: returnsSite(), storage, port: 0, security: keys.security, now: () => Date.parse('2026-02-01T00:00:00Z') });
    base = `http://127.0.0.1:${api.port}/api/v1`;
    stop = api.stop;
  }, 60_000);
  afterAll(async () => { await stop(); await cleanup(); keys.security.close(); });

  const get = (path: string, role: 'viewer' | 'statistics' = 'statistics', headers: Record<string, string> = {}) =>
    fetch(base + path, { headers: { ...keys.headers(role), ...headers } });

  /** The rows of a form sheet below its headings, by code. */
  function formRows(ws: ExcelJS.Worksheet): Map<string, ExcelJS.CellValue[]> {
    const out = new Map<string, ExcelJS.CellValue[]>();
    ws.eachRow((row, n) => {
      const values = (row.values as ExcelJS.CellValue[]).slice(1);
      if (n > HEADING_ROW && typeof values[2] === 'string' && values[2] !== '') out.set(values[2], values);
    });
    return out;
  }

  it('answers an XLSX laid out like the paper forms whose cells equal the API figures', async () => {
    const res = await get('/exports/annual?year=2025&format=xlsx');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    expect(wb.worksheets.map((w) => w.name)).toEqual([SUMMARY_SHEET, 'NY101', 'NY201', '机关运行成本', QUALITY_SHEET]);

    const ny201 = wb.getWorksheet('NY201') as ExcelJS.Worksheet;
    expect(ny201.getCell('A1').value).toBe('公共机构能源资源消费状况');
    expect([ny201.getCell('A2').value, ny201.getCell('B2').value, ny201.getCell('C2').value, ny201.getCell('D2').value, ny201.getCell('E2').value, ny201.getCell('F2').value])
      .toEqual(['表号', 'NY201', '制表机关', '国家机关事务管理局', '批准机关', '国家统计局']);
    expect([ny201.getCell('A3').value, ny201.getCell('B3').value, ny201.getCell('C3').value, ny201.getCell('D3').value, ny201.getCell('E3').value, ny201.getCell('F3').value])
      .toEqual(['填表单位', '测试机关', '统一社会信用代码', '12310000MB0000000L', '统计时间', '2025年']);
    expect((ny201.getRow(HEADING_ROW).values as ExcelJS.CellValue[]).slice(1)).toEqual([...FORM_COLUMNS]);

    // the same year from the analytics API
    const kpi = await (await get('/kpi/comprehensive-energy?from=2025-01-01&to=2026-01-01&granularity=year')).json() as Body;
    const intensity = await (await get('/kpi/intensity?from=2025-01-01&to=2026-01-01')).json() as Body;
    const rows = formRows(ny201);
    const electricity = rows.get('110') as ExcelJS.CellValue[];
    expect(electricity.slice(0, 4)).toEqual(['电', '千瓦时', '110', kpi.total.by_medium.electricity.quantity]);
    expect(typeof electricity[3]).toBe('number');
    expect(electricity[5]).toBe('计量（含估算）');
    expect(electricity[6]).toBeCloseTo(kpi.total.by_medium.electricity.estimated_quantity / kpi.total.by_medium.electricity.quantity, 6);
    expect(electricity[7]).toBe(kpi.total.by_medium.electricity.coverage);
    expect(rows.get('120')?.[3]).toBe(kpi.total.by_medium.water.quantity);
    expect(rows.get('140')?.[3]).toBe(kpi.total.by_medium.gas.quantity);
    const pv = await (await get('/pv-systems/pv1/performance?from=2025-01-01&to=2026-01-01&granularity=year')).json() as Body;
    let pvRow: ExcelJS.CellValue[] | undefined;
    ny201.eachRow((row) => { const v = (row.values as ExcelJS.CellValue[]).slice(1); if (v[0] === '太阳能光电系统发电量') pvRow = v; });
    expect(pvRow?.[3]).toBe(pv.total.ac_energy_kwh);
    expect(rows.get('101')?.[3]).toBe(intensity.current.floor_area_m2);
    expect(rows.get('102')?.[3]).toBe(intensity.current.headcount);
    expect(rows.get('111')?.slice(3, 6)).toEqual([undefined, undefined, '手工填报（待填）']); // empty cells, never a zero
    // footer: the last row holds the signatures
    const last = (ny201.getRow(ny201.rowCount).values as ExcelJS.CellValue[]).filter(Boolean);
    expect(last).toEqual(['单位负责人：', '统计负责人：', '填表人：', '报出日期：']);

    const summary = wb.getWorksheet(SUMMARY_SHEET) as ExcelJS.Worksheet;
    const line = (label: string) => {
      let found: ExcelJS.CellValue[] | undefined;
      summary.eachRow((row) => { const v = (row.values as ExcelJS.CellValue[]).slice(1); if (v[0] === label) found = v; });
      return found;
    };
    expect(line('综合能耗（当量值）(kgce)')?.slice(1, 3)).toEqual([intensity.current.energy_kgce, intensity.same_period_last_year.energy_kgce]);
    expect(line('综合能耗（当量值）(kgce)')?.[3]).toBe(-4.13);
    expect(line('人均综合能耗 (kgce/人)')?.slice(1, 4)).toEqual([intensity.current.energy_kgce_per_person, intensity.same_period_last_year.energy_kgce_per_person, intensity.yoy_change_pct.energy_kgce_per_person]);
    expect(line('单位建筑面积能耗 (kgce/m²)')?.[1]).toBe(intensity.current.energy_kgce_per_m2);
    expect(line('人均用水量 (m³/人)')?.[1]).toBe(intensity.current.water_m3_per_person);
    expect(line('综合能耗（等价值）(kgce)')?.[1]).toBe(21037.87);

    // data quality: the root meters' quantities add up to the API's electricity total
    const quality = wb.getWorksheet(QUALITY_SHEET) as ExcelJS.Worksheet;
    expect((quality.getRow(4).values as ExcelJS.CellValue[]).slice(1)).toEqual([...QUALITY_COLUMNS]);
    const meters = new Map<string, ExcelJS.CellValue[]>();
    quality.eachRow((row, n) => { if (n > 4) { const v = (row.values as ExcelJS.CellValue[]).slice(1); meters.set(String(v[0]), v); } });
    expect(Number(meters.get('e1')?.[6]) + Number(meters.get('e2')?.[6])).toBe(kpi.total.by_medium.electricity.quantity);
    expect(meters.get('e2')?.slice(9, 15)).toEqual([35040, 35040, 40, 0, 0.9989, 365]);
  });

  it('answers CSV for format=csv and for Accept: text/csv', async () => {
    for (const res of [await get('/exports/annual?year=2025&format=csv'), await get('/exports/annual?year=2025', 'statistics', { accept: 'text/csv' })]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      const lines = (await res.text()).split('\r\n');
      expect(lines[0]).toBe(CSV_COLUMNS.join(','));
      expect(lines).toContain('NY201,110,电,千瓦时,54750,,measured+estimated,0.000913,0.9994');
      expect(lines).toContain('NY201,101,建筑面积,平方米,2000,,site_model,,');
    }
  });

  it('needs the statistics role and a valid year', async () => {
    expect((await get('/exports/annual?year=2025', 'viewer')).status).toBe(403);
    const bad = await get('/exports/annual?year=25');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Body).error.parameter).toBe('year');
  });
});
