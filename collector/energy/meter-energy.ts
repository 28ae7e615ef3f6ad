/**
 * Interval energy of one meter from its cumulative register (DESIGN.md D3). Keeps the readings of a recent
 * window so that a late or out-of-order reading re-splits the segment it falls into, and the running totals of
 * every 15-minute interval still open to change. Totals are what storage receives: writing a total twice is
 * harmless (writes are idempotent by series and time), so a replay never double-counts.
 */
import { INTERVAL_15M_MS } from '../../core/measurements.ts';
import { apportion } from './apportion.ts';
import { segmentQuantity, type CounterReading, type CounterRules, type SegmentQuantity } from './counter.ts';
import { ReadingTrack } from './reading-track.ts';

/** A drop of at most this fraction of the register's value is read noise, not a reset (0.1 %). */
export const JITTER_FRACTION = 1e-3;

/**
 * Readings off the accepted track (each step plausible, but the jump onto it not) become the new track only
 * when at least this many of them span at least the meter's gap threshold: a bus error or a mis-decoded
 * register lasts a poll or a few, a swapped meter nobody configured stays (issue 12.3). A drop that would be a
 * plausible reset needs one reading continuing from it: a spike that returns to the old track is a glitch.
 */
export const NEW_TRACK_READINGS = 3;

/** The quantity in one interval and how many estimated segments contributed to it. */
export interface IntervalTotal {
  quantity: number;
  /** number of estimated segments (gap, reset) that put quantity here; > 0 means the total is an estimate */
  estimated: number;
}

/**
 * A row's total with its provenance (issue 12): the 15-minute intervals it adds up, how many of them hold an
 * estimate, and the quantity of those. An interval is estimated as a whole when any estimated segment reached it.
 */
export interface RowTotal extends IntervalTotal {
  intervals: number;
  intervals_estimated: number;
  estimated_quantity: number;
}

/** The provenance of one interval's total, as a row. */
export function intervalRow(t: IntervalTotal): RowTotal {
  const est = t.estimated > 0;
  return { quantity: t.quantity, estimated: t.estimated, intervals: 1, intervals_estimated: est ? 1 : 0, estimated_quantity: est ? t.quantity : 0 };
}

/** What became of a reading handed to `add`. */
export type ReadingOutcome =
  | 'first'           // the meter's first reading: the baseline, no energy yet
  | 'appended'        // newer than every reading: one new segment
  | 'rollover'        // appended across a register roll-over (counted through the wrap)
  | 'inserted'        // late, inside the window: the segment it falls into was split and re-apportioned
  | 'duplicate'       // a reading with this timestamp is already known: ignored
  | 'jitter'          // newer but a hair below the last reading (read noise): ignored, the baseline stays
  | 'beyond_horizon'  // older than the window: its segment was already settled and pruned, energy unchanged
  | 'implausible'     // a jump beyond what the meter can deliver in the time: not counted, held as a suspect
  | 'reset_held'      // a drop that looks like a reset: held until the next reading tells a reset from a glitch
  | 'reset'           // the reading after a held drop continues from it: the reset is counted (estimated)
  | 'new_track'       // the suspects held a consistent track long enough: accepted, the jump itself counted as 0
  | 'glitch_ended';   // back on the accepted track after suspects: appended, the suspects dropped as a glitch

/** Counter state and interval totals of one meter. */
export class MeterEnergy {
  /** readings in time order; readings[0] may be older than the horizon when it anchors the first segment */
  readonly readings = new ReadingTrack();
  readonly intervals = new Map<number, IntervalTotal>();
  /** totals per day (by the start `dayOf` gives an interval) with their provenance, kept with the intervals: no summing per batch */
  readonly days = new Map<number, RowTotal>();
  /** true once readings were dropped from the front: a reading before readings[0] can no longer be placed */
  evicted = false;
  /**
   * newer readings implausible from the last accepted one, consistent among themselves, oldest first (memory
   * only: a restart forgets them and starts over). Empty again when a reading returns to the accepted track:
   * the spike was a glitch, not a reset.
   */
  readonly suspects: CounterReading[] = [];
  /** the jump the last `new_track` or `reset` accepted: [last reading of the old track, first of the new] */
  lastJump?: [CounterReading, CounterReading];

  constructor(
    readonly rules: CounterRules,
    readonly horizon_ms: number,
    readonly interval_ms = INTERVAL_15M_MS,
    /** the start of the day holding an instant (the site's local day); default UTC days */
    readonly dayOf: (ms: number) => number = (ms) => ms - (ms % 86_400_000),
  ) {}

