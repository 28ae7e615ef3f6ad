/**
 * How much a cumulative register advanced between two readings, telling a normal advance apart from a counter
 * reset, a register roll-over and a meter replacement, and any of them apart from an implausible jump beyond what
 * the meter can deliver in the time (issue 12.3, decision 0307). Pure: no state, no I/O.
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
  /**
   * the most the register can advance per hour, in the point's unit (kWh per hour = the meter's maximum power
   * in kW); unknown: no bound. A segment claiming more than `plausibleQuantity` allows is `implausible`.
   */
  max_rate_per_h?: number;
}

/**
 * Headroom over the maximum rate before a segment is implausible: ×2 absorbs timestamps taken when the poll was
 * sent rather than when the register was read (up to half a poll interval early or late) and a meter run above
 * its rating for a while; it stays orders of magnitude below the jumps it must catch (issue 12.3: +1 GWh).
 */
export const PLAUSIBILITY_MARGIN = 2;

/**
 * Segments shorter than this are bounded as if they lasted this long: a register of coarse resolution (0.01 kWh
 * × CT 200 × PT 10 = 20 kWh per step) can show a whole step in a short poll without being implausible.
 */
export const PLAUSIBILITY_MIN_WINDOW_MS = 60_000;

/** The most a register can plausibly advance in `elapsed_ms`, or Infinity when its maximum rate is unknown. */
export function plausibleQuantity(elapsed_ms: number, rules: CounterRules): number {
  const rate = rules.max_rate_per_h;
  if (rate === undefined || !(rate > 0)) return Infinity;
  return (rate * PLAUSIBILITY_MARGIN * Math.max(elapsed_ms, PLAUSIBILITY_MIN_WINDOW_MS)) / 3_600_000;
}

/** What happened between two readings; `implausible`: more than the meter can deliver in the time, counted as 0. */
export type SegmentKind = 'advance' | 'reset' | 'rollover' | 'replacement' | 'implausible';

/** The quantity that flowed between two readings, and whether it is an estimate. */
export interface SegmentQuantity {
  quantity: number;
  kind: SegmentKind;
  /** true for a gap (only the total is known, not when it flowed) and for a reset (the part before the reset is unknown) */
  estimated: boolean;
  /** for `implausible`: the quantity the readings claimed, which was not counted */
  claimed?: number;
}

/**
 * The quantity between readings `a` and `b` (a.ts < b.ts). A quantity beyond `plausibleQuantity` (a phantom
 * jump, a reset or roll-over that would count more than the meter can deliver) is `implausible`: 0, estimated.
 */
export function segmentQuantity(a: CounterReading, b: CounterReading, rules: CounterRules): SegmentQuantity {
  const seg = rawSegment(a, b, rules);
  const bound = plausibleQuantity(b.ts - a.ts, rules);
  if (seg.quantity <= bound) return seg;
  // A drop read as a roll-over that would count too much may still be a plausible reset to zero.
  if (seg.kind === 'rollover' && b.value <= bound) return { quantity: b.value, kind: 'reset', estimated: true };
  return { quantity: 0, kind: 'implausible', estimated: true, claimed: seg.quantity };
}

/** The quantity between two readings by the register's rules alone, before the plausibility bound. */
function rawSegment(a: CounterReading, b: CounterReading, rules: CounterRules): SegmentQuantity {
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
