/** The monthly report's workbook says which media it left out of 综合能耗 (no standard-coal coefficient). */
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { MONTHLY_SHEET, monthlyXlsx, type MonthlyReport } from './monthly.ts';

const report: MonthlyReport = {
  site: { id: 's', name: '示例园区' }, year: 2025, month: 7,
  buildings: [{
    id: 'b1', name: '1号楼', floor_area_m2: 1000,
    media: { electricity: { quantity: 1000, coverage: 1 }, cooling: { quantity: 500, coverage: 1 } },
    energy_kgce: 122.9, energy_kgce_per_m2: 0.1229, previous_energy_kgce: null, yoy_change_pct: null, items: [],
    not_in_kgce: ['cooling'],
  }],
};

describe('monthlyXlsx', () => {
  it('notes a medium left out of 综合能耗 under the total', async () => {
    const wb = new ExcelJS.Workbook();
    const xlsx = await monthlyXlsx(report);
    await wb.xlsx.load(xlsx.buffer.slice(xlsx.byteOffset, xlsx.byteOffset + xlsx.byteLength) as ArrayBuffer);
    const texts: string[] = [];
    wb.getWorksheet(MONTHLY_SHEET)!.eachRow((r) => texts.push(String(r.getCell(1).value)));
    const total = texts.indexOf('合计');
    expect(total).toBeGreaterThan(0);
    expect(texts.slice(total + 1)).toEqual(['注：1号楼的冷 (kWh)在参考数据中无折标系数，未计入综合能耗。']);
  });
});
