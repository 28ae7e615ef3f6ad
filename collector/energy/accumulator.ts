/**
 * The energy accumulator (D3): each meter's counter state, advanced by the accepted counter readings of a batch,
 * and the energy rows the batch changed — every touched 15-minute interval and local day, per meter, per
 * building × category and per virtual meter (collector/rollups.ts). It renders nothing and commits nothing: the
 * ingestor turns its rows into lines and commits them with the counter changes it reports.
 */
import { MEASUREMENT } from '../../core/measurements.ts';
import type { Medium, SiteModel } from '../../core/site/schema.ts';
import type { AcceptedReading, SiteIndex } from '../batch-judge.ts';
import type { LocalDays } from '../../core/time.ts';
import { rollupGroups, siteRollupGroups, type RollupGroup } from '../rollups.ts';
import type { BatchChanges, MeterSnapshot } from '../state-store.ts';
import type { CounterReading } from './counter.ts';
import { collectorMetrics as metrics } from '../metrics.ts';
import type { Rejection } from '../validate.ts';
import { counterEvent, implausibleRejection, isCounterEvent, type CounterEvent } from './counter-events.ts';
import { meterCounterRules } from './meter-rules.ts';
import { intervalRow, MeterEnergy, type ReadingOutcome, type RowTotal } from './meter-energy.ts';

/** A series of energy rows: its measurements (15-minute and daily), its tags and the medium of its quantity. */
export interface EnergySeries {
  quarterMeasurement: string;
  dayMeasurement: string;
  tags: Readonly<Record<string, string>>;
  medium: Medium;
}

/** One energy row: a series' total for the interval or the local day starting at `time`, with its provenance. */
export interface EnergyRow {
  series: EnergySeries;
  daily: boolean;
  time: number;
  total: RowTotal;
}

/** What one batch changed: the rows to store and the counter state to commit with them. */
export interface EnergyChanges extends Pick<BatchChanges, 'readings' | 'intervals' | 'evicted'> {
  rows: EnergyRow[];
  /** implausible counter readings: their point is taken out of the accepted reading's `names` (not stored) */
  rejected: Rejection[];
  /** counter events to store (implausible readings, new tracks, resets, roll-overs) */
  events: CounterEvent[];
  /** counter readings by outcome (for the metric) */
  outcomes: Map<ReadingOutcome, number>;
  /** what a technician may want to hear of: resets, roll-overs, implausible readings, new tracks (issue 14) */
  anomalies: CounterAnomaly[];
}

/** A counter reading that was not a plain advance, per meter (for alert rules of kind `counter`). */
export interface CounterAnomaly {
  meter: string;
  point: string;
  kind: 'reset' | 'rollover' | 'implausible' | 'new_track';
  ts: number;
  /** the register's reading, in the point's unit */
  value: number;
}

/** Settings of the accumulator. */
export interface AccumulatorOptions {
  /** how far back a late reading still re-splits energy */
  recomputeHorizonMs: number;
  /** a segment longer than this is a gap (estimated); default max(3 × poll interval, 15 min) per device */
  gapMs?: number;
  /** the state database forgets settled state after this many new counter readings */
  pruneEveryReadings: number;
  /** the `partition` tag of the site rows: `k/N` of `--partition`, `0/1` by default (decision 0407) */
  partition?: string;
  /** write site totals (decision 0407); default true. A history import leaves them to the collectors (decision 0902). */
  siteTotals?: boolean;
}

/** A meter and its counter point. */
interface Meter {
  energy: MeterEnergy;
  counterPoint: string;
  series: EnergySeries;
  eventTags: CounterEvent['tags'];
  /** its newest readings are held as implausible (the gauge's value) */
  held: boolean;
}

/** Counter state and energy rows of every meter of a site. */
export class EnergyAccumulator {
  private readonly meters = new Map<string, Meter>();
  private readonly byMeter: Map<string, RollupGroup[]>;
  private readonly groupSeries = new Map<RollupGroup, EnergySeries>();
  /** the site totals, one per medium (decision 0407) */
  private readonly siteGroups: RollupGroup[];
  /** per meter: intervals before this are already forgotten */
  private readonly prunedBefore = new Map<string, number>();
  private readingsSincePrune = 0;

