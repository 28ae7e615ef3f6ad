/**
 * 暖通 (HVAC): one row of panels per chosen HVAC device (Grafana repeats them, titled with the device's name):
 * temperatures, set-points, run states, electrical power, and the chiller plant's COP where cooling output and
 * power are both metered. Everything is telemetry as the gateways publish it (docs/hvac.md, decision 0602).
 */
import { board, TELEMETRY } from '../common.ts';
import { UNIT } from '../panels.ts';
import { influx } from '../query.ts';
import { hvacVariable, siteVariable } from '../variables.ts';

const point = (p: string, fn = 'mean') =>
  `SELECT ${fn}("value") FROM ${TELEMETRY} WHERE "site" =~ /^$site$/ AND "device" =~ /^$device$/ AND "point" = '${p}' AND $timeFilter GROUP BY time($__interval) fill(none)`;

/** Canonical HVAC points (core/devices/templates/hvac-*.yaml) and their Chinese legends. */
const TEMPERATURES: [string, string][] = [
  ['supply_air_temp_c', '送风温度'], ['return_air_temp_c', '回风温度'], ['chw_supply_temp_c', '冷冻水供水温度'], ['chw_return_temp_c', '冷冻水回水温度'],
  ['cw_supply_temp_c', '冷却水供水温度'], ['cw_return_temp_c', '冷却水回水温度'], ['tank_temp_c', '水箱温度'], ['zone_temp_c', '室内温度'],
  ['zone1_temp_c', '1号内机室温'], ['outdoor_air_temp_c', '室外温度'],
];
const SETPOINTS: [string, string][] = [
  ['supply_air_temp_setpoint_c', '送风温度设定'], ['chw_supply_temp_setpoint_c', '冷冻水供水温度设定'], ['tank_temp_setpoint_c', '水箱温度设定'],
  ['zone_temp_setpoint_c', '室内温度设定'], ['indoor_temp_setpoint_c', '室内温度设定'],
];
const STATES: [string, string][] = [
  ['supply_fan_on', '送风机'], ['chiller_on', '冷机'], ['heat_pump_on', '热泵'], ['unit_on', '室外机'], ['fan_on', '风机'],
];

export function hvacBoard() {
  const b = board('jieneng-hvac', '暖通', '能源管理', { from: 'now-2d/d', to: 'now' });
  b.builder.withVariable(siteVariable()).withVariable(hvacVariable());
  b.lines({ title: '温度 ${device:text}', description: '供回水/送回风、水箱、室内与室外温度（°C）。', unit: UNIT.celsius, w: 12, repeat: 'device', targets: TEMPERATURES.map(([p, l]) => influx(point(p), l)) })
    .lines({ title: '设定值 ${device:text}', description: '温度设定值（°C）：与上图实际温度对照。', unit: UNIT.celsius, w: 12, repeat: 'device', targets: SETPOINTS.map(([p, l]) => influx(point(p), l)) })
    .states({
      title: '运行状态 ${device:text}', description: '风机、冷机、热泵、室外机的启停状态。', unit: UNIT.none, w: 12, repeat: 'device',
      targets: STATES.map(([p, l]) => influx(point(p, 'last'), l)),
      mappings: Object.fromEntries(STATES.map(([, l]) => [l, [{ type: 'value', options: { 0: { text: '停' }, 1: { text: '运行' } } }]])),
    })
    .lines({ title: '电功率 ${device:text}', description: '设备电功率（kW）。', unit: UNIT.kw, w: 12, repeat: 'device', targets: [influx(point('power_kw'), '电功率')] })
    .lines({
      title: '冷站 COP', description: '制冷量 ÷ 冷站总功率，按小时平均（有制冷量与功率计量的冷站）。', unit: UNIT.none, w: 24, decimals: 2,
      targets: [influx(`SELECT sum("cooling") / sum("power") FROM (SELECT mean("value") AS "cooling" FROM ${TELEMETRY} WHERE "site" =~ /^$site$/ AND "point" = 'cooling_kw' AND $timeFilter GROUP BY time(1h), "device"), (SELECT mean("value") AS "power" FROM ${TELEMETRY} WHERE "site" =~ /^$site$/ AND "point" = 'power_kw' AND "device" =~ /^$device$/ AND $timeFilter GROUP BY time(1h), "device") WHERE $timeFilter GROUP BY time(1h), "device" fill(none)`, 'COP')],
    });
  return b.builder;
}
