/**
 * The returns of a backfilled demo year (issue 15): building 区行政中心1号楼 of the demo site, simulated through 2025
 * by the simulators and stored by the collector's own ingestion (one backfill for the whole file, embedded store),
 * with manual entries made over HTTP. Every cell of the XLSX the API answers, read back with exceljs, is checked
 * against the API's own figures for the same period: NY201 against the analytics API, the manual rows against the
 * entries API, NY202/NY203 against the breakdown, the CSV against the XLSX, the monthly report against the
 * building's analytics and breakdown.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestor } from '../../collector/ingest.ts';
import { checkSite, loadSite } from '../../core/site/load.ts';
import type { SiteModel } from '../../core/site/schema.ts';
import { backfill } from '../../simulators/backfill.ts';
import { openStorage } from '../../storage/index.ts';
import type { Storage } from '../../storage/port.ts';
import { startApi } from '../server.ts';
import { testKeys } from '../testing/fixture.ts';
import { CSV_COLUMNS } from './csv.ts';
import { EntryStore } from './entry-store.ts';
import { ITEMS_SHEET, MONTHLY_HEADING_ROW, MONTHLY_SHEET } from './monthly.ts';
import { ENTRIES_TITLE, FORM_COLUMNS, HEADING_ROW, QUALITY_SHEET, SUMMARY_SHEET } from './workbook.ts';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- API answers, checked against OpenAPI elsewhere
type Cells = ExcelJS.CellValue[];

const B = 'centre-b1';
const TO = Date.UTC(2025, 11, 31, 16); // 2026-01-01 00:00 in Shanghai

/**
 * The demo site (its machine room and building 1's heating come from the file) with an org unit in building 1 (IT
 * centre: the special-use meter and the machine room). Only building 1's meters are simulated: the other buildings
 * stay without data.
 */
function demoSite(): SiteModel {
  const demo = structuredClone(loadSite(join(import.meta.dirname, '..', '..', 'config', 'demo-site.yaml')));
  const b1 = demo.buildings.find((b) => b.id === B)!;
  b1.org_units = [...(b1.org_units ?? []), { id: 'it-centre', name: '信息中心', floor_area_m2: 1200, years: [{ year: 2025, headcount: 40 }] }];
  demo.devices.find((d) => d.id === `${B}-special`)!.org_unit = 'it-centre';
  demo.machine_rooms!.find((r) => r.building === B)!.org_unit = 'it-centre';
  demo.site.unified_social_credit_code = '11310117MB2A00000X';
  return checkSite(demo);
}

