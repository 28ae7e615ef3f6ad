/**
 * Alert evaluation where the data arrives (D8): an IngestObserver on the collector's ingest path, the gateways'
 * device status, and a timer for staleness and for the clock's part of the lifecycle. Rules are compiled into
 * slots per device at start, so a reading of a device without rules costs one map look-up and one with rules a
 * comparison per rule; nothing is written to disk except on a transition.
 */
import type { AcceptedReading } from '../../collector/batch-judge.ts';
import type { EnergyChanges } from '../../collector/energy/accumulator.ts';
import type { IngestObserver } from '../../collector/ingest.ts';
import type { DeviceState } from '../../core/contract/v1.ts';
import { logger } from '../../core/log.ts';
import { INTERVAL_15M_MS, MEASUREMENT } from '../../core/measurements.ts';
import type { SiteModel } from '../../core/site/schema.ts';
import { alertMetrics } from '../metrics.ts';
import { renderMessage } from '../message.ts';
import type { AlertConfig, CompiledRule } from '../rules/load.ts';
import { KPI_KINDS, type CounterEventKind } from '../rules/schema.ts';
import { messageValues } from './values.ts';
import type { AlertStore, StoredInstance } from '../store.ts';
import { observe, tick, type Condition, type Transition } from './lifecycle.ts';
import { makeSlot, slotKey, type Slot } from './slots.ts';

/** A gateway's seq accounting as the collector keeps it (collector/sequence/ledger.ts). */
export interface GatewayGaps {
  gateway: string;
  lost: number;
  gaps: { from_seq: number; to_seq: number; opened_ms: number }[];
}

/** The threshold slots of one point of a device: the point's value is read once for all of them. */
interface PointWatch {
  point: string;
  slots: Slot[];
  /** the previous value and its time, for rate-of-change rules */
  prev_v: number;
  prev_ts: number;
}

/** Options of the evaluator. */
export interface EvaluatorOptions {
  config: AlertConfig;
  site: SiteModel;
  store: AlertStore;
  now?: () => number;
  /** told after a transition was stored (the notifier delivers at once) */
  onTransition?: () => void;
}

const log = logger('alerts');
/** Why an instance resolved without its condition clearing (a reload of the rules file). */
const REASON_ZH = { 'rule removed': '规则已删除', 'out of scope': '规则已修改，不再适用' } as const;

/** Evaluates the rules of one site against the data as it arrives. */
export class AlertEvaluator implements IngestObserver {
  private readonly now: () => number;
  private readonly points = new Map<string, PointWatch[]>();
  private readonly staleOf = new Map<string, Slot[]>();
  private readonly energy = new Map<string, Slot[]>();
  private readonly counters = new Map<string, Slot[]>();
  private readonly states = new Map<string, Slot[]>();
  private readonly estimated = new Map<string, Slot[]>();
  private readonly stale: Slot[] = [];
  private readonly gapSlots: Slot[] = [];
  /** KPI slots by key (rule|subject|point) for `judge` */
  private readonly kpi = new Map<string, Slot>();
  private gatewayGaps?: () => GatewayGaps[];
  /** slots not normal: the timer looks at these only */
  private readonly active = new Set<Slot>();
  private readonly buildingNames: Map<string, string>;
  private readonly timeFormat: Intl.DateTimeFormat;
  private timer?: NodeJS.Timeout;
  private config: AlertConfig;

  constructor(private readonly opts: EvaluatorOptions) {
    this.now = opts.now ?? Date.now;
    this.buildingNames = new Map(opts.site.buildings.map((b) => [b.id, b.name]));
    this.timeFormat = new Intl.DateTimeFormat('sv-SE', { timeZone: opts.site.site.timezone ?? 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'medium' });
    this.config = opts.config;
    this.build(opts.config, new Map(opts.store.loadInstances().map((i) => [i.key, i])), this.now());
  }

  /**
   * Apply an edited rules file (already validated) without a restart. Instances of unchanged rules keep their
   * state; a changed rule keeps its instances' state and judges the next reading by its new settings; a firing
   * instance whose rule was removed (or disabled), or whose subject left the rule's scope, resolves — notified
   * once, the reason in its message — and a pending one is dropped. Returns the instances resolved so.
   */
  reload(config: AlertConfig, at_ms = this.now()): number {
    const running = new Map(this.slots().map((s) => [s.key, s]));
    const watches = new Map([...this.points].flatMap(([id, ws]) => ws.map((w) => [`${id}|${w.point}`, w] as const)));
    this.config = config;
    this.build(config, running, at_ms);
    for (const [id, ws] of this.points) {
      for (const w of ws) {
        const old = watches.get(`${id}|${w.point}`);
        if (old) { w.prev_v = old.prev_v; w.prev_ts = old.prev_ts; }
      }
    }
    const kept = new Set(this.slots().map((s) => s.key));
    const ruleIds = new Set(config.rules.map((r) => r.rule.id));
    const changed: Slot[] = [];
    const dropped: Slot[] = [];
    for (const s of running.values()) {
      if (kept.has(s.key) || s.state === 'normal') continue;
      const firing = s.state === 'firing';
      s.state = 'normal';
      s.since_ms = at_ms;
      s.clear_since_ms = undefined;
      s.breached = false;
      if (!firing) dropped.push(s);
      else this.transition(s, 'resolved', at_ms, changed, ruleIds.has(s.rule) ? 'out of scope' : 'rule removed');
    }
    this.opts.store.saveInstances(dropped.map(stored));
    log.info({ file: config.file, rules: config.rules.length, instances: kept.size, resolved: changed.length }, 'alert rules reloaded');
    this.flush(changed);
    return changed.length;
  }

