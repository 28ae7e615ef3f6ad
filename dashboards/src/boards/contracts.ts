/**
 * 合同能源管理 (energy-performance contracts): adjusted baseline against actual consumption per day, savings
 * accumulated since the reporting period began with their 68 % uncertainty band (ASHRAE Guideline 14 Annex B),
 * and the split between the energy-service company and the client (GB/T 24915-2020). The KPI write-back
 * computes them with the API's M&V (api/contract-savings.ts), so the board and `GET /contracts/{id}/savings` agree.
 */
import { board, KPI } from '../common.ts';
import { UNIT } from '../panels.ts';
import { influx, TZ } from '../query.ts';
import { contractVariable, siteVariable } from '../variables.ts';

const KPI_CONTRACT = `"scope" = 'contract' AND "site" =~ /^$site$/ AND "id" =~ /^$contract$/`;
const daily = (select: string) => `SELECT ${select} FROM ${KPI} WHERE ${KPI_CONTRACT} AND $timeFilter GROUP BY time(1d) ${TZ}`;
const lastOf = (field: string) => `SELECT last("${field}") FROM ${KPI} WHERE ${KPI_CONTRACT} AND $timeFilter`;

export function contractsBoard() {
  const b = board('jieneng-contracts', '合同能源管理', '能源管理', { from: 'now-30d/d', to: 'now-1d/d' });
  b.builder.withVariable(siteVariable()).withVariable(contractVariable());
  b.stat({ title: '累计节能量', description: '报告期开始至所选区间末的节能量（调整后基准能耗 − 实际能耗）。', unit: UNIT.kwh, w: 6, decimals: 0, calc: 'lastNotNull', targets: [influx(lastOf('cumulative_savings_kwh'), '累计节能量')] })
    .stat({ title: '节能率', description: '累计节能量 ÷ 累计调整后基准能耗。', unit: UNIT.ratio, w: 6, decimals: 1, calc: 'lastNotNull', targets: [influx(lastOf('cumulative_fraction'), '节能率')] })
    .stat({ title: '节能服务公司分成', description: '按合同类型（GB/T 24915-2020）计的节能服务公司累计收益。', unit: UNIT.cny, w: 6, decimals: 0, calc: 'lastNotNull', targets: [influx(lastOf('cumulative_esco_cny'), '节能服务公司')] })
    .stat({ title: '用能单位分成', description: '用能单位的累计节能收益。', unit: UNIT.cny, w: 6, decimals: 0, calc: 'lastNotNull', targets: [influx(lastOf('cumulative_client_cny'), '用能单位')] })
    .lines({
      title: '调整后基准能耗与实际能耗（每日）', description: '基准期回归模型（度日与工作日，CalTRACK / IPMVP 选项 C）在报告期条件下的能耗，对照实际能耗。', unit: UNIT.kwh, w: 24,
      targets: [influx(daily('sum("baseline_kwh") AS "调整后基准能耗", sum("actual_kwh") AS "实际能耗"'))],
    })
    .lines({
      title: '累计节能量及不确定度（68 %）', description: '报告期累计节能量，阴影为 ±（累计节能量 × 节能率不确定度 FSU）区间（ASHRAE Guideline 14-2014 附录 B，含自相关修正）。', unit: UNIT.kwh, w: 24,
      band: { upper: '上限', lower: '下限' },
      targets: [influx(daily('last("cumulative_savings_kwh") AS "累计节能量", last("cumulative_savings_kwh") + last("cumulative_uncertainty_kwh") AS "上限", last("cumulative_savings_kwh") - last("cumulative_uncertainty_kwh") AS "下限"'))],
    })
    .bars({
      title: '收益分成（累计）', description: '节能服务公司与用能单位累计收益，堆叠为节能总收益。', unit: UNIT.cny, w: 24, stack: true,
      targets: [influx(daily('last("cumulative_esco_cny") AS "节能服务公司", last("cumulative_client_cny") AS "用能单位"'))],
    });
  return b.builder;
}
