/**
 * The energy manager's monthly report (issue 15): one month of the site by building — each medium's quantity
 * (the collector's building totals, as /kpi/comprehensive-energy reads them), 综合能耗 (当量值, GB/T 2589-2020),
 * per floor area, the same month a year before and 同比 — and electricity by 分类分项 (the breakdown of
 * /buildings/{id}/breakdown: level-1 sub-items and the unmetered remainder), as XLSX.
 */
import ExcelJS from 'exceljs';
import { buildingYear } from '../../core/site/load.ts';
import type { Medium, SiteModel } from '../../core/site/schema.ts';
import { zonedTime } from '../../core/time.ts';
import type { Storage } from '../../storage/port.ts';
import { breakdown, changePct, coalCoefficients, perUnit, standardCoal, type TreeMeter } from '../domain/index.ts';
import { round } from '../format.ts';
import type { StandardCoalFile } from '../reference.ts';
import { buildingSource } from '../scope.ts';
import { totalsByMeter } from '../series.ts';
import { SiteIndex } from '../site-index.ts';
import { sourceYear } from './year-figures.ts';

const MEDIA: Medium[] = ['electricity', 'water', 'gas', 'heat', 'cooling'];
const MEDIUM_LABEL: Record<Medium, string> = { electricity: '电 (kWh)', water: '水 (m³)', gas: '天然气 (m³)', heat: '热 (kWh)', cooling: '冷 (kWh)' };

/** One building's month. */
export interface MonthlyBuilding {
  id: string;
  name: string;
  floor_area_m2: number;
  /** quantity (stored unit) and coverage per medium with meters; quantity null without data */
  media: Partial<Record<Medium, { quantity: number | null; coverage: number }>>;
  energy_kgce: number | null;
  energy_kgce_per_m2: number | null;
  previous_energy_kgce: number | null;
  yoy_change_pct: number | null;
  /** electricity by 分类分项: level-1 items, then the unmetered remainder */
  items: { code: string; name: string; kwh: number; share: number | null }[];
  /** media with a quantity but no standard-coal coefficient in the reference data: not in energy_kgce */
  not_in_kgce: Medium[];
}

/** The month's report. */
export interface MonthlyReport {
  site: { id: string; name: string };
  year: number;
  month: number;
  buildings: MonthlyBuilding[];
}

async function buildingMonth(index: SiteIndex, storage: Storage, coal: StandardCoalFile, b: SiteModel['buildings'][number], year: number, month: number): Promise<{ media: MonthlyBuilding['media']; kgce: number | null; notInKgce: Medium[] }> {
  const tz = index.tz;
  const from = zonedTime(tz, year, month, 1), to = month === 12 ? zonedTime(tz, year + 1, 1, 1) : zonedTime(tz, year, month + 1, 1);
  const media: MonthlyBuilding['media'] = {};
  const quantities: Partial<Record<Medium, number>> = {};
  for (const medium of MEDIA) {
    const source = buildingSource({ index }, [b], medium);
    if (source.meters === 0) continue;
    const y = await sourceYear(storage, index, source, medium, from, to);
    media[medium] = { quantity: y.quantity, coverage: y.coverage };
    if (y.quantity !== null) quantities[medium] = y.quantity;
  }
  const { coefficients } = coalCoefficients(coal, `${year}-${String(month).padStart(2, '0')}-01`, year, 'equivalent');
  const kgce = Object.keys(quantities).length > 0 ? round(standardCoal(quantities, coefficients).total_kgce, 4) : null;
  // standardCoal leaves out a medium without a coefficient; the report says so rather than omit it silently
  const notInKgce = (Object.keys(quantities) as Medium[]).filter((m) => quantities[m]! > 0 && coefficients.kgce_per_unit[m] === undefined);
  return { media, kgce, notInKgce };
}

