/**
 * 建筑 (one building): 分类分项 daily bars stacked under the building total, the 15-minute load profile, a
 * day × hour heat map, peak demand, night and non-working-day base load, water and gas, and each meter's
 * energy. Energy comes from the collector's building rollups (decision 0404: a building is its root meters, a
 * sub-item its topmost meters carrying it), hourly shape and base load from the KPI write-back.
 */
import { CATEGORY_NAMES } from '../../../api/domain/categories.ts';
import { MEDIUM_TOTAL_CATEGORY } from '../../../core/measurements.ts';
import { BUILDING_15M, BUILDING_1D, board, joinNames, KPI } from '../common.ts';
import { UNIT } from '../panels.ts';
import { influx, TZ } from '../query.ts';
import { buildingVariable, meterVariable, siteVariable } from '../variables.ts';

const IN_BUILDING = `"site" =~ /^$site$/ AND "building" =~ /^$building$/`;
const KPI_BUILDING = `"scope" = 'building' AND "site" =~ /^$site$/ AND "id" =~ /^$building$/`;
const SUB_ITEMS = ['01A00', '01B00', '01C00', '01D00'];
const HOURS = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0'));

const daily = (field: string, category: string) =>
  `SELECT sum("${field}") FROM ${BUILDING_1D} WHERE ${IN_BUILDING} AND "category" = '${category}' AND $timeFilter GROUP BY time(1d) ${TZ}`;

export function buildingBoard() {
  const b = board('jieneng-building', '建筑', '能源管理');
  b.builder.withVariable(siteVariable()).withVariable(buildingVariable(false)).withVariable(meterVariable());
  const total = '总用电（总表）';
  b.bars({
    title: '分类分项用电（每日）', description: '照明插座、空调、动力、特殊用电四个分项（MOHURD 2008 一级子项）按自然日堆叠；“总用电”为总表，不参与堆叠，二者之差为未分项计量的部分与损耗。',
    unit: UNIT.kwh, w: 24, stack: true, totalLine: total,
    targets: [
      ...SUB_ITEMS.map((c) => influx(daily('energy_kwh', c), CATEGORY_NAMES[c])),
      influx(daily('energy_kwh', MEDIUM_TOTAL_CATEGORY.electricity), total),
    ],
  });
  b.lines({
    title: '15 分钟负荷曲线', description: '总表每 15 分钟的平均功率：区间电量 × 4（kW）。', unit: UNIT.kw, w: 24,
    targets: [influx(`SELECT sum("energy_kwh") * 4 FROM ${BUILDING_15M} WHERE ${IN_BUILDING} AND "category" = '01000' AND $timeFilter GROUP BY time(15m) ${TZ}`, '负荷')],
  })
    .heatmap({
      title: '逐日逐时用电热力图', description: '每个自然日（横轴）每个小时（纵轴 00–23 时，上海时间）的用电量：看作息、夜间与周末负荷。',
      unit: UNIT.kwh, w: 12,
      targets: [influx(`SELECT ${HOURS.map((h) => `sum("kwh_h${h}") AS "${h}"`).join(', ')} FROM ${KPI} WHERE ${KPI_BUILDING} AND $timeFilter GROUP BY time(1d) ${TZ}`)],
    })
    .bars({
      title: '每日最大需量', description: '每日 15 分钟平均功率的最大值（kW），即按 15 分钟需量周期计的最大需量。', unit: UNIT.kw, w: 12,
      targets: [influx(`SELECT max("energy_kwh") * 4 FROM ${BUILDING_15M} WHERE ${IN_BUILDING} AND "category" = '01000' AND $timeFilter GROUP BY time(1d) ${TZ}`, '最大需量')],
    })
    .bars({
      title: '夜间基础负荷', description: '每日 22:00–24:00 与 00:00–06:00 的平均功率（kW，与基础负荷告警规则同一口径）：无人时仍在用的电。', unit: UNIT.kw, w: 12,
      targets: [influx(`SELECT mean("night_base_kw") FROM ${KPI} WHERE ${KPI_BUILDING} AND $timeFilter GROUP BY time(1d) ${TZ}`, '夜间基础负荷')],
    })
    .stat({
      title: '非工作日平均负荷', description: '周末与法定节假日（参考数据中的节假日历）全天的平均功率，对照工作日。', unit: UNIT.kw, w: 6, decimals: 1, calc: 'mean',
      targets: [influx(`SELECT mean("day_mean_kw") FROM ${KPI} WHERE ${KPI_BUILDING} AND "working_day" = 0 AND $timeFilter`, '非工作日')],
    })
    .stat({
      title: '工作日平均负荷', description: '工作日全天的平均功率。', unit: UNIT.kw, w: 6, decimals: 1, calc: 'mean',
      targets: [influx(`SELECT mean("day_mean_kw") FROM ${KPI} WHERE ${KPI_BUILDING} AND "working_day" = 1 AND $timeFilter`, '工作日')],
    })
    .bars({ title: '每日用水量', description: '总水表每日用水量。', unit: UNIT.m3, w: 12, targets: [influx(daily('water_m3', MEDIUM_TOTAL_CATEGORY.water), '用水量')] })
    .bars({ title: '每日用气量', description: '燃气表每日用气量。', unit: UNIT.m3, w: 12, targets: [influx(daily('gas_m3', MEDIUM_TOTAL_CATEGORY.gas), '用气量')] })
    .table({
      title: '各计量表用电量', description: '所选计量表在时间范围内各自的电量（总表与分表各列一行，不可相加）。', unit: UNIT.kwh, w: 24,
      targets: [
        influx(`SELECT sum("energy_kwh") AS "用电 kWh" FROM "energy_1d" WHERE ${IN_BUILDING} AND "meter" =~ /^$meter$/ AND $timeFilter GROUP BY "meter"`).table(),
        influx(`SELECT last("name") AS "name" FROM "display_name" WHERE "kind" = 'device' AND ${IN_BUILDING} GROUP BY "id"`).table(),
      ],
      transformations: joinNames('meter'),
    });
  return b.builder;
}
