/**
 * The technicians' board, states and alerts (decision 0409): the gateways' and devices' states as the gateways
 * publish them (the collector stores each transition in `gateway_status` / `device_status`), when each gateway
 * was last heard, the timeline of the changes, the alerts firing now and their history (the alerts runtime copies
 * each transition and acknowledgement to `alert_event`).
 *
 * A state is a row at its change only, so the state tables read the last 30 days for each one's latest row; a
 * state unchanged for longer than that is not listed (`GET /devices` answers it from MQTT).
 */
import { MEASUREMENT } from '../../../core/measurements.ts';
import { joinNames, namesQuery, TELEMETRY } from '../common.ts';
import { UNIT, type Board } from '../panels.ts';
import { influx } from '../query.ts';

const DEVICES = `"${MEASUREMENT.deviceStatus}"`;
const GATEWAYS = `"${MEASUREMENT.gatewayStatus}"`;
const ALERTS = `"${MEASUREMENT.alertEvent}"`;
const OF_GATEWAYS = `"site" =~ /^$site$/ AND "gateway" =~ /^$gateway$/`;
/** The latest row of each series in the range: its time is when the state began. */
const LATEST = 'ORDER BY time DESC LIMIT 1';

/** state_code of device_status and gateway_status. */
const STATE_MAPPINGS = [{ type: 'value', options: { 2: { text: '在线', color: 'green', index: 0 }, 1: { text: '降级', color: 'orange', index: 1 }, 0: { text: '离线', color: 'red', index: 2 } } }];
/** state_code of alert_event. */
const ALERT_MAPPINGS = [{ type: 'value', options: { 2: { text: '告警中', color: 'red', index: 0 }, 1: { text: '已确认', color: 'orange', index: 1 }, 0: { text: '已恢复', color: 'green', index: 2 } } }];
const coloured = (mappings: unknown[]) => [{ id: 'mappings', value: mappings }, { id: 'custom.cellOptions', value: { type: 'color-background' } }];
const since = [{ id: 'unit', value: UNIT.dateTime }];
/** gateway_status reasons (collector/status-history.ts); a device's reason is its gateway's own text. */
const GATEWAY_REASONS = [{ type: 'value', options: { last_will: { text: '连接中断（遗嘱）' }, stopped: { text: '正常停止' } } }];

/** A table of the latest state of each gateway or device, with its name, reason and since when. */
function stateTable(b: Board, title: string, description: string, from: string, idTag: 'gateway' | 'device', w: number, reasons?: unknown[]): void {
  b.table({
    title, description, unit: UNIT.none, w, h: 9, timeFrom: '30d',
    targets: [
      influx(`SELECT "state_code", "reason" FROM ${from} WHERE ${OF_GATEWAYS} AND $timeFilter GROUP BY "${idTag}" ${LATEST}`).table(),
      influx(namesQuery(idTag)).table(),
    ],
    transformations: [
      { id: 'organize', options: { renameByName: { [idTag]: 'id' } } },
      { id: 'joinByField', options: { byField: 'id', mode: 'inner' } },
      { id: 'organize', options: { excludeByName: { id: true, 'Time 2': true }, renameByName: { 'Time 1': '状态开始', name: '名称', state_code: '状态', reason: '原因' }, indexByName: { name: 0, state_code: 1, 'Time 1': 2, reason: 3 } } },
      { id: 'sortBy', options: { sort: [{ field: '状态' }] } },
    ],
    overrides: { 状态: coloured(STATE_MAPPINGS), 状态开始: since, ...(reasons ? { 原因: [{ id: 'mappings', value: reasons }] } : {}) },
  });
}

/** Adds the state and alert panels to the board. */
export function statusPanels(b: Board): void {
  stateTable(b, '网关状态', '各网关自己发布的在线状态（离线含 MQTT 遗嘱：连接中断）与状态开始的时间，读最近 30 天的状态变化。', GATEWAYS, 'gateway', 10, GATEWAY_REASONS);
  stateTable(b, '设备状态', '各设备由网关判定的状态：在线、降级（有应答但读数全部无效）、离线，原因与状态开始的时间；离线与降级排在前面。网关离线时其设备保持离线前的状态，以网关状态为准。', DEVICES, 'device', 14);
  b.states({
    title: '状态变化时间线', description: '范围内发生过状态变化的网关与设备（按 id）：绿色在线、橙色降级、红色离线；范围开始前的状态不显示。', unit: UNIT.none, w: 24, h: 8,
    valueMappings: STATE_MAPPINGS,
    targets: [
      influx(`SELECT last("state_code") FROM ${GATEWAYS} WHERE ${OF_GATEWAYS} AND $timeFilter GROUP BY time($__interval), "gateway" fill(previous)`, '网关 $tag_gateway'),
      influx(`SELECT last("state_code") FROM ${DEVICES} WHERE ${OF_GATEWAYS} AND $timeFilter GROUP BY time($__interval), "device" fill(previous)`, '$tag_device'),
    ],
  });
  b.table({
    title: '网关最后上报', description: '各网关最后一批读数到达的时间：网关在线却久未上报，查其设备与轮询。', unit: UNIT.none, w: 8, h: 8,
    targets: [
      influx(`SELECT last("value") AS "最后读数" FROM ${TELEMETRY} WHERE ${OF_GATEWAYS} AND $timeFilter GROUP BY "gateway"`).table(),
      influx(namesQuery('gateway')).table(),
    ],
    transformations: [
      { id: 'organize', options: { renameByName: { gateway: 'id', Time: '最后上报' } } },
      { id: 'joinByField', options: { byField: 'id', mode: 'inner' } },
      { id: 'organize', options: { excludeByName: { id: true, 最后读数: true, '最后上报 2': true }, renameByName: { name: '名称', '最后上报 1': '最后上报' } } },
      { id: 'sortBy', options: { sort: [{ field: '最后上报' }] } },
    ],
    overrides: { 最后上报: since },
  })
    .table({
      title: '正在告警', description: '最近 30 天内触发、尚未恢复的告警（含已确认），最新在前：摘要即发出的告警消息。', unit: UNIT.none, w: 16, h: 8, timeFrom: '30d',
      targets: [influx(`SELECT "state_code" AS "状态", "summary" AS "摘要" FROM (SELECT "state_code", "summary" FROM ${ALERTS} WHERE "site" =~ /^$site$/ AND $timeFilter GROUP BY * ${LATEST}) WHERE "state_code" > 0 AND $timeFilter GROUP BY "severity" ORDER BY time DESC`).table()],
      transformations: [{ id: 'organize', options: { renameByName: { Time: '时间', severity: '级别' } } }, { id: 'sortBy', options: { sort: [{ field: '时间', desc: true }] } }],
      overrides: { 状态: coloured(ALERT_MAPPINGS), 时间: since },
    })
    .table({
      title: '告警历史', description: '范围内每一次告警、确认与恢复（告警引擎的记录），最新在前，最多 200 条。', unit: UNIT.none, w: 24, h: 9,
      targets: [influx(`SELECT "state_code" AS "状态", "summary" AS "摘要" FROM ${ALERTS} WHERE "site" =~ /^$site$/ AND $timeFilter ORDER BY time DESC LIMIT 200`).table()],
      transformations: [{ id: 'organize', options: { renameByName: { Time: '时间' } } }],
      overrides: { 状态: coloured(ALERT_MAPPINGS), 时间: since },
    });
}
