/**
 * 能耗总览 (portfolio): what the whole site and the chosen buildings used, in standard coal, per person and per
 * m² against the GB/T 51161 limits, electricity, water, gas, cost, the top buildings and the PV share — all read
 * from the daily KPI write-back (`kpi_1d`, decision 0406/0408).
 */
import { board, joinNames, KPI, KPI_BUILDINGS, KPI_SITE, namesQuery } from '../common.ts';
import { UNIT } from '../panels.ts';
import { influx, TZ } from '../query.ts';
import { buildingVariable, siteVariable } from '../variables.ts';

const sum = (field: string, where: string) => `SELECT sum("${field}") FROM ${KPI} WHERE ${where} AND $timeFilter`;

export function portfolioBoard() {
  const b = board('jieneng-overview', '能耗总览', '能源管理');
  b.builder.withVariable(siteVariable()).withVariable(buildingVariable(true));
  b.stat({ title: '综合能耗', description: '所选建筑在时间范围内的综合能耗（GB/T 2589-2020 当量值折标准煤）。', unit: UNIT.kgce, w: 6, decimals: 0, targets: [influx(sum('energy_kgce', KPI_BUILDINGS), '综合能耗')] })
    .stat({ title: '人均综合能耗（全站）', description: '全站综合能耗除以各建筑当年人数之和：公共机构能源资源消费统计的人均综合能耗。', unit: UNIT.kgcePerPerson, w: 6, decimals: 2, targets: [influx(sum('energy_kgce_per_person', KPI_SITE), '人均综合能耗')] })
    .stat({ title: '单位建筑面积综合能耗（全站）', description: '全站综合能耗除以建筑面积之和。', unit: UNIT.kgcePerM2, w: 6, decimals: 3, targets: [influx(sum('energy_kgce_per_m2', KPI_SITE), '单位面积综合能耗')] })
    .stat({ title: '费用', description: '所选建筑的电费（分时电价）与水费、燃气费之和。', unit: UNIT.cny, w: 6, decimals: 0, targets: [influx(sum('cost_cny', KPI_BUILDINGS), '费用')] })
    .stat({ title: '用电量', description: '所选建筑总表（根计量表）之和。', unit: UNIT.kwh, w: 6, decimals: 0, targets: [influx(sum('electricity_kwh', KPI_BUILDINGS), '用电量')] })
    .stat({ title: '用水量', description: '所选建筑总水表之和。', unit: UNIT.m3, w: 6, decimals: 1, targets: [influx(sum('water_m3', KPI_BUILDINGS), '用水量')] })
    .stat({ title: '用气量', description: '所选建筑燃气表之和。', unit: UNIT.m3, w: 6, decimals: 1, targets: [influx(sum('gas_m3', KPI_BUILDINGS), '用气量')] })
    .stat({
      title: '光伏发电占比（全站）', description: '光伏发电量 ÷（电网用电量 + 光伏发电量）：站内用电中光伏所占的份额（发电全部自用的假设下）。', unit: UNIT.percent, w: 6, decimals: 1, calc: 'lastNotNull',
      targets: [influx(`SELECT sum("pv_kwh") / (sum("pv_kwh") + sum("electricity_kwh")) * 100 FROM ${KPI} WHERE ${KPI_SITE} AND $timeFilter`, '光伏占比')],
    })
    .stat({ title: '综合能耗 环比基准（上一周期）', description: '前移 7 天的同长度区间的综合能耗；与上方“综合能耗”比较得环比。', unit: UNIT.kgce, w: 6, decimals: 0, timeShift: '7d', targets: [influx(sum('energy_kgce', KPI_BUILDINGS), '上一周期')] })
    .stat({ title: '综合能耗 同比基准（去年同期）', description: '去年同期的综合能耗；与上方“综合能耗”比较得同比（需有一年以上的数据）。', unit: UNIT.kgce, w: 6, decimals: 0, timeShift: '1y', targets: [influx(sum('energy_kgce', KPI_BUILDINGS), '去年同期')] })
    .lines({
      title: '单位面积用电与 GB/T 51161 约束值/引导值（累计）', description: '全站单位建筑面积用电量自区间起累计，对照按天折算的年约束值与引导值（GB/T 51161-2016，按各建筑类别面积加权）。', unit: UNIT.kwhPerM2, w: 12,
      targets: [influx(`SELECT cumulative_sum(sum("electricity_kwh_per_m2")) AS "单位面积用电", cumulative_sum(sum("electricity_limit_kwh_per_m2")) AS "约束值", cumulative_sum(sum("electricity_target_kwh_per_m2")) AS "引导值" FROM ${KPI} WHERE ${KPI_SITE} AND $timeFilter GROUP BY time(1d) ${TZ}`)],
    })
    .bars({
      title: '每日综合能耗与费用', description: '所选建筑每个自然日（上海时间）的综合能耗。', unit: UNIT.kgce, w: 12,
      targets: [influx(`SELECT sum("energy_kgce") FROM ${KPI} WHERE ${KPI_BUILDINGS} AND $timeFilter GROUP BY time(1d) ${TZ}`, '综合能耗')],
    })
    .bars({
      title: '每日用电、用水、用气', description: '所选建筑每日用电（kWh）、用水与用气（m³）。', unit: UNIT.kwh, w: 12,
      targets: [
        influx(`SELECT sum("electricity_kwh") FROM ${KPI} WHERE ${KPI_BUILDINGS} AND $timeFilter GROUP BY time(1d) ${TZ}`, '用电 kWh'),
        influx(`SELECT sum("water_m3") FROM ${KPI} WHERE ${KPI_BUILDINGS} AND $timeFilter GROUP BY time(1d) ${TZ}`, '用水 m³'),
        influx(`SELECT sum("gas_m3") FROM ${KPI} WHERE ${KPI_BUILDINGS} AND $timeFilter GROUP BY time(1d) ${TZ}`, '用气 m³'),
      ],
    })
    .table({
      title: '建筑排名', description: '各建筑在时间范围内的综合能耗、单位面积综合能耗、用电、费用，以及单位面积用电对照本建筑类别按天折算的 GB/T 51161 约束值，按综合能耗从高到低。', unit: UNIT.none, w: 12, h: 10,
      targets: [
        influx(`SELECT sum("energy_kgce") AS "综合能耗 kgce", sum("energy_kgce_per_m2") AS "单位面积 kgce/m²", sum("electricity_kwh") AS "用电 kWh", sum("cost_cny") AS "费用 元", sum("electricity_kwh_per_m2") AS "单位面积用电 kWh/m²", sum("electricity_limit_kwh_per_m2") AS "约束值 kWh/m²" FROM ${KPI} WHERE ${KPI_BUILDINGS} AND $timeFilter GROUP BY "id"`).table(),
        influx(namesQuery('building')).table(),
      ],
      transformations: [...joinNames('id'), { id: 'sortBy', options: { sort: [{ field: '综合能耗 kgce', desc: true }] } }],
    });
  return b.builder;
}