  /**
   * Add one reading; the starts of intervals whose totals changed are added to `touched`, and the readings now
   * part of the counter track (to persist) to `accepted`.
   */
  add(r: CounterReading, touched: Set<number>, accepted?: CounterReading[]): ReadingOutcome {
    const rs = this.readings;
    const n = rs.length;
    const last = rs.last();
    if (!last) {
      rs.push(r);
      accepted?.push(r);
      return 'first';
    }
    // A counter a hair below the previous reading is read noise (float registers, a meter rounding
    // differently between registers), not a reset: a reset would count the whole register again as a spike.
    if (r.ts > last.ts && r.value < last.value && last.value - r.value <= JITTER_FRACTION * last.value && !this.replacedBetween(last.ts, r.ts)) {
      this.suspects.length = 0;
      return 'jitter';
    }
    if (r.ts > last.ts) {
      const seg = segmentQuantity(last, r, this.rules);
      if (seg.kind === 'implausible' || seg.kind === 'reset') return this.suspect(r, touched, accepted);
      const glitch = this.suspects.length > 0;
      this.suspects.length = 0; // back on the accepted track: whatever was held was a glitch, not a reset
      this.append(r, touched, accepted, seg);
      return glitch ? 'glitch_ended' : seg.kind === 'rollover' ? 'rollover' : 'appended';
    }
    const i = rs.lowerBound(r.ts);
    if (i < n && rs.tsAt(i) === r.ts) return 'duplicate';
    if (i === 0) {
      // Before the first reading: only placeable while nothing before it was ever settled.
      if (this.evicted) return 'beyond_horizon';
      const first = rs.at(0)!;
      if (this.implausible(r, first)) return 'implausible';
      rs.insert(0, r);
      accepted?.push(r);
      this.addSegment(r, first, +1, touched);
      return 'inserted';
    }
    const before = rs.at(i - 1)!;
    const after = rs.at(i)!;
    // A late reading may not add an implausible segment (it may split one that already was).
    const bad = Number(this.implausible(before, r)) + Number(this.implausible(r, after));
    if (bad > Number(this.implausible(before, after))) return 'implausible';
    this.addSegment(before, after, -1, touched);
    rs.insert(i, r);
    accepted?.push(r);
    this.addSegment(before, r, +1, touched);
    this.addSegment(r, after, +1, touched);
    return 'inserted';
  }

  /**
   * Hold a reading off the accepted track; accept the held ones once they make a track of their own: two
   * readings after a plausible reset, `NEW_TRACK_READINGS` over the gap threshold after an implausible jump.
   */
  private suspect(r: CounterReading, touched: Set<number>, accepted?: CounterReading[]): ReadingOutcome {
    const held = this.suspects;
    if (held.some((h) => h.ts === r.ts)) return 'duplicate'; // a redelivered held reading changes nothing
    const prev = held[held.length - 1];
    const onTrack = prev !== undefined && r.ts > prev.ts && segmentQuantity(prev, r, this.rules).kind === 'advance';
    if (!onTrack) held.length = 0;
    held.push(r);
    const last = this.readings.last()!;
    const jump = segmentQuantity(last, held[0], this.rules).kind;
    if (jump === 'reset' ? held.length < 2 : held.length < NEW_TRACK_READINGS || held[held.length - 1].ts - held[0].ts < this.rules.gap_ms) {
      return jump === 'reset' ? 'reset_held' : 'implausible';
    }
    this.lastJump = [last, held[0]];
    for (const x of held) this.append(x, touched, accepted);
    held.length = 0;
    return jump === 'reset' ? 'reset' : 'new_track';
  }

  /** What the held readings wait for: a reset's confirmation, a new track after an implausible jump, or nothing. */
  heldKind(): 'reset' | 'implausible' | undefined {
    if (this.suspects.length === 0) return undefined;
    return segmentQuantity(this.readings.last()!, this.suspects[0], this.rules).kind === 'reset' ? 'reset' : 'implausible';
  }

  /** Append a reading after the last; `seg` is its segment from the last when already computed. */
  private append(r: CounterReading, touched: Set<number>, accepted?: CounterReading[], seg?: SegmentQuantity): void {
    const last = this.readings.last()!;
    this.readings.push(r);
    accepted?.push(r);
    this.addSegment(last, r, +1, touched, seg);
    this.evict();
  }

