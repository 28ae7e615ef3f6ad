/**
 * 数据质量与设备 (technicians): gateways online and their batch accounting (decision 0309), when each device was
 * last heard, the quality of what arrived, estimated energy (gaps spread, resets: issue 12 provenance) and
 * counter events by kind, dead letters by reason (the collector counts each in `dead_letter`); the gateways' and
 * devices' published states and the alerts (technicians-status.ts, decision 0409).
 */
import { MEASUREMENT } from '../../../core/measurements.ts';
import { BUILDING_1D, board, joinNames, namesQuery, TELEMETRY } from '../common.ts';
import { UNIT } from '../panels.ts';
import { influx, TZ } from '../query.ts';
import { gatewayVariable, siteVariable } from '../variables.ts';
import { statusPanels } from './technicians-status.ts';

const GW = `"${MEASUREMENT.gatewayAccounting}"`;
const EVENTS = `"${MEASUREMENT.counterEvent}"`;

/** The collector's rejection reasons (collector/validate.ts) in Chinese. */
const REASONS: Record<string, string> = {
  not_json: '非 JSON', schema: '格式不符', topic_mismatch: '主题不符', unknown_site: '未知站点', unknown_gateway: '未知网关',
  unknown_device: '未知设备', wrong_gateway: '设备不属于该网关', future_timestamp: '时间在未来', past_timestamp: '时间过旧',
  unknown_point: '未知点位', out_of_range: '超出量程', implausible: '计数器跳变不合理', oversize: '消息过大', internal: '采集器内部错误',
};

export function techniciansBoard() {
  const b = board('jieneng-technicians', '数据质量与设备', '运维', { from: 'now-24h', to: 'now' });
  b.builder.withVariable(siteVariable()).withVariable(gatewayVariable());
  b.table({
    title: '网关', description: '各网关最近一次的在线状态（1 在线、0 离线）、积压批次、序号缺口与丢失批次（采集器的序号核算）。', unit: UNIT.none, w: 24, h: 7,
    targets: [
      influx(`SELECT last("online") AS "在线", last("queued") AS "积压批次", last("gap_batches") AS "缺口批次", last("lost") AS "丢失批次", last("restarts") AS "重启次数" FROM ${GW} WHERE "site" =~ /^$site$/ AND "gateway" =~ /^$gateway$/ AND $timeFilter GROUP BY "gateway"`).table(),
      influx(namesQuery('gateway')).table(),
    ],
    transformations: joinNames('gateway'),
  });
  statusPanels(b);
  b.table({
    title: '设备最后上报', description: '各设备最后一条读数的时间（时间列）：长时间未更新的设备排在前面。', unit: UNIT.none, w: 12, h: 10,
    targets: [
      influx(`SELECT last("value") AS "最后读数" FROM ${TELEMETRY} WHERE "site" =~ /^$site$/ AND "gateway" =~ /^$gateway$/ AND $timeFilter GROUP BY "device"`).table(),
      influx(namesQuery('device')).table(),
    ],
    transformations: [
      { id: 'organize', options: { renameByName: { device: 'id', Time: '最后上报' } } },
      { id: 'joinByField', options: { byField: 'id', mode: 'inner' } },
      { id: 'organize', options: { excludeByName: { id: true, 'Time 1': true, 'Time 2': true }, renameByName: { name: '名称', '最后上报 1': '最后上报' } } },
      { id: 'sortBy', options: { sort: [{ field: '最后上报' }] } },
    ],
  })
    .bars({
      title: '读数质量', description: '每小时到达的读数按质量计数：正常（good）、可疑（uncertain）、无效（bad）。', unit: UNIT.count, w: 12, stack: true,
      targets: ([['good', '正常'], ['uncertain', '可疑'], ['bad', '无效']] as const).map(([q, l]) =>
        influx(`SELECT count("value") FROM ${TELEMETRY} WHERE "site" =~ /^$site$/ AND "gateway" =~ /^$gateway$/ AND "quality" = '${q}' AND $timeFilter GROUP BY time(1h) ${TZ}`, l)),
    })
    .bars({
      title: '估算电量占比（每日）', description: '各建筑总表电量中由缺口分摊或复位后估算的部分所占比例（来源标注）。', unit: UNIT.percent, w: 12,
      targets: [influx(`SELECT sum("estimated_kwh") / sum("energy_kwh") * 100 FROM ${BUILDING_1D} WHERE "site" =~ /^$site$/ AND "category" = '01000' AND $timeFilter GROUP BY time(1d) ${TZ}`, '估算占比')],
    })
    .bars({
      title: '估算的 15 分钟区间（每日）', description: '含估算值的表计 15 分钟区间数，对照区间总数：缺口的规模。', unit: UNIT.count, w: 12,
      targets: [influx(`SELECT sum("intervals_estimated") AS "估算区间", sum("intervals") AS "区间总数" FROM ${BUILDING_1D} WHERE "site" =~ /^$site$/ AND "category" = '01000' AND $timeFilter GROUP BY time(1d) ${TZ}`)],
    })
    .table({
      title: '死信（按原因）', description: '采集器拒收并发往死信主题的消息与读数，按原因计数：网关配置或设备数据的问题从这里查起。', unit: UNIT.count, w: 12, h: 8,
      targets: [influx(`SELECT sum("messages") AS "消息数", sum("rejections") AS "被拒读数" FROM "${MEASUREMENT.deadLetter}" WHERE "site" =~ /^$site$/ AND "gateway" =~ /^$gateway$/ AND $timeFilter GROUP BY "reason"`).table()],
      transformations: [{ id: 'organize', options: { excludeByName: { Time: true }, renameByName: { reason: '原因' } } }],
      overrides: { 原因: [{ id: 'mappings', value: [{ type: 'value', options: Object.fromEntries(Object.entries(REASONS).map(([k, text]) => [k, { text }])) }] }] },
    })
    .table({
      title: '计数器事件', description: '各表计的计数器事件：不合理读数（implausible）、复位（reset）、翻转（rollover）、新轨迹（new_track，如换表）。', unit: UNIT.count, w: 12, h: 8,
      targets: [
        influx(`SELECT count("value") AS "次数" FROM ${EVENTS} WHERE "site" =~ /^$site$/ AND $timeFilter GROUP BY "meter", "kind"`).table(),
        influx(namesQuery('device')).table(),
      ],
      transformations: joinNames('meter'),
    });
  return b.builder;
}
