/**
 * The life of one alert instance (a rule on one device and point): normal → pending → firing → resolved (normal
 * again), as Grafana's Pending/Alerting/Resolved. A pure state machine: the evaluator feeds it conditions and
 * the clock, it answers with the transitions that notify. Two dampers keep a technician's phone quiet when a
 * signal hovers at its threshold (issue 14): the recovery threshold (the evaluator's `hold` band) and
 * `keep_firing_for` — a firing alert resolves only after its condition stayed clear that long; an instance whose
 * condition began `FLAP_ONSETS` times within `FLAP_WINDOW_MS` is flapping and must stay clear the whole window.
 */

/** What the evaluator saw: the condition is met, clear, or inside the hysteresis band (met for a firing alert). */
export type Condition = 'breach' | 'clear' | 'hold';

/** The part of an instance the lifecycle owns; stored as it changes (alerts/store.ts). */
export interface LifecycleState {
  state: 'normal' | 'pending' | 'firing';
  /** when the current state began (pending or firing), UTC epoch ms */
  since_ms: number;
  /** firing and clear since then */
  clear_since_ms?: number;
  /** the last condition was a breach */
  breached: boolean;
  /** when the condition began, within the flap window */
  onsets: number[];
}

/** How long conditions must hold. */
export interface LifecycleTiming {
  for_ms: number;
  keep_firing_for_ms: number;
}

/** A change that notifies. */
export type Transition = 'firing' | 'resolved';

/** Onsets within this window that make an instance flapping. */
export const FLAP_WINDOW_MS = 10 * 60_000;
export const FLAP_ONSETS = 3;

/** A new instance: normal, nothing seen. */
export function normalState(): LifecycleState {
  return { state: 'normal', since_ms: 0, breached: false, onsets: [] };
}

/** Flapping: the condition began at least FLAP_ONSETS times in the last FLAP_WINDOW_MS. */
export function isFlapping(s: LifecycleState, now_ms: number): boolean {
  let n = 0;
  for (const t of s.onsets) if (now_ms - t < FLAP_WINDOW_MS) n++;
  return n >= FLAP_ONSETS;
}

/** Apply a condition seen at `at_ms`; returns the transition it caused, if any. Mutates `s`. */
export function observe(s: LifecycleState, condition: Condition, at_ms: number, t: LifecycleTiming): Transition | undefined {
  if (condition === 'breach') {
    if (!s.breached) {
      s.onsets = s.onsets.filter((o) => at_ms - o < FLAP_WINDOW_MS);
      s.onsets.push(at_ms);
    }
    s.breached = true;
    if (s.state === 'firing') {
      s.clear_since_ms = undefined;
      return undefined;
    }
    if (s.state === 'normal') {
      s.state = 'pending';
      s.since_ms = at_ms;
    }
    return promote(s, at_ms, t);
  }
  s.breached = false;
  if (s.state === 'pending') {
    s.state = 'normal'; // a pending alert that did not last was never announced
    return undefined;
  }
  if (s.state !== 'firing') return undefined;
  if (condition === 'hold') {
    s.clear_since_ms = undefined;
    return undefined;
  }
  s.clear_since_ms ??= at_ms;
  return settle(s, at_ms, t);
}

/** The clock alone moves a pending alert to firing and a clear firing one to resolved. Mutates `s`. */
export function tick(s: LifecycleState, now_ms: number, t: LifecycleTiming): Transition | undefined {
  if (s.state === 'pending' && s.breached) return promote(s, now_ms, t);
  if (s.state === 'firing' && s.clear_since_ms !== undefined) return settle(s, now_ms, t);
  return undefined;
}

function promote(s: LifecycleState, now_ms: number, t: LifecycleTiming): Transition | undefined {
  if (now_ms - s.since_ms < t.for_ms) return undefined;
  s.state = 'firing';
  s.since_ms = now_ms;
  s.clear_since_ms = undefined;
  return 'firing';
}

function settle(s: LifecycleState, now_ms: number, t: LifecycleTiming): Transition | undefined {
  const keep = isFlapping(s, now_ms) ? Math.max(t.keep_firing_for_ms, FLAP_WINDOW_MS) : t.keep_firing_for_ms;
  if (now_ms - (s.clear_since_ms as number) < keep) return undefined;
  s.state = 'normal';
  s.since_ms = now_ms;
  s.clear_since_ms = undefined;
  return 'resolved';
}
