/**
 * An alert instance as the evaluator holds it (a rule on one subject and point): its lifecycle, its rule's
 * settings and what its kind tracks between readings. Built at start from the stored state, and again when the
 * rules file is reloaded, from the running slot of the same key — so an unchanged rule loses nothing.
 */
import type { CompiledRule, Subject } from '../rules/load.ts';
import type { StoredInstance } from '../store.ts';
import { normalState } from './lifecycle.ts';

/** One rule on one device (and point): its lifecycle and what the message needs. */
export interface Slot extends StoredInstance {
  compiled: CompiledRule;
  dev: Subject;
  /** interval energy: the interval still filling, judged once a later one begins */
  open_start?: number;
  open_quantity?: number;
  /** stale: newest reading seen */
  last_seen_ms?: number;
  /** counter: the event that fired */
  event?: string;
  /** threshold: +1 above, −1 below; breach when sign × value > sign × limit, clear when sign × value ≤ sign × recover */
  sign: number;
  limit: number;
  recover: number;
  /** rate-of-change rules: the change per this many ms is judged; 0: the value */
  rate_per_ms: number;
  /** escalation asked of the store for this firing (acknowledged, escalated or not configured: not again) */
  escalation_settled: boolean;
  /** inverter-fault rules: the state codes that are a fault */
  codes: ReadonlySet<number> | undefined;
  /** KPI rules: the local day last judged */
  day: string | undefined;
  /** sequence-gap rules: batches counted lost when last looked */
  lost_seen: number;
}

/** Where each rule kind's point name comes from; KPI rules name what they judge. */
const KPI_POINT: Record<string, string> = {
  daily_energy: 'daily_energy', base_load: 'base_load_kw', peak_demand: 'demand_kw', pv_performance: 'performance_ratio',
  contract_savings: 'savings', sequence_gap: 'seq', estimated_share: 'estimated_share_pct',
};

/** The instance key and point of a rule on one subject. */
export function slotKey(compiled: CompiledRule, dev: Subject): { key: string; point: string } {
  const r = compiled.rule;
  const point = r.kind === 'threshold' ? (r.point ?? 'interval_energy') : r.kind === 'stale' ? (r.point ?? '')
    : r.kind === 'inverter_fault' ? (r.point ?? 'inverter_state') : KPI_POINT[r.kind] ?? '';
  return { key: `${r.id}|${dev.id}|${point}`, point };
}

/**
 * A slot of `compiled` on `dev`, resuming `prev`: a stored instance (a start) or the running slot of the same key
 * (a reload: what its kind tracked is kept too; the rule's settings are the new ones, judged from the next reading).
 */
export function makeSlot(compiled: CompiledRule, dev: Subject, prev: StoredInstance | Slot | undefined, started_ms: number): Slot {
  const r = compiled.rule;
  const { key, point } = slotKey(compiled, dev);
  const sign = r.kind === 'threshold' && r.below !== undefined ? -1 : 1;
  const limit = r.kind === 'threshold' ? (r.above ?? r.below ?? 0) : 0;
  const recover = r.kind === 'threshold' ? (r.recover ?? limit) : 0;
  const p = prev ?? { ...normalState(), value: undefined };
  const running = prev && 'compiled' in prev ? prev : undefined;
  // every field written here, in one order and none added later: V8 keeps the slots fast objects (a spread
  // made them dictionaries, 100 times slower to read on the hot path)
  return {
    key, rule: r.id, device: dev.id, point: running?.point ?? point, compiled, dev,
    state: p.state, since_ms: p.since_ms, clear_since_ms: p.clear_since_ms, breached: p.breached, onsets: p.onsets, value: p.value,
    open_start: running?.open_start, open_quantity: running?.open_quantity,
    // a device never heard from is stale `after` the start (or the reload that added the rule), not at once
    last_seen_ms: r.kind === 'stale' ? running?.last_seen_ms ?? started_ms : undefined,
    event: running?.event, sign, limit: running && !(r.kind === 'threshold') ? running.limit : limit, recover,
    rate_per_ms: compiled.rate_per_ms, escalation_settled: compiled.escalate_after_ms === 0 || (running?.escalation_settled ?? false),
    codes: r.kind === 'inverter_fault' ? new Set(r.codes ?? [7]) : undefined, day: running?.day, lost_seen: running?.lost_seen ?? -1,
  };
}