  /** Index every instance of `config`'s rules, resuming `prev` by key. */
  private build(config: AlertConfig, prev: ReadonlyMap<string, StoredInstance | Slot>, started_ms: number): void {
    for (const m of [this.points, this.staleOf, this.energy, this.counters, this.states, this.estimated, this.kpi]) m.clear();
    this.stale.length = 0;
    this.gapSlots.length = 0;
    this.active.clear();
    for (const compiled of config.rules) {
      const r = compiled.rule;
      for (const dev of compiled.subjects) {
        const slot = makeSlot(compiled, dev, prev.get(slotKey(compiled, dev).key), started_ms);
        if (slot.state !== 'normal') this.active.add(slot);
        if ((r.kind === 'threshold' && r.point) || r.kind === 'inverter_fault') watch(this.points, dev.id, slot.point, slot);
        else if ((KPI_KINDS as readonly string[]).includes(r.kind)) this.kpi.set(slot.key, slot);
        else if (r.kind === 'estimated_share') add(this.estimated, dev.id, slot);
        else if (r.kind === 'sequence_gap') this.gapSlots.push(slot);
        else if (r.kind === 'threshold') add(this.energy, dev.id, slot);
        else if (r.kind === 'counter') add(this.counters, dev.id, slot);
        else if (r.kind === 'device_state') add(this.states, dev.id, slot);
        else {
          this.stale.push(slot);
          add(this.staleOf, dev.id, slot);
        }
      }
    }
  }

  /** Every instance of the rules loaded. */
  private slots(): Slot[] {
    const lists = [...this.points.values()].flatMap((ws) => ws.flatMap((w) => w.slots));
    for (const m of [this.energy, this.counters, this.states, this.estimated]) for (const l of m.values()) lists.push(...l);
    return [...lists, ...this.stale, ...this.gapSlots, ...this.kpi.values()];
  }

  /** The ingest path's call (collector/ingest.ts): readings, interval energy and counter anomalies of a batch. */
  committed(accepted: readonly AcceptedReading[], energy: Pick<EnergyChanges, 'rows' | 'anomalies'> | undefined): void {
    const changed: Slot[] = [];
    for (const r of accepted) {
      const id = r.device.device.id;
      const stale = this.staleOf.get(id);
      if (stale) {
        for (const s of stale) {
          if ((s.point === '' || r.points[s.point]?.value != null) && r.ts > (s.last_seen_ms ?? 0)) s.last_seen_ms = r.ts;
        }
      }
      const watches = this.points.get(id);
      if (!watches) continue;
      for (const w of watches) {
        const v = r.points[w.point]?.value;
        if (typeof v !== 'number') continue;
        // change per ms since the previous value (NaN for the first, or for a reading not newer than it)
        const rate = r.ts > w.prev_ts ? (v - w.prev_v) / (r.ts - w.prev_ts) : NaN;
        if (r.ts > w.prev_ts) {
          w.prev_v = v;
          w.prev_ts = r.ts;
        }
        let accepted: boolean | undefined;
        for (const s of w.slots) {
          const judged = s.rate_per_ms === 0 ? v : rate * s.rate_per_ms;
          if (Number.isNaN(judged)) continue;
          const x = s.sign * judged;
          const condition: Condition = s.codes ? (s.codes.has(v) ? 'breach' : 'clear')
            : x > s.sign * s.limit ? 'breach' : x <= s.sign * s.recover ? 'clear' : 'hold';
          // the common case, a normal value of a normal alert, changes nothing: no further work on the hot path
          if (condition === 'clear' && s.state === 'normal' && !s.breached) continue;
          accepted ??= r.names.includes(w.point); // a point the collector did not accept (e.g. held as implausible)
          if (accepted) this.apply(s, condition, r.ts, judged, changed);
        }
      }
    }
    if (energy) {
      for (const row of energy.rows) {
        if (row.daily && this.estimated.size > 0 && row.series.dayMeasurement === MEASUREMENT.energy1d) this.estimatedShare(row, changed);
        if (row.daily || row.series.quarterMeasurement !== MEASUREMENT.energy15m) continue;
        const slots = this.energy.get(row.series.tags.meter);
        if (!slots) continue;
        for (const s of slots) {
          if (s.open_start === undefined || row.time === s.open_start) {
            s.open_start = row.time;
            s.open_quantity = row.total.quantity;
          } else if (row.time > s.open_start) { // the open interval is complete: judge it
            const q = s.open_quantity as number;
            this.apply(s, thresholdCondition(s.compiled.rule, q), s.open_start + INTERVAL_15M_MS, q, changed);
            s.open_start = row.time;
            s.open_quantity = row.total.quantity;
          }
        }
      }
      for (const a of energy.anomalies) {
        for (const s of this.counters.get(a.meter) ?? []) {
          const rule = s.compiled.rule;
          if (rule.kind !== 'counter' || !rule.events.includes(a.kind as CounterEventKind)) continue;
          s.event = a.kind;
          s.point = a.point;
          this.apply(s, 'breach', a.ts, a.value, changed);
          this.apply(s, 'clear', a.ts, a.value, changed); // an instant: resolves after keep_firing_for without another
        }
      }
    }
    this.flush(changed);
  }