/** The report of one month (1–12) of the site. */
export async function monthlyReport(input: { site: SiteModel; storage: Storage; coal: StandardCoalFile; year: number; month: number }): Promise<MonthlyReport> {
  const index = new SiteIndex(input.site);
  const { year, month, storage, coal } = input;
  const tz = index.tz;
  const from = zonedTime(tz, year, month, 1), to = month === 12 ? zonedTime(tz, year + 1, 1, 1) : zonedTime(tz, year, month + 1, 1);
  const buildings: MonthlyBuilding[] = [];
  for (const b of input.site.buildings) {
    const [now, before] = await Promise.all([buildingMonth(index, storage, coal, b, year, month), buildingMonth(index, storage, coal, b, year - 1, month)]);
    const area = buildingYear(b, year).floor_area_m2;
    const meters = index.meters(b.id, 'electricity');
    const totals = await totalsByMeter(storage, { siteId: input.site.site.id, meters: meters.map((m) => m.id), medium: 'electricity', from, to, tz });
    const virtuals = [...index.virtualMeters.values()].filter((v) => v.building === b.id && v.medium === 'electricity');
    const tree: TreeMeter[] = [
      ...meters.map((m) => ({ id: m.id, category: m.category, parent: m.parent, total: totals.get(m.id) })),
      ...virtuals.map((v) => ({ id: v.id, category: v.category, plus: v.plus, minus: v.minus })),
    ];
    const split = breakdown(tree);
    const items = split.items.map((it) => ({ code: it.code, name: it.name, kwh: round(it.value, 4), share: it.share === null ? null : round(it.share, 6) }));
    if (meters.length > 0) items.push({ code: 'unmetered', name: '未计量', kwh: round(split.unmetered.value, 4), share: split.unmetered.share === null ? null : round(split.unmetered.share, 6) });
    const pct = changePct(now.kgce, before.kgce);
    buildings.push({
      id: b.id, name: b.name, floor_area_m2: area, media: now.media, energy_kgce: now.kgce,
      energy_kgce_per_m2: now.kgce === null ? null : (() => { const v = perUnit(now.kgce, area); return v === null ? null : round(v, 4); })(),
      previous_energy_kgce: before.kgce, yoy_change_pct: pct === null ? null : round(pct, 2), items, not_in_kgce: now.notInKgce,
    });
  }
  return { site: { id: input.site.site.id, name: input.site.site.name }, year, month, buildings };
}

/** The report's sheets: 月报 (by building) and 分类分项 (electricity sub-items by building). */
export const MONTHLY_SHEET = '月报';
export const ITEMS_SHEET = '分类分项';
/** The row of 月报 where the column headings stand; buildings follow, then the total. */
export const MONTHLY_HEADING_ROW = 3;

/** The columns of 月报 (media present in the site only). */
export function monthlyColumns(report: MonthlyReport): string[] {
  return ['建筑', '建筑面积 (m²)', ...presentMedia(report).map((m) => MEDIUM_LABEL[m]), '综合能耗 (kgce)', '单位面积能耗 (kgce/m²)', '上年同月综合能耗 (kgce)', '同比 (%)'];
}

function presentMedia(report: MonthlyReport): Medium[] {
  return MEDIA.filter((m) => report.buildings.some((b) => b.media[m] !== undefined));
}

/** The report as XLSX bytes: numbers as numbers, units in the headings; empty cells where no data exists. */
export async function monthlyXlsx(report: MonthlyReport): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'jieneng';
  const ws = wb.addWorksheet(MONTHLY_SHEET);
  ws.addRow([`${report.site.name} ${report.year}年${report.month}月 能耗月报`]).font = { bold: true, size: 14 };
  ws.addRow(['综合能耗按 GB/T 2589-2020 当量值折标；同比为与上年同月相比；空格表示无数据。']);
  ws.addRow(monthlyColumns(report)).font = { bold: true };
  const media = presentMedia(report);
  const sum = (xs: (number | null)[]) => (xs.every((x) => x === null) ? null : round(xs.reduce<number>((a, x) => a + (x ?? 0), 0), 4));
  for (const b of report.buildings) {
    ws.addRow([b.name, b.floor_area_m2, ...media.map((m) => b.media[m]?.quantity ?? null), b.energy_kgce, b.energy_kgce_per_m2, b.previous_energy_kgce, b.yoy_change_pct]);
  }
  const area = round(report.buildings.reduce((a, b) => a + b.floor_area_m2, 0), 4);
  const kgce = sum(report.buildings.map((b) => b.energy_kgce));
  const before = sum(report.buildings.map((b) => b.previous_energy_kgce));
  const pct = changePct(kgce, before);
  ws.addRow(['合计', area, ...media.map((m) => sum(report.buildings.map((b) => b.media[m]?.quantity ?? null))), kgce,
    kgce === null ? null : round(kgce / area, 4), before, pct === null ? null : round(pct, 2)]).font = { bold: true };
  for (const b of report.buildings) {
    for (const m of b.not_in_kgce) ws.addRow([`注：${b.name}的${MEDIUM_LABEL[m]}在参考数据中无折标系数，未计入综合能耗。`]);
  }
  ws.getColumn(1).width = 24;
  for (let c = 2; c <= 5 + media.length; c++) ws.getColumn(c).width = 16;
  const items = wb.addWorksheet(ITEMS_SHEET);
  items.addRow([`${report.site.name} ${report.year}年${report.month}月 用电分类分项`]).font = { bold: true, size: 14 };
  items.addRow(['建筑', '分项代码', '分项名称', '用电量 (kWh)', '占比']).font = { bold: true };
  for (const b of report.buildings) {
    for (const it of b.items) {
      const row = items.addRow([b.name, it.code, it.name, it.kwh, it.share]);
      row.getCell(5).numFmt = '0.00%';
    }
  }
  items.getColumn(1).width = 24;
  items.getColumn(3).width = 20;
  return Buffer.from(await wb.xlsx.writeBuffer());
}