  private implausible(a: CounterReading, b: CounterReading): boolean {
    return segmentQuantity(a, b, this.rules).kind === 'implausible';
  }

  /** The total of the day starting at `day_ms` (a start `dayOf` gives), zero when nothing is known of it. */
  dayTotal(day_ms: number): RowTotal {
    return this.days.get(day_ms) ?? { quantity: 0, estimated: 0, intervals: 0, intervals_estimated: 0, estimated_quantity: 0 };
  }

  /**
   * Forget interval totals that start before `before_ms` (they can no longer change), and the totals of days
   * starting before it; `before_ms` should be a day start. Returns how many intervals.
   */
  pruneIntervals(before_ms: number): number {
    let dropped = 0;
    for (const start of this.intervals.keys()) {
      if (start < before_ms) {
        this.intervals.delete(start);
        dropped++;
      }
    }
    for (const day of this.days.keys()) if (day < before_ms) this.days.delete(day);
    return dropped;
  }

  /** The timestamp of the oldest reading kept, or undefined before the first. */
  oldestTs(): number | undefined {
    return this.readings.length > 0 ? this.readings.tsAt(0) : undefined;
  }

  /** Restore persisted state (readings in time order, interval totals) without recomputing. */
  restore(readings: Iterable<CounterReading>, intervals: Iterable<[number, IntervalTotal]>, evicted: boolean): void {
    const held = [...readings]; // may be this meter's own track
    this.readings.clear();
    for (const r of held) this.readings.push(r);
    this.intervals.clear();
    this.days.clear();
    for (const [start, total] of intervals) {
      this.intervals.set(start, total);
      const day = this.dayAt(start);
      day.intervals++;
      day.quantity += total.quantity;
      day.estimated += total.estimated;
      if (total.estimated > 0) {
        day.intervals_estimated++;
        day.estimated_quantity += total.quantity;
      }
    }
    this.evicted = evicted;
    // The state database forgets settled readings only now and then: trim what it still held as memory had.
    if (this.readings.length > 0) this.evict();
  }

  private addSegment(a: CounterReading, b: CounterReading, sign: 1 | -1, touched: Set<number>, known?: SegmentQuantity): void {
    const seg = known ?? segmentQuantity(a, b, this.rules);
    const est = seg.estimated ? sign : 0;
    apportion(a.ts, b.ts, seg.quantity, this.interval_ms, (start, share) => {
      let t = this.intervals.get(start);
      const day = this.dayAt(start);
      if (!t) {
        t = { quantity: 0, estimated: 0 };
        this.intervals.set(start, t);
        day.intervals++;
      }
      this.changeInterval(day, t, sign * share, est);
      touched.add(start);
    });
  }

  /** Add to an interval's total and keep its day's total and provenance in step. */
  private changeInterval(day: RowTotal, t: IntervalTotal, quantity: number, estimated: number): void {
    if (t.estimated > 0) { // take the interval out of the day's estimated part, then put it back as it becomes
      day.intervals_estimated--;
      day.estimated_quantity -= t.quantity;
    }
    t.quantity += quantity;
    t.estimated += estimated;
    day.quantity += quantity;
    day.estimated += estimated;
    if (t.estimated > 0) {
      day.intervals_estimated++;
      day.estimated_quantity += t.quantity;
    }
  }

  /** The day total holding an interval, created empty. */
  private dayAt(start: number): RowTotal {
    const key = this.dayOf(start);
    let d = this.days.get(key);
    if (!d) this.days.set(key, (d = { quantity: 0, estimated: 0, intervals: 0, intervals_estimated: 0, estimated_quantity: 0 }));
    return d;
  }

  private replacedBetween(from_ms: number, to_ms: number): boolean {
    return this.rules.replacements.some((x) => x.at_ms > from_ms && x.at_ms <= to_ms);
  }

  /** Keep the readings of the horizon plus the one before them, which anchors the first segment. */
  private evict(): void {
    const rs = this.readings;
    const newest = rs.tsAt(rs.length - 1);
    let drop = 0;
    while (drop + 1 < rs.length - 1 && rs.tsAt(drop + 1) < newest - this.horizon_ms) drop++;
    if (drop > 0) {
      rs.dropOldest(drop);
      this.evicted = true;
    }
  }
}

/** A total rounded for storage: µ-units (1 mWh for kWh) absorb the float noise of adding and removing shares. */
export function roundQuantity(q: number): number {
  const r = Math.round(q * 1e6) / 1e6;
  return r === 0 ? 0 : r; // no -0
}