  /** A device's state as its gateway published it (contract v1 DeviceStatus), or offline when its gateway is. */
  deviceState(deviceId: string, state: DeviceState, at_ms = this.now()): void {
    const changed: Slot[] = [];
    for (const s of this.states.get(deviceId) ?? []) {
      const rule = s.compiled.rule;
      if (rule.kind !== 'device_state') continue;
      const met = state !== 'online' && rule.states.includes(state);
      if (met) s.event = state;
      this.apply(s, met ? 'breach' : 'clear', at_ms, undefined, changed);
    }
    this.flush(changed);
  }

  /** Sequence-gap rules read the collector's seq accounting from this (alerts/runtime.ts wires it). */
  watchGateways(source: () => GatewayGaps[]): void {
    this.gatewayGaps = source;
  }

  /** The scheduled KPI rules (alerts/kpi/) whose instances this evaluator holds, by rule id: the subjects' ids. */
  kpiSubjects(ruleId: string): string[] {
    return [...this.kpi.values()].filter((s) => s.rule === ruleId).map((s) => s.device);
  }

  /**
   * A scheduled KPI rule's verdict on one subject for the local day `day`: breach or clear with the value judged
   * and the threshold it was judged against (a median-based threshold changes every day).
   */
  judge(ruleId: string, subject: string, verdict: { breach: boolean; value?: number; limit?: number; day: string; event?: string }, at_ms = this.now()): void {
    const s = [...this.kpi.values()].find((x) => x.rule === ruleId && x.device === subject);
    if (!s) return;
    const changed: Slot[] = [];
    s.day = verdict.day;
    if (verdict.limit !== undefined) s.limit = verdict.limit;
    if (verdict.event !== undefined) s.event = verdict.event;
    this.apply(s, verdict.breach ? 'breach' : 'clear', at_ms, verdict.value, changed);
    this.flush(changed);
  }

  /** The clock's part: staleness, pending alerts whose `for` elapsed, clear alerts whose keep_firing_for did. */
  tick(now_ms = this.now()): void {
    const changed: Slot[] = [];
    if (this.gatewayGaps && this.gapSlots.length > 0) this.sequenceGaps(this.gatewayGaps(), now_ms, changed);
    for (const s of this.stale) {
      this.apply(s, now_ms - (s.last_seen_ms ?? now_ms) > s.compiled.after_ms ? 'breach' : 'clear', now_ms, undefined, changed);
    }
    for (const s of this.active) {
      const t = tick(s, now_ms, s.compiled);
      if (t) this.transition(s, t, now_ms, changed);
      else if (s.state === 'firing' && !s.escalation_settled && now_ms - s.since_ms >= s.compiled.escalate_after_ms) {
        const { escalated, settled } = this.opts.store.escalate(s.key, s.compiled.escalate_channels, now_ms);
        s.escalation_settled = settled;
        if (escalated) {
          log.info({ rule: s.rule, device: s.device, channels: s.compiled.escalate_channels }, 'alert not acknowledged: escalated');
          changed.push(s);
        }
      }
    }
    this.flush(changed);
  }

  /** Tick every `interval_ms` until `stop`. */
  start(interval_ms = 1000): void {
    this.timer = setInterval(() => {
      try { this.tick(); } catch (err) { log.error({ err: (err as Error).message }, 'alert tick failed'); }
    }, interval_ms);
    this.timer.unref();
  }

  /** Stop the timer and save every instance that is not normal, so a restart resumes it. */
  stop(): void {
    clearInterval(this.timer);
    this.opts.store.saveInstances([...this.active].map(stored));
  }

