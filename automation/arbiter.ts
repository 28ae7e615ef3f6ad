/**
 * One commanded point: what each layer of automation asks for — a manual override, the demand limiter, a schedule —
 * and which writes bring the device there within the point's limits and interlocks (pure; the runtime sends).
 *
 * BACnet points keep BACnet's own priority array (clause 19.2): each layer writes at its own priority and
 * relinquishes (NULL) when it lets go, so the device resolves them and an operator's write at a higher priority
 * wins whatever automation does. Modbus and MQTT-native points have no priorities: the arbiter resolves the layers
 * (override before demand before schedule) and writes the winner, or the point's `release_value` when none holds.
 * Interlocks act on changes of the device's value: min/max refuse, `max_step_per_min` ramps in steps,
 * `min_on_s`/`min_off_s` defer a switch of a binary (`…_on`) point. A release is never interlocked: it hands the
 * point to the next priority or the device's own default, which automation does not command.
 * After a start automation does not know what its programmes left at a BACnet device (a restart while a load was
 * shed): the first plan relinquishes the demand and schedule priorities that no layer asks for. The override
 * priority is left alone — it is also the operator's (stored overrides are written again).
 */
import type { CommandedPoint } from './schema.ts';

/** The layers, highest first. */
export const LAYERS = ['override', 'demand', 'schedule'] as const;
export type Layer = typeof LAYERS[number];

/** A write to send (value null: relinquish at `priority`). */
export interface PlannedWrite {
  device: string;
  point: string;
  value: number | null;
  priority?: number;
  /** `manual`: a one-off command from the API, outside the layers */
  layer: Layer | 'manual';
  /** who asked: `schedule:<id>`, `demand:<id>`, `override:<who>` */
  origin: string;
  /** why the value differs from what was asked (a ramp step) */
  note?: string;
}

/** A request that produced no write, once per value: refused by a limit or deferred by an interlock. */
export interface HeldRequest {
  device: string;
  point: string;
  value: number;
  priority?: number;
  layer: Layer;
  origin: string;
  outcome: 'refused' | 'deferred';
  detail: string;
}

interface Ask { value: number | null; origin: string }

/** The state of one commanded point. */
export class PointArbiter {
  private readonly asked = new Map<Layer, Ask>();
  /** BACnet: what each layer's priority holds from us; others: the single written value under 'schedule' */
  private readonly written = new Map<Layer, number | null>();
  private readonly held = new Map<Layer, string>();
  /** BACnet layers whose priority may still hold a value from before a restart */
  private readonly unsure = new Set<Layer>(['demand', 'schedule']);
  private lastChangeMs = -Infinity;
  private lastWriteMs = -Infinity;

  constructor(
    readonly cfg: CommandedPoint & { bacnet: boolean },
    private readonly priorities: Record<Layer, number>,
  ) {}

  /** A layer asks for a value (null: it lets go). */
  ask(layer: Layer, value: number | null, origin: string): void {
    this.asked.set(layer, { value, origin });
  }

  /** What a layer asks for now. */
  asking(layer: Layer): Ask | undefined {
    return this.asked.get(layer);
  }

  /** The value automation last made effective at the device, if known. */
  effective(): number | undefined {
    if (!this.cfg.bacnet) return this.written.get('schedule') ?? undefined;
    for (const l of LAYERS) {
      const v = this.written.get(l);
      if (v !== null && v !== undefined) return v;
    }
    return undefined;
  }

