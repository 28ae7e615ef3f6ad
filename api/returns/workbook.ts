/**
 * The filled returns as an XLSX workbook (exceljs, decision 0901): a summary sheet, then one sheet per form laid
 * out like the paper form — header (表号, 制表机关, 批准机关, 批准文号, 填表单位, 统一社会信用代码, 统计时间),
 * columns 指标名称 | 计量单位 | 代码 | 数量 (| 金额), footer (单位负责人 …) — with each value's provenance beside it.
 * Numbers are written as numbers; units stand in the headers and the 计量单位 column, never in a number's cell.
 */
import ExcelJS from 'exceljs';
import type { AnnualReturn, FilledCell, FilledForm, Indicator, YearFigures } from './fill.ts';

/** The summary sheet's name. */
export const SUMMARY_SHEET = '综合';

/** Columns of a form sheet, in order. */
export const FORM_COLUMNS = ['指标名称', '计量单位', '代码', '数量', '金额（元）', '数据来源', '估算占比', '计量覆盖率', '备注'] as const;

/** The data-quality sheet's name and columns. */
export const QUALITY_SHEET = '数据质量';
export const QUALITY_COLUMNS = ['计量表', '名称', '建筑', '介质', '单位', '总表', '数量', '估算量', '估算占比', '应有区间（15分钟）', '已有区间', '其中估算', '缺失区间', '计量覆盖率', '有数据天数'] as const;

/** The row of a form sheet where the column headings stand; data rows follow it. */
export const HEADING_ROW = 6;

const PROVENANCE_LABEL = { measured: '计量', estimated: '估算', manual: '手工填报', site_model: '站点模型', derived: '合计' } as const;

/**
 * Words for a cell's provenance: 计量 (with the estimated or hand-entered part), 估算, 手工填报 (待填 while empty),
 * 站点模型, 合计 (a sum of rows), with 含导入 when part of the meters' energy came from a history import, followed by
 * the manual entries' numbers (#12).
 */
export function provenanceLabel(cell: FilledCell | undefined): string {
  if (!cell) return '';
  const refs = cell.entries && cell.entries.length > 0 ? ` #${cell.entries.join(' #')}` : '';
  if (cell.provenance === 'manual') return cell.value === null ? '手工填报（待填）' : `${PROVENANCE_LABEL.manual}${refs}`;
  if (cell.provenance === 'measured' && cell.value === null) return '计量（无数据）';
  if (cell.provenance === 'measured') {
    const parts = [(cell.estimated_share ?? 0) > 0 ? '含估算' : '', (cell.manual_quantity ?? 0) > 0 || refs ? '含手工填报' : '', cell.imported ? '含导入' : ''].filter(Boolean);
    return `计量${parts.length > 0 ? `（${parts.join('、')}）` : ''}${refs}`;
  }
  return `${PROVENANCE_LABEL[cell.provenance]}${cell.imported ? '（含导入）' : ''}${refs}`;
}

/** The summary lines: label with its unit, the key of YearFigures, and which get a 同比. */
const SUMMARY_LINES: { label: string; value: (y: YearFigures) => number | null; yoy?: Indicator }[] = [
  { label: '综合能耗（当量值）(kgce)', value: (y) => y.energy_kgce_equivalent, yoy: 'energy_kgce_equivalent' },
  { label: '综合能耗（等价值）(kgce)', value: (y) => y.energy_kgce_equal, yoy: 'energy_kgce_equal' },
  { label: '建筑面积 (m²)', value: (y) => y.floor_area_m2 },
  { label: '用能人数 (人)', value: (y) => y.headcount },
  { label: '单位建筑面积能耗 (kgce/m²)', value: (y) => y.energy_kgce_per_m2, yoy: 'energy_kgce_per_m2' },
  { label: '人均综合能耗 (kgce/人)', value: (y) => y.energy_kgce_per_person, yoy: 'energy_kgce_per_person' },
  { label: '人均用水量 (m³/人)', value: (y) => y.water_m3_per_person, yoy: 'water_m3_per_person' },
  { label: '电 (kWh)', value: (y) => y.by_medium.electricity?.quantity ?? null },
  { label: '水 (m³)', value: (y) => y.by_medium.water?.quantity ?? null },
  { label: '天然气 (m³)', value: (y) => y.by_medium.gas?.quantity ?? null },
  { label: '热力 (kWh)', value: (y) => y.by_medium.heat?.quantity ?? null },
  { label: '手工填报燃料折标 (kgce)', value: (y) => y.fuels_kgce },
];

/** The workbook of one filled return. */
export function returnWorkbook(ret: AnnualReturn): ExcelJS.Workbook {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'jieneng';
  wb.title = `${ret.site.name} ${ret.year}年 能源资源消费统计`;
  summarySheet(wb, ret);
  for (const form of ret.forms) formSheet(wb, ret, form);
  qualitySheet(wb, ret);
  return wb;
}

/** The workbook as XLSX bytes. */
export async function returnXlsx(ret: AnnualReturn): Promise<Buffer> {
  return Buffer.from(await returnWorkbook(ret).xlsx.writeBuffer());
}

function summarySheet(wb: ExcelJS.Workbook, ret: AnnualReturn): void {
  const ws = wb.addWorksheet(SUMMARY_SHEET);
  const { current, previous, yoy_change_pct } = ret.summary;
  ws.addRow([`${ret.site.name} ${ret.year}年 能源资源消费综合指标`]).font = { bold: true, size: 14 };
  ws.addRow(['填表单位', ret.site.name, '统一社会信用代码', ret.site.unified_social_credit_code ?? '', '表式版本', ret.revision]);
  ws.addRow([]);
  ws.addRow(['指标', `${current.year}年`, `${previous.year}年`, '同比 (%)']).font = { bold: true };
  for (const line of SUMMARY_LINES) {
    ws.addRow([line.label, line.value(current), line.value(previous), line.yoy ? yoy_change_pct[line.yoy] : null]);
  }
  ws.addRow([]);
  ws.addRow(['说明']).font = { bold: true };
  for (const w of ret.warnings) ws.addRow([w.message]);
  ws.getColumn(1).width = 34;
  for (const c of [2, 3, 4]) ws.getColumn(c).width = 16;
}