  /** Instances firing now (rule, device, since). */
  firing(): StoredInstance[] {
    return [...this.active].filter((s) => s.state === 'firing').map(stored);
  }

  /** A meter's day so far: the share of its quantity bridged over gaps (estimated), judged against `above_pct`. */
  private estimatedShare(row: NonNullable<Parameters<IngestObserver['committed']>[1]>['rows'][number], changed: Slot[]): void {
    const slots = this.estimated.get(row.series.tags.meter);
    if (!slots) return;
    for (const s of slots) {
      const r = s.compiled.rule;
      if (r.kind !== 'estimated_share' || row.total.quantity < (r.min_quantity ?? 1)) continue;
      const pct = (100 * row.total.estimated_quantity) / row.total.quantity;
      s.limit = r.above_pct;
      this.apply(s, pct > r.above_pct ? 'breach' : 'clear', this.now(), pct, changed);
    }
  }

  /** Gaps open longer than `open_for`, or batches newly counted lost, per gateway. */
  private sequenceGaps(accounts: GatewayGaps[], now_ms: number, changed: Slot[]): void {
    const byId = new Map(accounts.map((a) => [a.gateway, a]));
    for (const s of this.gapSlots) {
      const a = byId.get(s.device);
      if (!a) continue;
      const open = a.gaps.filter((g) => now_ms - g.opened_ms >= s.compiled.open_for_ms).reduce((n, g) => n + g.to_seq - g.from_seq + 1, 0);
      const newlyLost = s.lost_seen >= 0 ? a.lost - s.lost_seen : 0;
      s.lost_seen = a.lost;
      if (open > 0 || newlyLost > 0) {
        s.event = newlyLost > 0 ? 'lost' : 'gap';
        this.apply(s, 'breach', now_ms, open + Math.max(0, newlyLost), changed);
      } else if (s.breached) {
        this.apply(s, 'clear', now_ms, undefined, changed);
      }
    }
  }

  private apply(s: Slot, condition: Condition, at_ms: number, value: number | undefined, changed: Slot[]): void {
    if (value !== undefined) s.value = value;
    const t = observe(s, condition, at_ms, s.compiled);
    if (s.state !== 'normal') this.active.add(s);
    if (t) this.transition(s, t, at_ms, changed);
  }

  private transition(s: Slot, t: Transition, at_ms: number, changed: Slot[], reason?: keyof typeof REASON_ZH): void {
    if (s.state === 'normal') this.active.delete(s);
    if (t === 'firing') s.escalation_settled = s.compiled.escalate_after_ms === 0; // a new firing may escalate again
    const message = renderMessage(s.compiled.message, messageValues(s, t, at_ms, { buildingNames: this.buildingNames, timeFormat: this.timeFormat, board_url: this.config.board_url }))
      + (reason ? `（${REASON_ZH[reason]}）` : '');
    const r = s.compiled.rule;
    this.opts.store.recordTransition(stored(s), {
      key: s.key, rule: r.id, device: s.device, building: s.dev.building, point: s.point, severity: r.severity,
      transition: t, at_ms, value: s.value, message,
    }, s.compiled.channels, this.now());
    log.info({ rule: r.id, device: s.device, point: s.point, transition: t, value: s.value, reason }, 'alert');
    alertMetrics.transitions.inc({ rule: r.id, severity: r.severity, transition: t });
    changed.push(s);
  }

  private flush(changed: Slot[]): void {
    if (changed.length > 0) this.opts.onTransition?.();
  }
}

/** The threshold condition of a value: breach beyond the threshold, clear beyond the recovery threshold, else hold. */
export function thresholdCondition(rule: CompiledRule['rule'], v: number): Condition {
  if (rule.kind !== 'threshold') return 'clear';
  if (rule.above !== undefined) return v > rule.above ? 'breach' : v <= (rule.recover ?? rule.above) ? 'clear' : 'hold';
  const below = rule.below as number;
  return v < below ? 'breach' : v >= (rule.recover ?? below) ? 'clear' : 'hold';
}

function watch(map: Map<string, PointWatch[]>, id: string, point: string, slot: Slot): void {
  let list = map.get(id);
  if (!list) map.set(id, (list = []));
  const w = list.find((x) => x.point === point);
  if (w) w.slots.push(slot);
  else list.push({ point, slots: [slot], prev_v: NaN, prev_ts: -Infinity });
}

function add(map: Map<string, Slot[]>, id: string, slot: Slot): void {
  const list = map.get(id);
  if (list) list.push(slot);
  else map.set(id, [slot]);
}

function stored(s: Slot): StoredInstance {
  return { key: s.key, rule: s.rule, device: s.device, point: s.point, state: s.state, since_ms: s.since_ms, clear_since_ms: s.clear_since_ms, breached: s.breached, onsets: s.onsets, value: s.value };
}