  constructor(
    site: SiteModel,
    index: SiteIndex,
    private readonly days: LocalDays,
    private readonly opts: AccumulatorOptions,
    saved: ReadonlyMap<string, MeterSnapshot>,
  ) {
    const siteId = site.site.id;
    const gateways = new Map(site.gateways.map((g) => [g.id, g]));
    const meterSeries = new Map<string, EnergySeries>();
    const seriesOf = (building: string, meter: string, medium: Medium, category?: string): EnergySeries => {
      let series = meterSeries.get(meter);
      if (!series) {
        const tags: Record<string, string> = { site: siteId, building, meter, medium };
        if (category) tags.category = category;
        series = { quarterMeasurement: MEASUREMENT.energy15m, dayMeasurement: MEASUREMENT.energy1d, tags, medium };
        meterSeries.set(meter, series);
      }
      return series;
    };
    for (const { device: d, rules } of index.devices.values()) {
      const medium = rules.counterMedium;
      if (!rules.counterPoint || !medium) continue;
      const energy = new MeterEnergy(meterCounterRules(d, gateways.get(d.gateway), rules, opts.gapMs), opts.recomputeHorizonMs, undefined, (ms) => days.dayOf(ms)[0]);
      const s = saved.get(d.id);
      if (s) {
        energy.restore(s.readings, s.intervals, s.evicted);
        // What an earlier run may have forgotten, so that group rows are never rebuilt without it: the state
        // database forgets whole days before a cutoff, lazily, so a meter that dropped readings holds every
        // interval from the day of its oldest restored one.
        let first = Infinity;
        for (const start of energy.intervals.keys()) if (start < first) first = start;
        if (energy.evicted && first !== Infinity) this.prunedBefore.set(d.id, days.dayOf(first)[0]);
      }
      this.meters.set(d.id, {
        energy, counterPoint: rules.counterPoint, series: seriesOf(d.building, d.id, medium, d.category),
        eventTags: { site: siteId, building: d.building, meter: d.id, medium }, held: false,
      });
    }
    this.byMeter = rollupGroups(site).byMeter;
    for (const groups of this.byMeter.values()) {
      for (const g of groups) {
        if (this.groupSeries.has(g)) continue;
        this.groupSeries.set(g, g.kind === 'virtual' ? seriesOf(g.building, g.id, g.medium, g.category) : {
          quarterMeasurement: MEASUREMENT.buildingEnergy15m, dayMeasurement: MEASUREMENT.buildingEnergy1d,
          tags: { site: siteId, building: g.building, medium: g.medium, category: g.category as string }, medium: g.medium,
        });
      }
    }
    this.siteGroups = opts.siteTotals === false ? [] : siteRollupGroups(site);
    for (const g of this.siteGroups) {
      for (const m of g.plus) this.byMeter.set(m, [...(this.byMeter.get(m) ?? []), g]);
      this.groupSeries.set(g, {
        quarterMeasurement: MEASUREMENT.siteEnergy15m, dayMeasurement: MEASUREMENT.siteEnergy1d,
        tags: { site: siteId, medium: g.medium, category: g.category as string, partition: opts.partition ?? '0/1' }, medium: g.medium,
      });
    }
  }

