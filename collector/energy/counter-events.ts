/**
 * Counter events worth a person's attention (issue 12.3): a reading held as implausible (a jump beyond what the
 * meter can deliver: not counted, dead-lettered as `implausible`), a new track accepted after such a jump (an
 * unconfigured meter swap, or a register that now reads differently: the jump itself counted as 0), a confirmed
 * reset and a roll-over. Each is stored as a `counter_event` row (core/measurements.ts), which alert rules and
 * the API can query.
 */
import { MEASUREMENT } from '../../core/measurements.ts';
import { seriesPrefix } from '../../storage/line-protocol.ts';
import type { Rejection } from '../validate.ts';
import { plausibleQuantity, segmentQuantity, type CounterReading } from './counter.ts';
import type { MeterEnergy } from './meter-energy.ts';

/** What a counter event reports: an implausible reading, a new track, a confirmed reset, a roll-over. */
export type CounterEventKind = 'implausible' | 'new_track' | 'reset' | 'rollover';

/** Is a reading's outcome an event worth storing? */
export function isCounterEvent(outcome: string): outcome is CounterEventKind {
  return outcome === 'implausible' || outcome === 'new_track' || outcome === 'reset' || outcome === 'rollover';
}

/** One counter event of one meter. */
export interface CounterEvent {
  tags: { site: string; building: string; meter: string; medium: string };
  point: string;
  kind: CounterEventKind;
  reading: CounterReading;
  /** what the readings imply flowed, in the point's unit: not counted (implausible, new_track) or counted (reset, rollover) */
  claimed_quantity: number;
  /** the most the meter could plausibly deliver over the same time */
  plausible_quantity: number;
}

/** The event of a reading `add` just judged implausible or whose track it just accepted. */
export function counterEvent(m: MeterEnergy, reading: CounterReading, kind: CounterEvent['kind'], tags: CounterEvent['tags'], point: string): CounterEvent {
  // A new track or a reset: the jump the held readings made. Else the step from the accepted reading before.
  let [from, r]: [CounterReading | undefined, CounterReading] = [undefined, reading];
  if ((kind === 'new_track' || kind === 'reset') && m.lastJump) [from, r] = m.lastJump;
  else {
    let i = m.readings.length - 1;
    while (i > 0 && m.readings.tsAt(i) >= r.ts) i--;
    from = m.readings.at(i);
  }
  const seg = from && from.ts < r.ts ? segmentQuantity(from, r, m.rules) : undefined;
  const claimed = seg ? seg.claimed ?? seg.quantity : 0;
  const plausible = from && from.ts < r.ts ? plausibleQuantity(r.ts - from.ts, m.rules) : 0;
  return { tags, point, kind, reading: r, claimed_quantity: claimed, plausible_quantity: plausible };
}

/** The dead-letter rejection of an implausible reading. */
export function implausibleRejection(e: CounterEvent): Rejection {
  return {
    reason: 'implausible', device: e.tags.meter, point: e.point, ts: e.reading.ts,
    detail: `${e.point} = ${e.reading.value} at ${e.reading.ts} claims ${round(e.claimed_quantity)} since the last accepted reading, more than the ${round(e.plausible_quantity)} the meter can deliver in that time: not counted`,
  };
}

/** Events as line protocol rows of `counter_event` (tags site, building, meter, medium, kind). */
export function counterEventLines(events: readonly CounterEvent[]): string {
  let text = '';
  for (const e of events) {
    const plausible = Number.isFinite(e.plausible_quantity) ? `,plausible_quantity=${round(e.plausible_quantity)}` : '';
    text += `${seriesPrefix(MEASUREMENT.counterEvent, { ...e.tags, kind: e.kind })} value=${e.reading.value},claimed_quantity=${round(e.claimed_quantity)}${plausible} ${e.reading.ts}\n`;
  }
  return text;
}

function round(q: number): number {
  return Math.round(q * 1e6) / 1e6;
}
