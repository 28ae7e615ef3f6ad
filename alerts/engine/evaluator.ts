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
import { INTERVAL_15M_MS, MEASUREMENT, QUANTITY_UNIT } from '../../core/measurements.ts';
import type { Device, SiteModel } from '../../core/site/schema.ts';
import { unitOfPoint } from '../../core/units.ts';
import { alertMetrics } from '../metrics.ts';
import { EVENT_ZH, renderMessage, SEVERITY_ZH, type MessageValues } from '../message.ts';
import type { AlertConfig, CompiledRule } from '../rules/load.ts';
import type { CounterEventKind } from '../rules/schema.ts';
import type { AlertStore, StoredInstance } from '../store.ts';
import { normalState, observe, tick, type Condition, type Transition } from './lifecycle.ts';

/** One rule on one device (and point): its lifecycle and what the message needs. */
interface Slot extends StoredInstance {
  compiled: CompiledRule;
  dev: Device;
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

/** Evaluates the rules of one site against the data as it arrives. */
export class AlertEvaluator implements IngestObserver {
  private readonly now: () => number;
  private readonly points = new Map<string, PointWatch[]>();
  private readonly staleOf = new Map<string, Slot[]>();
  private readonly energy = new Map<string, Slot[]>();
  private readonly counters = new Map<string, Slot[]>();
  private readonly states = new Map<string, Slot[]>();
  private readonly stale: Slot[] = [];
  /** slots not normal: the timer looks at these only */
  private readonly active = new Set<Slot>();
  private readonly buildingNames: Map<string, string>;
  private readonly timeFormat: Intl.DateTimeFormat;
  private timer?: NodeJS.Timeout;