  /** Advance the counters by a batch's accepted readings; the rows and state changes that follow. */
  accumulate(accepted: readonly AcceptedReading[]): EnergyChanges {
    const changes: EnergyChanges = { rows: [], rejected: [], events: [], readings: [], intervals: [], evicted: [], outcomes: new Map(), anomalies: [] };
    const touched = new Map<string, Set<number>>();
    const onTrack: CounterReading[] = [];
    for (const r of accepted) {
      const id = r.device.device.id;
      const meter = this.meters.get(id);
      if (!meter || !r.names.includes(meter.counterPoint)) continue;
      const value = r.points[meter.counterPoint].value as number;
      const wasEvicted = meter.energy.evicted;
      let set = touched.get(id);
      if (!set) touched.set(id, (set = new Set()));
      const outcome = meter.energy.add({ ts: r.ts, value }, set, onTrack);
      changes.outcomes.set(outcome, (changes.outcomes.get(outcome) ?? 0) + 1);
      if (isCounterEvent(outcome)) {
        // counter anomalies for the alert rules: reset, roll-over (its own outcome), implausible, new track
        changes.anomalies.push({ meter: id, point: meter.counterPoint, kind: outcome, ts: r.ts, value });
        const event = counterEvent(meter.energy, { ts: r.ts, value }, outcome, meter.eventTags, meter.counterPoint);
        changes.events.push(event);
        if (outcome === 'implausible') {
          changes.rejected.push(implausibleRejection(event));
          r.names = r.names.filter((n) => n !== meter.counterPoint);
        }
      }
      const held = meter.energy.heldKind() === 'implausible';
      if (held !== meter.held) {
        meter.held = held;
        metrics.meterImplausible.set({ meter: id }, held ? 1 : 0);
      }
      // every reading the meter took onto its counter track (held ones join it later, several at once)
      for (const a of onTrack) changes.readings.push({ meter: id, ts: a.ts, value: a.value });
      onTrack.length = 0;
      if (!wasEvicted && meter.energy.evicted) changes.evicted.push(id);
    }

    this.addRows(touched, changes);
    // Only after the rows: an interval touched early in a long batch may be settled by its end.
    for (const id of touched.keys()) this.prune(id, this.meters.get(id)!.energy);
    this.readingsSincePrune += changes.readings.length;
    return changes;
  }

  /** The rows of intervals whose totals changed without a reading (a state rebuilt from storage), to write again. */
  rewrite(starts: ReadonlyMap<string, readonly number[]>): EnergyChanges {
    const changes: EnergyChanges = { rows: [], rejected: [], events: [], readings: [], intervals: [], evicted: [], outcomes: new Map(), anomalies: [] };
    const touched = new Map<string, Set<number>>();
    for (const [id, list] of starts) {
      const energy = this.meters.get(id)?.energy;
      if (energy) touched.set(id, new Set(list.filter((s) => energy.intervals.has(s))));
    }
    this.addRows(touched, changes);
    return changes;
  }

  /** Every touched interval's new total, and the total of each local day holding one, per meter and group. */
  private addRows(touched: ReadonlyMap<string, Set<number>>, changes: EnergyChanges): void {
    const groupTouched = new Map<RollupGroup, Set<number>>();
    for (const [id, starts] of touched) {
      if (starts.size === 0) continue;
      const { energy, series } = this.meters.get(id)!;
      const dayStarts = new Set<number>();
      for (const start of starts) {
        const total = energy.intervals.get(start)!;
        changes.rows.push({ series, daily: false, time: start, total: intervalRow(total) });
        changes.intervals.push({ meter: id, start, total });
        dayStarts.add(this.days.dayOf(start)[0]);
      }
      for (const ds of dayStarts) changes.rows.push({ series, daily: true, time: ds, total: energy.dayTotal(ds) });
      for (const g of this.byMeter.get(id) ?? []) {
        let set = groupTouched.get(g);
        if (!set) groupTouched.set(g, (set = new Set()));
        for (const s of starts) set.add(s);
      }
    }
    this.groupRows(groupTouched, changes);
  }

  /**
   * At start (decision 0407): the site rows of every interval and day the members hold in memory, and the instant
   * from which this collector's site rows are then complete — every interval from there on is either in memory
   * now (written here) or will be touched by a batch (written with it). That is the latest day some member has
   * forgotten; when none has, every member holds its whole history, and it is the day of the oldest interval.
   */
  siteStart(now: number): { changes: EnergyChanges; since: number } {
    const changes: EnergyChanges = { rows: [], rejected: [], events: [], readings: [], intervals: [], evicted: [], outcomes: new Map(), anomalies: [] };
    const touched = new Map<RollupGroup, Set<number>>();
    let since = -Infinity;
    let oldest = now;
    for (const g of this.siteGroups) {
      since = Math.max(since, this.forgottenBefore(g));
      const starts = new Set<number>();
      for (const id of g.plus) {
        for (const start of this.meters.get(id)?.energy.intervals.keys() ?? []) {
          starts.add(start);
          if (start < oldest) oldest = start;
        }
      }
      touched.set(g, starts);
    }
    this.groupRows(touched, changes);
    return { changes, since: since === -Infinity ? this.days.dayOf(oldest)[0] : since };
  }