  /**
   * The writes due now and the requests held back; `measured` is the device's last reading, the reference of
   * the ramp and the on/off timers before automation wrote anything.
   */
  plan(nowMs: number, measured?: number): { writes: PlannedWrite[]; held: HeldRequest[] } {
    const writes: PlannedWrite[] = [];
    const held: HeldRequest[] = [];
    const { device, point } = this.cfg;
    if (!this.cfg.bacnet) {
      const winner = LAYERS.map((l) => [l, this.asked.get(l)] as const).find(([, a]) => a && a.value !== null);
      const layer: Layer = winner?.[0] ?? 'schedule';
      const ask: Ask = winner?.[1] ?? { value: this.cfg.release_value ?? null, origin: this.asked.get('schedule')?.origin ?? 'release' };
      if (ask.value === null || ask.value === this.written.get('schedule') || this.held.get(layer) === `refused:${ask.value}`) return { writes, held };
      const step = this.check(layer, ask, nowMs, this.effective() ?? measured, held);
      if (step !== undefined) writes.push({ device, point, value: step.value, layer, origin: ask.origin, ...(step.note ? { note: step.note } : {}) });
      return { writes, held };
    }
    for (const layer of LAYERS) {
      const ask = this.asked.get(layer);
      const want = ask?.value ?? null;
      const has = this.written.get(layer);
      if (want === has || (want === null && has === undefined && !this.unsure.has(layer))) continue;
      const priority = this.priorities[layer];
      if (this.held.get(layer) === `refused:${want}`) continue;
      if (want === null) {
        writes.push({ device, point, value: null, priority, layer, origin: ask?.origin ?? 'start' });
        continue;
      }
      // a layer under a higher one that holds the point does not change the device's value now: no interlock
      const masked = LAYERS.slice(0, LAYERS.indexOf(layer)).some((l) => this.written.get(l) !== null && this.written.get(l) !== undefined);
      const step = masked ? { value: want } : this.check(layer, ask!, nowMs, this.effective() ?? measured, held);
      if (step !== undefined) writes.push({ device, point, value: step.value, priority, layer, origin: ask!.origin, ...(step.note ? { note: step.note } : {}) });
    }
    return { writes, held };
  }

  /** Record a write the device acknowledged (or a dry-run's, as if it had). */
  confirm(w: PlannedWrite, nowMs: number): void {
    if (w.layer === 'manual') return;
    this.unsure.delete(w.layer);
    const before = this.effective();
    this.written.set(this.cfg.bacnet ? w.layer : 'schedule', w.value);
    this.held.delete(w.layer);
    this.lastWriteMs = nowMs;
    if (this.effective() !== before) this.lastChangeMs = nowMs;
  }

  /** The gateway refused this write (nothing sent): do not send the same value again for this layer. */
  refusedByDevice(w: PlannedWrite): void {
    if (w.layer !== 'manual') this.held.set(w.layer, `refused:${w.value}`);
  }

  /** Forget what the device holds (it restarted, or a write failed): the next plan writes again. */
  forget(layer: Layer): void {
    this.written.delete(this.cfg.bacnet ? layer : 'schedule');
  }

  /** Limits and interlocks for a change from `current` to the asked value; undefined: nothing to write now. */
  private check(layer: Layer, ask: Ask, nowMs: number, current: number | undefined, held: HeldRequest[]): { value: number; note?: string } | undefined {
    const value = ask.value as number;
    const { min, max, max_step_per_min, min_on_s, min_off_s } = this.cfg;
    const hold = (outcome: HeldRequest['outcome'], detail: string) => {
      const key = `${outcome}:${value}`;
      if (this.held.get(layer) === key) return undefined; // told once
      this.held.set(layer, key);
      held.push({ device: this.cfg.device, point: this.cfg.point, value, layer, origin: ask.origin, outcome, detail, ...(this.cfg.bacnet ? { priority: this.priorities[layer] } : {}) });
      return undefined;
    };
    if (min !== undefined && value < min) return hold('refused', `${value} is below the point's minimum ${min}`);
    if (max !== undefined && value > max) return hold('refused', `${value} is above the point's maximum ${max}`);
    if (current === undefined || current === value) return { value };
    if (this.cfg.point.endsWith('_on')) {
      const since = (nowMs - this.lastChangeMs) / 1000;
      if (current >= 0.5 && value < 0.5 && min_on_s !== undefined && since < min_on_s) return hold('deferred', `minimum on time ${min_on_s} s: on for ${Math.round(since)} s`);
      if (current < 0.5 && value >= 0.5 && min_off_s !== undefined && since < min_off_s) return hold('deferred', `minimum off time ${min_off_s} s: off for ${Math.round(since)} s`);
      return { value };
    }
    if (max_step_per_min !== undefined) {
      const minutes = Number.isFinite(this.lastWriteMs) ? Math.max(1, (nowMs - this.lastWriteMs) / 60_000) : 1;
      const step = max_step_per_min * minutes;
      if (Math.abs(value - current) > step) {
        const next = Math.round((current + Math.sign(value - current) * step) * 1000) / 1000;
        return { value: next, note: `ramping to ${value} at ${max_step_per_min} per minute` };
      }
    }
    return { value };
  }
}