function formSheet(wb: ExcelJS.Workbook, ret: AnnualReturn, form: FilledForm): void {
  const ws = wb.addWorksheet(form.sheet);
  const a = ret.layout.authority;
  ws.addRow([form.title]).font = { bold: true, size: 14 };
  ws.mergeCells(1, 1, 1, FORM_COLUMNS.length);
  ws.getCell(1, 1).alignment = { horizontal: 'center' };
  ws.addRow(['表号', form.id, '制表机关', a.compiled_by, '批准机关', a.approved_by, '批准文号', a.approval_number]);
  ws.addRow(['填表单位', ret.site.name, '统一社会信用代码', ret.site.unified_social_credit_code ?? '', '统计时间', `${ret.year}年`]);
  ws.addRow(['表式版本', ret.revision, ...(form.subject ? ['机房', form.subject] : [])]);
  ws.addRow([]);
  const heading = ws.addRow([...FORM_COLUMNS]);
  heading.font = { bold: true };
  for (const r of form.rows) {
    const cell = r.value ?? r.amount;
    const note = [r.note, r.unconfirmed ? '待核实' : ''].filter(Boolean).join('；');
    const row = ws.addRow([
      `${'  '.repeat(r.indent ?? 0)}${r.name}`, r.unit ?? '', r.code ?? '',
      r.value?.value ?? null, r.amount?.value ?? null, provenanceLabel(cell),
      cell?.estimated_share ?? null, cell?.coverage ?? null, note,
    ]);
    row.getCell(3).numFmt = '@'; // codes are text: 1021 is not a number, and some start with 0
    row.getCell(7).numFmt = '0.00%';
    row.getCell(8).numFmt = '0.00%';
  }
  ws.addRow([]);
  ws.addRow(ret.layout.footer.flatMap((label) => [`${label}：`, '']));
  const widths = [28, 10, 8, 16, 14, 16, 10, 12, 30];
  widths.forEach((w, i) => { ws.getColumn(i + 1).width = w; });
}

function qualitySheet(wb: ExcelJS.Workbook, ret: AnnualReturn): void {
  const ws = wb.addWorksheet(QUALITY_SHEET);
  ws.addRow([`${ret.site.name} ${ret.year}年 计量数据质量`]).font = { bold: true, size: 14 };
  ws.addRow(['总表 = 是：计入建筑总量的根计量表；否：分项子表（不重复计入）。手工填报记录见下表。']);
  ws.addRow([]);
  ws.addRow([...QUALITY_COLUMNS]).font = { bold: true };
  for (const q of ret.quality) {
    const row = ws.addRow([
      q.meter, q.name, q.building, q.medium, q.unit, q.root ? '是' : '否', q.quantity, q.estimated_quantity, q.estimated_share,
      q.intervals_expected, q.intervals_present, q.intervals_estimated, q.intervals_missing, q.coverage, q.days_with_data,
    ]);
    row.getCell(9).numFmt = '0.00%';
    row.getCell(14).numFmt = '0.00%';
  }
  QUALITY_COLUMNS.forEach((_c, i) => { ws.getColumn(i + 1).width = i < 2 ? 18 : 12; });
  ws.addRow([]);
  ws.addRow([ENTRIES_TITLE]).font = { bold: true };
  ws.addRow([...ENTRY_QUALITY_COLUMNS]).font = { bold: true };
  for (const e of ret.entries) {
    ws.addRow([
      e.id, e.kind, e.org_unit ?? '', e.from, e.to ?? '', [e.use, e.item, e.medium].filter(Boolean).join(' '), e.meter ?? '', e.mode ?? '',
      e.quantity, e.unit ?? '', e.amount_cny, e.document ?? '', e.entered_by, new Date(e.entered_at).toISOString(), e.supersedes ?? null,
    ]);
  }
  if (ret.imports.length === 0) return;
  ws.addRow([]);
  ws.addRow([IMPORTS_TITLE]).font = { bold: true };
  ws.addRow([...IMPORT_QUALITY_COLUMNS]).font = { bold: true };
  const iso = (ms: number) => new Date(ms).toISOString();
  for (const i of ret.imports) ws.addRow([i.device, i.building, i.kind, iso(i.from), iso(i.to), i.readings, i.file_sha256, i.by, iso(i.imported_at)]);
}

/** The heading of the history imports' table on the data-quality sheet (only when the year has some), and its columns. */
export const IMPORTS_TITLE = '历史数据导入记录（本年涉及的导入文件）';
export const IMPORT_QUALITY_COLUMNS = ['设备', '建筑', '类型', '首条读数 (UTC)', '末条读数 (UTC)', '读数条数', '文件 SHA-256', '导入人', '导入时间 (UTC)'] as const;

/** The heading of the manual entries' table on the data-quality sheet, and its columns. */
export const ENTRIES_TITLE = '手工填报记录（本年使用的现行记录）';
export const ENTRY_QUALITY_COLUMNS = ['记录号', '类型', '所属单位', '起始日', '截止日（不含）', '用途/项目/介质', '计量表', '方式', '数量', '单位', '金额（元）', '凭证', '填报人', '填报时间 (UTC)', '更正了记录'] as const;