  /** The rows of the groups' touched intervals and of the local days holding them. */
  private groupRows(groupTouched: ReadonlyMap<RollupGroup, Set<number>>, changes: EnergyChanges): void {
    for (const [g, starts] of groupTouched) {
      const series = this.groupSeries.get(g)!;
      // A member that already forgot an interval (or its day) would be missing from the recomputed total: such a
      // row is left as stored rather than replaced by a partial sum (its `intervals` then show what it lacks).
      const forgotten = this.forgottenBefore(g);
      const dayStarts = new Set<number>();
      for (const start of starts) {
        if (start < forgotten) continue;
        changes.rows.push({ series, daily: false, time: start, total: this.groupTotal(g, (m) => { const t = m.intervals.get(start); return t && intervalRow(t); }) });
        dayStarts.add(this.days.dayOf(start)[0]);
      }
      for (const ds of dayStarts) changes.rows.push({ series, daily: true, time: ds, total: this.groupTotal(g, (m) => m.dayTotal(ds)) });
    }
  }

  /** The latest start before which some member of the group has forgotten its intervals (−∞: none has). */
  private forgottenBefore(g: RollupGroup): number {
    let before = -Infinity;
    for (const ids of [g.plus, g.minus]) {
      for (const id of ids) {
        const p = this.prunedBefore.get(id);
        if (p !== undefined && p > before) before = p;
      }
    }
    return before;
  }

  /**
   * Every `pruneEveryReadings` new counter readings: per meter, what the state database may forget (rows older
   * than what memory keeps are never read again; a restart restores and trims them like memory did), so that one
   * delete for all meters replaces one per meter per batch. Undefined when not due.
   */
  settledCutoffs(): { meter: string; readings_before: number; intervals_before: number }[] | undefined {
    if (this.readingsSincePrune < this.opts.pruneEveryReadings) return undefined;
    this.readingsSincePrune = 0;
    const cutoffs: { meter: string; readings_before: number; intervals_before: number }[] = [];
    for (const [id, intervalsBefore] of this.prunedBefore) {
      const oldest = this.meters.get(id)?.energy.oldestTs();
      if (oldest !== undefined) cutoffs.push({ meter: id, readings_before: oldest, intervals_before: intervalsBefore });
    }
    return cutoffs;
  }

  /**
   * Set every meter's counter state back to what the state database holds (`saved`), after a batch failed
   * between `accumulate` and its commit: the memory must not run ahead of the committed truth.
   */
  rollback(saved: ReadonlyMap<string, MeterSnapshot>): void {
    for (const [id, m] of this.meters) {
      const s = saved.get(id);
      m.energy.restore(s?.readings ?? [], s?.intervals ?? [], s?.evicted ?? false);
    }
    this.prunedBefore.clear();
  }

  /**
   * Forget in memory what can no longer change: intervals before the local day of the oldest reading kept (that
   * day's sum still needs all of its intervals). Runs as data advances, so a fast backfill stays small too.
   */
  private prune(id: string, m: MeterEnergy): void {
    const oldest = m.oldestTs();
    if (!m.evicted || oldest === undefined) return;
    const keepFrom = this.days.dayOf(oldest)[0];
    if (keepFrom <= (this.prunedBefore.get(id) ?? -Infinity)) return;
    this.prunedBefore.set(id, keepFrom);
    m.pruneIntervals(keepFrom);
  }

  /**
   * Σ plus − Σ minus of a group's meters; estimated when any part is. Its provenance adds up the members': their
   * intervals, estimated intervals and estimated quantities (of a minus term too: the estimate enters the figure).
   */
  private groupTotal(g: RollupGroup, total: (m: MeterEnergy) => RowTotal | undefined): RowTotal {
    const out: RowTotal = { quantity: 0, estimated: 0, intervals: 0, intervals_estimated: 0, estimated_quantity: 0 };
    for (const [ids, sign] of [[g.plus, 1], [g.minus, -1]] as const) {
      for (const id of ids) {
        const m = this.meters.get(id)?.energy;
        const t = m && total(m);
        if (t) {
          out.quantity += sign * t.quantity;
          out.estimated += t.estimated;
          out.intervals += t.intervals;
          out.intervals_estimated += t.intervals_estimated;
          out.estimated_quantity += t.estimated_quantity;
        }
      }
    }
    return out;
  }
}
