/**
 * Chinese alert messages from the rule's template: `{name}` placeholders are filled with the alert's values.
 * The placeholders are checked when the rules file is loaded, so a misspelt one is a configuration error, not a
 * message with a hole in it.
 */
import type { AlertRule, Severity } from './rules/schema.ts';

/** The values a message may name. */
export interface MessageValues {
  rule: string;
  rule_name: string;
  severity: Severity;
  /** 严重 / 重要 / 次要 / 提示 */
  severity_zh: string;
  /** 告警 (firing) or 恢复 (resolved) */
  state_zh: string;
  device: string;
  device_name: string;
  building: string;
  building_name: string;
  point: string;
  value: string;
  unit: string;
  threshold: string;
  recover: string;
  /** the counter event or device state, in Chinese */
  event_zh: string;
  /** local time of the transition, e.g. 2026-12-05 08:30:00 */
  time: string;
  /** the rules file's board_url for this building and device (empty without one) */
  link: string;
  /** scheduled KPI rules: the local day judged, e.g. 2026-12-04 (else the date of the transition) */
  day: string;
}

export const PLACEHOLDERS: ReadonlySet<string> = new Set<keyof MessageValues>([
  'rule', 'rule_name', 'severity', 'severity_zh', 'state_zh', 'device', 'device_name', 'building', 'building_name',
  'point', 'value', 'unit', 'threshold', 'recover', 'event_zh', 'time', 'link', 'day',
]);

export const SEVERITY_ZH: Record<Severity, string> = { critical: '严重', major: '重要', minor: '次要', info: '提示' };

/** Chinese names of counter events and device states. */
export const EVENT_ZH: Record<string, string> = {
  reset: '计数器复位', rollover: '计数器翻转', implausible: '读数跳变不合理', new_track: '计数器换轨（疑似换表）',
  offline: '离线', degraded: '通信异常（无可用数据）', stale: '无数据',
  night: '夜间', holiday: '节假日', lost: '批次丢失', gap: '批次缺失',
};

/** The default message of each rule kind, when the rule gives none. */
export const DEFAULT_MESSAGE: Record<AlertRule['kind'], string> = {
  threshold: '【{severity_zh}{state_zh}】{building_name} {device_name}：{point} = {value} {unit}（阈值 {threshold} {unit}）— {rule_name}',
  stale: '【{severity_zh}{state_zh}】{building_name} {device_name}：{point} 无数据 — {rule_name}',
  device_state: '【{severity_zh}{state_zh}】{building_name} {device_name}：{event_zh} — {rule_name}',
  counter: '【{severity_zh}{state_zh}】{building_name} {device_name}：{event_zh}，读数 {value} {unit} — {rule_name}',
  daily_energy: '【{severity_zh}{state_zh}】{building_name}：{day} 日用能 {value} {unit}，超过近几周同星期中位数的 {threshold} {unit} — {rule_name}',
  base_load: '【{severity_zh}{state_zh}】{building_name}：{day} {event_zh}基础负荷 {value} {unit}（阈值 {threshold} {unit}）— {rule_name}',
  peak_demand: '【{severity_zh}{state_zh}】{building_name} {device_name}：{day} 最大需量 {value} {unit}，超过 {threshold} {unit} — {rule_name}',
  pv_performance: '【{severity_zh}{state_zh}】{building_name} {device_name}：{day} 性能比 PR {value}，低于 {threshold} — {rule_name}',
  contract_savings: '【{severity_zh}{state_zh}】{device_name}：截至 {day} 节能量 {value} {unit}，落后于保证节能量 {threshold} {unit} — {rule_name}',
  inverter_fault: '【{severity_zh}{state_zh}】{building_name} {device_name}：逆变器故障（状态码 {value}）— {rule_name}',
  sequence_gap: '【{severity_zh}{state_zh}】网关 {device_name}：{value} 批数据缺失未补传 — {rule_name}',
  estimated_share: '【{severity_zh}{state_zh}】{building_name} {device_name}：当日估算能耗占比 {value} {unit}（阈值 {threshold} {unit}）— {rule_name}',
};

/** The placeholders of a template that are not known, in order of appearance. */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]).filter((n) => !PLACEHOLDERS.has(n));
}

/** Fill a template. */
export function renderMessage(template: string, values: MessageValues): string {
  return template.replace(/\{([a-z_]+)\}/g, (whole, name: string) => (PLACEHOLDERS.has(name) ? values[name as keyof MessageValues] : whole));
}