describe('the returns of a backfilled demo year', () => {
  const site = demoSite();
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-demo-year-'));
  const keys = testKeys();
  const entries = new EntryStore(':memory:');
  let storage: Storage;
  let base = '';
  let stop: () => Promise<void> = async () => {};
  beforeAll(async () => {
    storage = await openStorage({ kind: 'embedded', path: join(dir, 'store.sqlite') });
    // daily readings: every counter difference is spread over the day's 96 intervals as measured (gap limit above a day)
    const ingestor = createIngestor({ site, storage, stateDir: join(dir, 'state'), now: () => TO, maxAgeMs: 400 * 86_400_000, gapMs: 86_400_000 + 60_000 });
    const simulated = await backfill({ site, only: site.devices.filter((d) => d.building === B && d.kind === 'meter').map((d) => d.id), days: 365, toMs: TO, stepMs: 86_400_000, seed: 1, ingest: (b) => ingestor.ingest(b) });
    await ingestor.flush();
    await ingestor.close();
    // every reading of the year stored: no counter outside its template's range (the gas meter once read below zero)
    expect(simulated.rejected).toEqual({});
    const api = await startApi({ site, storage, port: 0, security: keys.security, entries, now: () => Date.parse('2026-02-01T00:00:00Z') });
    base = `http://127.0.0.1:${api.port}/api/v1`;
    stop = api.stop;
    const e = (kind: string, f: Record<string, unknown>) => ({ kind, from: '2025-01-01', to: '2026-01-01', ...f });
    const res = await post('/returns/entries', { entries: [
      e('gasoline', { use: 'vehicle', quantity: 8200, amount_cny: 63140, document: '加油卡年度对账单' }),
      e('gasoline', { use: 'vehicle', org_unit: 'it-centre', quantity: 300, amount_cny: 2310 }),
      e('diesel', { use: 'other', quantity: 400, amount_cny: 2920, document: '发电机试机' }),
      e('lpg', { quantity: 150, amount_cny: 1350 }),
      e('heat', { use: 'by_area', quantity: 500, amount_cny: 12500 }),
      e('operating_cost', { item: '30209', amount_cny: 1860000 }),
      e('operating_cost', { item: '30206', amount_cny: 980000 }),
      e('bill', { medium: 'water', mode: 'supplement', from: '2025-12-01', quantity: 40, amount_cny: 160, document: '绿化用水 12月' }),
      { kind: 'staff', from: '2025-01-01', quantity: 590 },
      { kind: 'vehicles', use: 'gasoline', from: '2025-01-01', quantity: 6 },
      { kind: 'vehicles', use: 'new_energy', from: '2025-01-01', quantity: 4 },
    ] });
    expect(res.status).toBe(201);
  }, 240_000);
  afterAll(async () => { await stop(); await storage?.close(); entries.close(); keys.security.close(); rmSync(dir, { recursive: true, force: true }); });

  const headers = () => keys.headers('statistics');
  const get = async (path: string) => (await fetch(base + path, { headers: headers() })).json() as Promise<Body>;
  async function post(path: string, body: unknown) { return fetch(base + path, { method: 'POST', headers: { ...headers(), 'content-type': 'application/json' }, body: JSON.stringify(body) }); }
  const workbook = async (path: string) => {
    const res = await fetch(base + path, { headers: headers() });
    expect(res.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    return wb;
  };
  /** A form sheet's rows below the headings, by code, and the CSV lines. */
  const formRows = (ws: ExcelJS.Worksheet) => {
    const out = new Map<string, Cells>();
    ws.eachRow((row, n) => { const v = (row.values as Cells).slice(1); if (n > HEADING_ROW && typeof v[2] === 'string' && /^\d+$/.test(v[2])) out.set(v[2], v); });
    return out;
  };
  /** Σ of the current entries' field matching a filter (all 2025 periods, none crossing the year). */
  const entrySum = (list: Body[], field: 'quantity' | 'amount_cny', f: Record<string, string>) => {
    const hits = list.filter((e) => Object.entries(f).every(([k, v]) => e[k] === v) && e[field] !== null);
    return hits.length === 0 ? undefined : hits.reduce((a, e) => a + e[field], 0);
  };

  it('answers NY201 whose every cell equals the analytics and entries APIs for 2025', async () => {
    const wb = await workbook('/exports/annual?year=2025');
    expect(wb.worksheets.map((w) => w.name)).toEqual([SUMMARY_SHEET, 'NY101', 'NY201', '机关运行成本', 'NY202', 'NY203', QUALITY_SHEET]);
    const kpi = await get('/kpi/comprehensive-energy?from=2025-01-01&to=2026-01-01&granularity=year');
    const intensity = await get('/kpi/intensity?from=2025-01-01&to=2026-01-01');
    const list = await get('/returns/entries?year=2025') as Body[];
    const m = kpi.total.by_medium;
    const q = (f: Record<string, string>) => entrySum(list, 'quantity', f);
    const a = (f: Record<string, string>) => entrySum(list, 'amount_cny', f);
    const expected: Record<string, number | undefined> = {
      101: intensity.current.floor_area_m2, 102: intensity.current.headcount, 1021: q({ kind: 'staff' }),
      103: 10, 1031: q({ kind: 'vehicles', use: 'gasoline' }), 1032: undefined, 1033: q({ kind: 'vehicles', use: 'new_energy' }),
      104: q({ kind: 'lpg' }), 1041: a({ kind: 'lpg' }),
      110: m.electricity.quantity, 111: undefined, 120: m.water.quantity + (q({ kind: 'bill', medium: 'water' }) as number), 121: a({ kind: 'bill', medium: 'water' }),
      130: undefined, 131: undefined, 140: m.gas.quantity, 141: undefined,
      150: q({ kind: 'gasoline' }), 1501: q({ kind: 'gasoline', use: 'vehicle' }), 1502: undefined, 151: a({ kind: 'gasoline' }),
      160: q({ kind: 'diesel' }), 1601: undefined, 1602: q({ kind: 'diesel', use: 'other' }), 161: a({ kind: 'diesel' }),
      170: undefined, 171: a({ kind: 'heat' }), 180: undefined, 181: undefined,
    };
    const rows = formRows(wb.getWorksheet('NY201')!);
    expect([...rows.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [code, value] of Object.entries(expected)) {
      const cells = rows.get(code)!;
      expect(cells[3], `NY201 ${code}`).toBe(value);
      expect(cells[4], `NY201 ${code} 金额`).toBeUndefined(); // NY201 has cost rows, not an amount column
    }
    expect(rows.get('110')!.slice(5, 8)).toEqual(['计量', m.electricity.estimated_quantity > 0 ? m.electricity.estimated_quantity / m.electricity.quantity : 0, m.electricity.coverage]);
    expect(typeof rows.get('110')![3]).toBe('number');
    expect(rows.get('1501')![5]).toBe(`手工填报 #${list.filter((e: Body) => e.kind === 'gasoline').map((e: Body) => e.id).join(' #')}`);
    expect(wb.getWorksheet('NY201')!.getRow(HEADING_ROW).values).toEqual([undefined, ...FORM_COLUMNS]);

    // 机关运行成本: the year's quantities and the entered amounts
    const cost = formRows(wb.getWorksheet('机关运行成本')!);
    expect(cost.get('30205')!.slice(3, 5)).toEqual([expected[120], undefined]);
    expect(cost.get('30206')!.slice(3, 5)).toEqual([m.electricity.quantity, a({ kind: 'operating_cost', item: '30206' })]);
    expect(cost.get('30209')![4]).toBe(1860000);
    expect(cost.get('30231')![4]).toBeUndefined();
  }, 60_000);

  it('answers the summary, NY202, NY203 and the data-quality sheet from the same figures', async () => {
    const wb = await workbook('/exports/annual?year=2025');
    const kpi = await get('/kpi/comprehensive-energy?from=2025-01-01&to=2026-01-01&granularity=year');
    const intensity = await get('/kpi/intensity?from=2025-01-01&to=2026-01-01');
    const line = (label: string) => {
      let found: Cells | undefined;
      wb.getWorksheet(SUMMARY_SHEET)!.eachRow((row) => { const v = (row.values as Cells).slice(1); if (v[0] === label) found = v; });
      return found!;
    };
    // 综合能耗 = the analytics API's metered kgce + the entered fuels: gasoline 8 500 L × 0.73 × 1.4714, diesel
    // 400 L × 0.84 × 1.4571, LPG 150 kg × 1.7143
    const fuels = 8500 * 0.73 * 1.4714 + 400 * 0.84 * 1.4571 + 150 * 1.7143;
    expect(line('手工填报燃料折标 (kgce)')[1]).toBeCloseTo(fuels, 3);
    const water = kpi.total.by_medium.water.quantity + 40;
    expect(line('综合能耗（当量值）(kgce)')[1]).toBeCloseTo(kpi.total.total_kgce + fuels, 3);
    expect(line('建筑面积 (m²)')[1]).toBe(intensity.current.floor_area_m2);
    expect(line('用能人数 (人)')[1]).toBe(intensity.current.headcount);
    expect(line('单位建筑面积能耗 (kgce/m²)')[1]).toBeCloseTo((kpi.total.total_kgce + fuels) / intensity.current.floor_area_m2, 3);
    expect(line('人均用水量 (m³/人)')[1]).toBeCloseTo(water / intensity.current.headcount, 3);
    expect(line('综合能耗（当量值）(kgce)')[3]).toBeUndefined(); // no 2024 data: 同比 withheld

    const breakdown = await get(`/buildings/${B}/breakdown?from=2025-01-01&to=2026-01-01`);
    const special = breakdown.items.find((i: Body) => i.code === '01D00').value;
    const ny202 = formRows(wb.getWorksheet('NY202')!);
    expect(['201', '210', '220', '2201', '2202', '2203', '240', '2401', '2402', '2403'].map((c) => ny202.get(c)![3]))
      .toEqual([180, 24, 90, 60, 30, undefined, special, special, undefined, undefined]);
    const ny203 = formRows(wb.getWorksheet('NY203')!);
    expect(['301', '3011', '302', '340', '380'].map((c) => ny203.get(c)![3])).toEqual([18600, 18600, 95, kpi.total.by_medium.gas.quantity, 12500]);

    const quality = wb.getWorksheet(QUALITY_SHEET)!;
    const meters = new Map<string, Cells>();
    let entryRows: Cells[] = [], inEntries = false;
    quality.eachRow((row, n) => {
      const v = (row.values as Cells).slice(1);
      if (v[0] === ENTRIES_TITLE) { inEntries = true; return; }
      if (inEntries) entryRows.push(v); else if (n > 4) meters.set(String(v[0]), v);
    });
    expect(meters.get(`${B}-main`)![6]).toBe(kpi.total.by_medium.electricity.quantity);
    expect(meters.get(`${B}-special`)![6]).toBe(special);
    entryRows = entryRows.slice(1);
    const list = await get('/returns/entries?year=2025');
    expect(entryRows.map((r) => [r[0], r[1], r[12]])).toEqual(list.map((e: Body) => [e.id, e.kind, e.entered_by]));
  }, 60_000);

  it("answers the org unit's return from its own meter and entries, and CSV rows equal to the XLSX", async () => {
    const wb = await workbook('/exports/annual?year=2025&org_unit=it-centre');
    const kpi = await get('/kpi/comprehensive-energy?scope=org_unit&id=it-centre&from=2025-01-01&to=2026-01-01&granularity=year');
    const rows = formRows(wb.getWorksheet('NY201')!);
    expect([rows.get('110')![3], rows.get('101')![3], rows.get('102')![3], rows.get('1501')![3], rows.get('120')![3]])
      .toEqual([kpi.total.by_medium.electricity.quantity, 1200, 40, 300, undefined]);
    const csv = await (await fetch(`${base}/exports/annual?year=2025&format=csv`, { headers: headers() })).text();
    const site = formRows((await workbook('/exports/annual?year=2025')).getWorksheet('NY201')!);
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    for (const l of lines.filter((x) => x.startsWith('NY201,') && !x.startsWith('NY201,,'))) {
      const [, code, , , quantity] = l.split(',');
      expect(quantity === '' ? undefined : Number(quantity), `CSV NY201 ${code}`).toBe(site.get(code)![3]);
    }
  }, 60_000);

  it("answers the energy manager's month by building and 分类分项 as the analytics and breakdown APIs do", async () => {
    const wb = await workbook('/exports/monthly?month=2025-03');
    const kpi = await get(`/kpi/comprehensive-energy?scope=building&id=${B}&from=2025-03-01&to=2025-04-01&granularity=month`);
    const breakdown = await get(`/buildings/${B}/breakdown?from=2025-03-01&to=2025-04-01`);
    const month = wb.getWorksheet(MONTHLY_SHEET)!;
    const heading = (month.getRow(MONTHLY_HEADING_ROW).values as Cells).slice(1);
    let row: Cells = [];
    month.eachRow((r) => { const v = (r.values as Cells).slice(1); if (v[0] === '区行政中心1号楼') row = v; });
    const col = (name: string) => row[heading.indexOf(name)] ?? null; // exceljs reads an empty cell as undefined
    expect(col('建筑')).toBe('区行政中心1号楼');
    expect(col('电 (kWh)')).toBe(kpi.total.by_medium.electricity.quantity);
    expect(col('水 (m³)')).toBe(kpi.total.by_medium.water.quantity);
    expect(col('天然气 (m³)')).toBe(kpi.total.by_medium.gas.quantity);
    expect(col('综合能耗 (kgce)')).toBe(kpi.total.total_kgce);
    expect(col('建筑面积 (m²)')).toBe(18600);
    const items = new Map<string, Cells>();
    wb.getWorksheet(ITEMS_SHEET)!.eachRow((r, n) => { const v = (r.values as Cells).slice(1); if (n > 2 && v[0] === '区行政中心1号楼') items.set(String(v[1]), v); });
    for (const it of breakdown.items) expect(items.get(it.code)?.[3], it.code).toBe(it.value);
    expect(items.get('unmetered')?.[3]).toBe(breakdown.unmetered.value);
  }, 60_000);
});
