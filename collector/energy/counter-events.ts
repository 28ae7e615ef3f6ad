/**
 * Counter events worth a person's attention (issue 12.3): a reading held as implausible (a jump beyond what the
 * meter can deliver: not counted, dead-lettered as `implausible`), and a new track accepted after such a jump
 * (an unconfigured meter swap, or a register that now reads differently: the jump itself counted as 0). Each is
 * stored as a `counter_event` row (core/measurements.ts), which Grafana alert rules and the API can query.
 */
import { MEASUREMENT } from '../../core/measurements.ts';
import { seriesPrefix } from '../../storage/line-protocol.ts';
import type { Rejection } from '../validate.ts';
import { plausibleQuantity, segmentQuantity, type CounterReading } from './counter.ts';
import type { MeterEnergy } from './meter-energy.ts';

/** One counter event of one meter. */
export interface CounterEvent {
  tags: { site: string; building: string; meter: string; medium: string };
  point: string;
  kind: 'implausible' | 'new_track';
  reading: CounterReading;
  /** what the jump from the last accepted reading claimed, in the point's unit (not counted) */
  claimed_quantity: number;
  /** the most the meter could plausibly deliver over the same time */
  plausible_quantity: number;
}

/** The event of a reading `add` just judged implausible or whose track it just accepted. */
export function counterEvent(m: MeterEnergy, reading: CounterReading, kind: CounterEvent['kind'], tags: CounterEvent['tags'], point: string): CounterEvent {
  // A new track: the jump onto it. Else the jump from the last accepted reading before this one.
  let [from, r]: [CounterReading | undefined, CounterReading] = [undefined, reading];
  if (kind === 'new_track' && m.lastJump) [from, r] = m.lastJump;
  else {
    let i = m.readings.length - 1;
    while (i > 0 && m.readings[i].ts >= r.ts) i--;
    from = m.readings[i];
  }
  const claimed = from && from.ts < r.ts ? segmentQuantity(from, r, m.rules).claimed ?? Math.abs(r.value - from.value) : Math.abs(r.value - (from?.value ?? r.value));
  const plausible = from && from.ts < r.ts ? plausibleQuantity(r.ts - from.ts, m.rules) : 0;
  return { tags, point, kind, reading: r, claimed_quantity: claimed, plausible_quantity: plausible };
}

/** The dead-letter rejection of an implausible reading. */
export function implausibleRejection(e: CounterEvent): Rejection {
  return {
    reason: 'implausible', device: e.tags.meter, point: e.point,
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
