/** The values an alert message names (alerts/message.ts), from an instance and its rule. */
import { QUANTITY_UNIT } from '../../core/measurements.ts';
import { unitOfPoint } from '../../core/units.ts';
import { EVENT_ZH, SEVERITY_ZH, type MessageValues } from '../message.ts';
import type { CompiledRule, Subject } from '../rules/load.ts';
import type { Transition } from './lifecycle.ts';

/** What values() reads of an instance. */
export interface Described {
  compiled: CompiledRule;
  dev: Subject;
  device: string;
  point: string;
  value?: number;
  limit: number;
  event?: string;
  /** KPI rules: the local day judged (YYYY-MM-DD) */
  day?: string;
}

/** The unit a rule's values are in. */
export function unitOf(s: Described): string {
  const r = s.compiled.rule;
  const quantity = QUANTITY_UNIT[s.dev.medium ?? 'electricity'];
  switch (r.kind) {
    case 'threshold': {
      const symbol = r.interval_energy ? quantity : unitOfPoint(s.point)?.symbol ?? '';
      return r.rate_per ? `${symbol}/${r.rate_per}` : symbol;
    }
    case 'daily_energy': case 'contract_savings': return quantity;
    case 'base_load': case 'peak_demand': return 'kW';
    case 'estimated_share': return '%';
    case 'sequence_gap': return '批';
    case 'pv_performance': case 'inverter_fault': return '';
    default: return unitOfPoint(s.point)?.symbol ?? '';
  }
}

/** The message values of a transition at `at_ms`. */
export function messageValues(s: Described, t: Transition, at_ms: number, o: { buildingNames: Map<string, string>; timeFormat: Intl.DateTimeFormat; board_url?: string }): MessageValues {
  const r = s.compiled.rule;
  const threshold = r.kind === 'threshold' ? (r.above ?? r.below) : r.kind === 'stale' || r.kind === 'device_state' || r.kind === 'counter' ? undefined : s.limit;
  const recover = r.kind === 'threshold' ? (r.recover ?? threshold) : threshold;
  const time = o.timeFormat.format(at_ms);
  return {
    rule: r.id, rule_name: r.name, severity: r.severity, severity_zh: SEVERITY_ZH[r.severity],
    state_zh: t === 'firing' ? '告警' : '恢复', device: s.device, device_name: s.dev.name,
    building: s.dev.building, building_name: o.buildingNames.get(s.dev.building) ?? s.dev.building,
    point: r.kind === 'threshold' && r.interval_energy ? '15分钟能耗' : s.point || '数据',
    value: fmt(s.value), unit: unitOf(s), threshold: fmt(threshold), recover: fmt(recover),
    event_zh: EVENT_ZH[s.event ?? (r.kind === 'stale' ? 'stale' : '')] ?? s.event ?? '',
    time, day: s.day ?? time.slice(0, 10),
    link: (o.board_url ?? '').replaceAll('{building}', encodeURIComponent(s.dev.building)).replaceAll('{device}', encodeURIComponent(s.device)),
  };
}

function fmt(v: number | undefined): string {
  return v === undefined ? '' : String(Number(v.toPrecision(6)));
}
