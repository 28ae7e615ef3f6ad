/**
 * 光伏 (PV): daily yield, specific yield (kWh/kWp), PR and temperature-corrected PR (IEC 61724-1; NREL
 * Dierauf et al. 2013) and plane-of-array irradiation from the KPI write-back, which computes them with the API's
 * PV performance (api/pv-performance.ts) so the board and `GET /pv-systems/{id}/performance` agree; irradiance,
 * module temperature, total AC power and inverter states from telemetry.
 */
import { board, KPI, TELEMETRY } from '../common.ts';
import { UNIT } from '../panels.ts';
import { influx, TZ } from '../query.ts';
import { inverterVariable, pvSensorVariable, pvVariable, siteVariable } from '../variables.ts';

const KPI_PV = `"scope" = 'pv_system' AND "site" =~ /^$site$/ AND "id" =~ /^$pv$/`;
const kpiDaily = (select: string) => `SELECT ${select} FROM ${KPI} WHERE ${KPI_PV} AND $timeFilter GROUP BY time(1d) ${TZ}`;
const sensor = (point: string) => `SELECT mean("value") FROM ${TELEMETRY} WHERE "site" =~ /^$site$/ AND "device" =~ /^$pv_sensor$/ AND "point" = '${point}' AND $timeFilter GROUP BY time($__interval) fill(none)`;

/** SunSpec inverter operating states (model 101–103 `St`). */
const SUNSPEC_STATES: Record<number, string> = { 1: '关机', 2: '休眠', 3: '启动中', 4: '最大功率跟踪', 5: '限功率', 6: '关机中', 7: '故障', 8: '待机' };

export function pvBoard() {
  const b = board('jieneng-pv', '光伏', '能源管理');
  b.builder.withVariable(siteVariable()).withVariable(pvVariable()).withVariable(inverterVariable()).withVariable(pvSensorVariable());
  b.stat({ title: '发电量', description: '所选光伏系统逆变器交流发电量之和（由各逆变器累计发电量计数器得出）。', unit: UNIT.kwh, w: 6, decimals: 0, targets: [influx(`SELECT sum("pv_kwh") FROM ${KPI} WHERE ${KPI_PV} AND $timeFilter`, '发电量')] })
    .stat({ title: '等效利用小时', description: '发电量 ÷ 装机容量（kWh/kWp，最终产能 Y_f）。', unit: UNIT.kwhPerKwp, w: 6, decimals: 2, targets: [influx(`SELECT sum("final_yield_kwh_kwp") FROM ${KPI} WHERE ${KPI_PV} AND $timeFilter`, '等效利用小时')] })
    .stat({ title: '平均 PR', description: '每日性能比 PR = Y_f / Y_r 的平均（IEC 61724-1）。', unit: UNIT.ratio, w: 6, decimals: 1, calc: 'mean', targets: [influx(`SELECT mean("pr") FROM ${KPI} WHERE ${KPI_PV} AND $timeFilter`, 'PR')] })
    .stat({ title: '倾斜面辐照量', description: '阵列倾斜面辐照量（kWh/m²，参考产能 Y_r 的小时数）。', unit: UNIT.kwhPerM2Irr, w: 6, decimals: 1, targets: [influx(`SELECT sum("poa_kwh_m2") FROM ${KPI} WHERE ${KPI_PV} AND $timeFilter`, '辐照量')] })
    .bars({ title: '每日发电量', description: '每个自然日的交流发电量。', unit: UNIT.kwh, w: 12, targets: [influx(kpiDaily('sum("pv_kwh")'), '发电量')] })
    .bars({ title: '每日等效利用小时', description: '每日发电量 ÷ 装机容量。', unit: UNIT.kwhPerKwp, w: 12, targets: [influx(kpiDaily('sum("final_yield_kwh_kwp")'), '等效利用小时')] })
    .lines({
      title: '每日 PR 与温度修正 PR', description: 'PR = Y_f / Y_r；温度修正 PR 按 NREL（Dierauf 2013）以写回区间的辐照加权平均电池温度为基准修正组件温度的影响。', unit: UNIT.ratio, w: 12,
      targets: [influx(kpiDaily('mean("pr") AS "PR", mean("pr_temp_corrected") AS "温度修正 PR"'))],
    })
    .bars({ title: '每日倾斜面辐照量', description: '每日倾斜面辐照量（kWh/m²）。', unit: UNIT.kwhPerM2Irr, w: 12, targets: [influx(kpiDaily('sum("poa_kwh_m2")'), '辐照量')] })
    .lines({ title: '辐照度', description: '阵列倾斜面辐照度（W/m²），传感器读数的时段平均。', unit: UNIT.wPerM2, w: 12, targets: [influx(sensor('irradiance_w_m2'), '辐照度')] })
    .lines({ title: '组件温度', description: '组件背板温度（°C）。', unit: UNIT.celsius, w: 12, targets: [influx(sensor('temp_module_c'), '组件温度')] })
    .lines({
      title: '总交流功率', description: '所选逆变器交流功率之和（各逆变器先按时段取平均再相加）。', unit: UNIT.kw, w: 24,
      targets: [influx(`SELECT sum("p") FROM (SELECT mean("value") AS "p" FROM ${TELEMETRY} WHERE "site" =~ /^$site$/ AND "device" =~ /^$inverter$/ AND "point" = 'power_ac_kw' AND $timeFilter GROUP BY time($__interval), "device" fill(none)) WHERE $timeFilter GROUP BY time($__interval)`, '总交流功率')],
    })
    .states({
      title: '逆变器状态 ${inverter:text}', description: '运行状态（SunSpec St，有此点的逆变器）与是否在发电（交流功率 > 0.05 kW）。', unit: UNIT.none, w: 12, repeat: 'inverter',
      targets: [
        influx(`SELECT last("value") FROM ${TELEMETRY} WHERE "site" =~ /^$site$/ AND "device" =~ /^$inverter$/ AND "point" = 'inverter_state' AND $timeFilter GROUP BY time($__interval) fill(none)`, '运行状态'),
        influx(`SELECT mean("value") FROM ${TELEMETRY} WHERE "site" =~ /^$site$/ AND "device" =~ /^$inverter$/ AND "point" = 'power_ac_kw' AND $timeFilter GROUP BY time($__interval) fill(none)`, '发电'),
      ],
      mappings: {
        运行状态: Object.entries(SUNSPEC_STATES).map(([v, text]) => ({ type: 'value', options: { [v]: { text } } })),
        发电: [{ type: 'range', options: { from: -1e9, to: 0.05, result: { text: '不发电' } } }, { type: 'range', options: { from: 0.05, to: 1e9, result: { text: '发电' } } }],
      },
    });
  return b.builder;
}
