/**
 * How much a cumulative register advanced between two readings, telling a normal advance apart from a counter
 * reset, a register roll-over and a meter replacement. Pure: no state, no I/O.
 *
 * Values are canonical (DESIGN.md boundary 3): the gateway has already applied CT and PT ratios, so a
 * multiplier is never applied here (doing it again would multiply the energy twice).
 */

/** One reading of a cumulative register: UTC epoch ms and the value in the point's unit (kWh, m³ …). */
export interface CounterReading {
  ts: number;
  value: number;
}

/** A meter swapped for a new one: the old register's last value and the new register's first value. */
export interface MeterReplacement {
  /** instant of the swap, UTC epoch ms: readings before it are from the old meter, from it on from the new */
  at_ms: number;
  old_final: number;
  new_initial: number;
}

/** Per-meter rules for reading its register. */
export interface CounterRules {
  /** value at which the register wraps back to zero (in the point's unit), when known */
  rollover?: number;
  /** replacements in time order */
  replacements: MeterReplacement[];
  /** a segment longer than this is a gap: its energy is spread over it and flagged estimated */
  gap_ms: number;
}

/** What happened between two readings. */
export type SegmentKind = 'advance' | 'reset' | 'rollover' | 'replacement';

/** The quantity that flowed between two readings, and whether it is an estimate. */
export interface SegmentQuantity {
  quantity: number;
  kind: SegmentKind;
  /** true for a gap (only the total is known, not when it flowed) and for a reset (the part before the reset is unknown) */
  estimated: boolean;
}

/** The quantity between readings `a` and `b` (a.ts < b.ts). */
export function segmentQuantity(a: CounterReading, b: CounterReading, rules: CounterRules): SegmentQuantity {
  const gap = b.ts - a.ts > rules.gap_ms;
  const swaps = rules.replacements.filter((r) => r.at_ms > a.ts && r.at_ms <= b.ts);
  if (swaps.length > 0) {
    // Old register from a to its final value, then each new register from its initial value onwards.
    let quantity = swaps[0].old_final - a.value;
    for (let i = 1; i < swaps.length; i++) quantity += swaps[i].old_final - swaps[i - 1].new_initial;
    quantity += b.value - swaps[swaps.length - 1].new_initial;
    // A configured final below a reading already seen is a configuration slip: never invent negative energy.
    return { quantity: Math.max(0, quantity), kind: 'replacement', estimated: gap || quantity < 0 };
  }
  if (b.value >= a.value) return { quantity: b.value - a.value, kind: 'advance', estimated: gap };
  const wrap = rules.rollover;
  // RFC 1982 serial-number arithmetic: a decrease is a wrap when the wrapped distance is under half the range.
  if (wrap !== undefined && wrap > 0 && wrap - a.value + b.value < wrap / 2 && a.value <= wrap) {
    return { quantity: wrap - a.value + b.value, kind: 'rollover', estimated: gap };
  }
  // Reset to zero at an unknown instant: what flowed since then is b's value; what flowed before it is lost.
  return { quantity: b.value, kind: 'reset', estimated: true };
}