  constructor(private readonly opts: EvaluatorOptions) {
    this.now = opts.now ?? Date.now;
    this.buildingNames = new Map(opts.site.buildings.map((b) => [b.id, b.name]));
    this.timeFormat = new Intl.DateTimeFormat('sv-SE', { timeZone: opts.site.site.timezone ?? 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'medium' });
    const saved = new Map(opts.store.loadInstances().map((i) => [i.key, i]));
    const started = this.now();
    for (const compiled of opts.config.rules) {
      const r = compiled.rule;
      for (const dev of compiled.devices) {
        const point = r.kind === 'threshold' ? (r.point ?? 'interval_energy') : r.kind === 'stale' ? (r.point ?? '') : '';
        const key = `${r.id}|${dev.id}|${point}`;
        const sign = r.kind === 'threshold' && r.below !== undefined ? -1 : 1;
        const limit = r.kind === 'threshold' ? (r.above ?? r.below ?? 0) : 0;
        const recover = r.kind === 'threshold' ? (r.recover ?? limit) : 0;
        const prev = saved.get(key) ?? { ...normalState(), value: undefined };
        // every field written here, in one order and none added later: V8 keeps the slots fast objects (a spread
        // made them dictionaries, 100 times slower to read on the hot path)
        const slot: Slot = {
          key, rule: r.id, device: dev.id, point, compiled, dev,
          state: prev.state, since_ms: prev.since_ms, clear_since_ms: prev.clear_since_ms, breached: prev.breached, onsets: prev.onsets, value: prev.value,
          open_start: undefined, open_quantity: undefined, last_seen_ms: undefined, event: undefined, sign, limit, recover,
          rate_per_ms: compiled.rate_per_ms, escalation_settled: compiled.escalate_after_ms === 0,
        };
        if (slot.state !== 'normal') this.active.add(slot);
        if (r.kind === 'threshold' && r.point) watch(this.points, dev.id, r.point, slot);
        else if (r.kind === 'threshold') add(this.energy, dev.id, slot);
        else if (r.kind === 'counter') add(this.counters, dev.id, slot);
        else if (r.kind === 'device_state') add(this.states, dev.id, slot);
        else {
          slot.last_seen_ms = started; // a device never heard from is stale `after` the start, not at once
          this.stale.push(slot);
          add(this.staleOf, dev.id, slot);
        }
      }
    }
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
          const condition: Condition = x > s.sign * s.limit ? 'breach' : x <= s.sign * s.recover ? 'clear' : 'hold';
          // the common case, a normal value of a normal alert, changes nothing: no further work on the hot path
          if (condition === 'clear' && s.state === 'normal' && !s.breached) continue;
          accepted ??= r.names.includes(w.point); // a point the collector did not accept (e.g. held as implausible)
          if (accepted) this.apply(s, condition, r.ts, judged, changed);
        }
      }
    }
    if (energy) {
      for (const row of energy.rows) {
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

  /** The clock's part: staleness, pending alerts whose `for` elapsed, clear alerts whose keep_firing_for did. */
  tick(now_ms = this.now()): void {
    const changed: Slot[] = [];
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

  private apply(s: Slot, condition: Condition, at_ms: number, value: number | undefined, changed: Slot[]): void {
    if (value !== undefined) s.value = value;
    const t = observe(s, condition, at_ms, s.compiled);
    if (s.state !== 'normal') this.active.add(s);
    if (t) this.transition(s, t, at_ms, changed);
  }

  private transition(s: Slot, t: Transition, at_ms: number, changed: Slot[]): void {
    if (s.state === 'normal') this.active.delete(s);
    if (t === 'firing') s.escalation_settled = s.compiled.escalate_after_ms === 0; // a new firing may escalate again
    const message = renderMessage(s.compiled.message, this.values(s, t, at_ms));
    const r = s.compiled.rule;
    this.opts.store.recordTransition(stored(s), {
      key: s.key, rule: r.id, device: s.device, building: s.dev.building, point: s.point, severity: r.severity,
      transition: t, at_ms, value: s.value, message,
    }, s.compiled.channels, this.now());
    log.info({ rule: r.id, device: s.device, point: s.point, transition: t, value: s.value }, 'alert');
    alertMetrics.transitions.inc({ rule: r.id, severity: r.severity, transition: t });
    changed.push(s);
  }

  private flush(changed: Slot[]): void {
    if (changed.length > 0) this.opts.onTransition?.();
  }

  private values(s: Slot, t: Transition, at_ms: number): MessageValues {
    const r = s.compiled.rule;
    const threshold = r.kind === 'threshold' ? (r.above ?? r.below) : undefined;
    const recover = r.kind === 'threshold' ? (r.recover ?? threshold) : undefined;
    const symbol = r.kind === 'threshold' && r.interval_energy
      ? QUANTITY_UNIT[s.dev.medium ?? 'electricity']
      : unitOfPoint(s.point)?.symbol ?? '';
    const unit = r.kind === 'threshold' && r.rate_per ? `${symbol}/${r.rate_per}` : symbol;
    return {
      rule: r.id, rule_name: r.name, severity: r.severity, severity_zh: SEVERITY_ZH[r.severity],
      state_zh: t === 'firing' ? '告警' : '恢复', device: s.device, device_name: s.dev.name,
      building: s.dev.building, building_name: this.buildingNames.get(s.dev.building) ?? s.dev.building,
      point: r.kind === 'threshold' && r.interval_energy ? '15分钟能耗' : s.point || '数据',
      value: fmt(s.value), unit, threshold: fmt(threshold), recover: fmt(recover),
      event_zh: EVENT_ZH[s.event ?? (r.kind === 'stale' ? 'stale' : '')] ?? s.event ?? '',
      time: this.timeFormat.format(at_ms),
      link: (this.opts.config.board_url ?? '').replaceAll('{building}', encodeURIComponent(s.dev.building)).replaceAll('{device}', encodeURIComponent(s.device)),
    };
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

function fmt(v: number | undefined): string {
  return v === undefined ? '' : String(Number(v.toPrecision(6)));
}
