/**
 * The ingestion pipeline: validate a readings batch, turn it into telemetry rows, advance each meter's counter
 * state into 15-minute and daily energy (D3), roll up buildings × categories and virtual meters, and commit all
 * of it — counter state and the storage points — in one SQLite transaction before resolving. The outbox writer
 * then moves the points to storage. Used by the MQTT runtime and, directly, by backfills.
 */
import { DAY_MS, MEASUREMENT, QUANTITY_FIELD } from '../core/measurements.ts';
import { parseReadingsTopic, type ReadingBatch } from '../core/contract/v1.ts';
import { logger, type Logger } from '../core/log.ts';
import type { Device, Medium, SiteModel } from '../core/site/schema.ts';
import { seriesPrefix } from '../storage/line-protocol.ts';
import type { Storage } from '../storage/port.ts';
import { LocalDays } from '../core/time.ts';
import { MeterEnergy, roundQuantity, type IntervalTotal, type ReadingOutcome } from './energy/meter-energy.ts';
import { collectorMetrics as metrics } from './metrics.ts';
import { OutboxWriter, type OutboxWriterOptions } from './outbox-writer.ts';
import { devicePointRules, rangeFromName, type DevicePointRules } from './point-rules.ts';
import { rollupGroups, type RollupGroup } from './rollups.ts';
import { StateStore, type BatchChanges } from './state-store.ts';
import { schemaProblem, type RejectReason, type Rejection } from './validate.ts';

const MIN_MS = 60_000;
const ASCII = /^[\x00-\x7f]*$/;

/** Options of `createIngestor`. */
export interface IngestorOptions {
  site: SiteModel;
  storage: Storage;
  /** folder of the state database (counter state and the on-disk outbox) */
  stateDir: string;
  /** the clock, UTC epoch ms (tests, backfills) */
  now?: () => number;
  /** readings newer than now + this are rejected (future_timestamp); default 5 min of clock skew */
  maxFutureMs?: number;
  /** readings older than now − this are rejected (past_timestamp); default 35 days. Backfills raise it. */
  maxAgeMs?: number;
  /** how far back a late reading still re-splits energy; default 6 h (memory: one reading per poll per meter) */
  recomputeHorizonMs?: number;
  /** a segment longer than this is a gap (estimated); default max(3 × poll interval, 15 min) per device */
  gapMs?: number;
  /** what this ingestor does: telemetry rows, energy (counter state); both by default (see decision 0301) */
  roles?: { telemetry?: boolean; energy?: boolean };
  /** device point rules; default from the device template (collector/point-rules.ts) */
  pointRules?: (device: Device) => DevicePointRules;
  /** the state database forgets settled counter readings and intervals after this many new readings (default 50 000) */
  pruneEveryReadings?: number;
  /** beyond this many points waiting for storage, `ingest` waits (and MQTT acknowledgements with it) */
  maxBufferedPoints?: number;
  writer?: OutboxWriterOptions;
  log?: Logger;
}

/** What one message or batch produced. */
export interface IngestResult {
  /** points accepted (telemetry rows when the telemetry role is on) */
  accepted: number;
  /** energy rows (meter, virtual meter and building rollups, 15 min and daily) */
  energyRows: number;
  rejected: Rejection[];
}

/** The ingestion pipeline of one collector. */
export interface Ingestor {
  /** Validate and ingest one batch; resolves once its points and counter state are durably buffered. */
  ingest(batch: ReadingBatch): Promise<IngestResult>;
  /** The same from a raw MQTT message (parses JSON, checks the topic against the payload). */
  ingestMessage(topic: string, payload: Buffer | string): Promise<IngestResult>;
  /** Resolves when everything ingested so far is written to storage. */
  flush(): Promise<void>;
  /** Stop the background writer and close the state database; unwritten points stay on disk for the next start. */
  close(): Promise<void>;
  /** Points buffered, not yet confirmed by storage. */
  bufferedPoints(): number;
}

/** A rendered energy series: the line starts of its 15-minute and daily rows, and its quantity field. */
interface EnergySeries {
  quarter: string;
  day: string;
  field: string;
}

interface DeviceInfo {
  device: Device;
  rules: DevicePointRules;
  meter?: MeterEnergy;
  /** telemetry line prefixes by quality and point (linePrefix) */
  linePrefixes?: Map<string, Map<string, string>>;
}

/** Create the ingestion pipeline: opens the state database, restores counter state, starts the outbox writer. */
export function createIngestor(opts: IngestorOptions): Ingestor {
  const { site } = opts;
  const log = opts.log ?? logger('collector');
  const now = opts.now ?? Date.now;
  const maxFutureMs = opts.maxFutureMs ?? 5 * MIN_MS;
  const maxAgeMs = opts.maxAgeMs ?? 35 * DAY_MS;
  const horizonMs = opts.recomputeHorizonMs ?? 6 * 3_600_000;
  const doTelemetry = opts.roles?.telemetry ?? true;
  const doEnergy = opts.roles?.energy ?? true;
  const maxBuffered = opts.maxBufferedPoints ?? 2_000_000;
  const siteId = site.site.id;
  const days = new LocalDays(site.site.timezone ?? 'Asia/Shanghai');
  const rulesOf = opts.pointRules ?? devicePointRules;

  const store = new StateStore(opts.stateDir);
  const saved = store.loadMeters();
  const gateways = new Map(site.gateways.map((g) => [g.id, g]));
  const devices = new Map<string, DeviceInfo>();
  for (const d of site.devices) {
    if (d.enabled === false) continue;
    const rules = rulesOf(d);
    const info: DeviceInfo = { device: d, rules };
    if (rules.counterPoint && d.medium) {
      const pollS = d.poll_interval_s ?? gateways.get(d.gateway)?.poll_interval_s ?? 15;
      info.meter = new MeterEnergy({
        rollover: rules.counterRollover,
        replacements: (d.replacements ?? []).map((r) => ({ at_ms: Date.parse(r.at), old_final: r.old_final, new_initial: r.new_initial }))
          .sort((a, b) => a.at_ms - b.at_ms),
        gap_ms: opts.gapMs ?? Math.max(3 * pollS * 1000, 15 * MIN_MS),
      }, horizonMs, undefined, (ms) => days.dayOf(ms)[0]);
      const s = saved.get(d.id);
      if (s) info.meter.restore(s.readings, s.intervals, s.evicted);
    }
    devices.set(d.id, info);
  }
  const { byMeter } = rollupGroups(site);

  let seriesCount = 0;
  /** line prefixes holding a character beyond ASCII (none while ids keep to their schemas) */
  let nonAsciiPrefixes = 0;
  if (store.lostEntries > 0) {
    log.error({ entries: store.lostEntries, state_dir: opts.stateDir }, 'the outbox log had lost the telemetry lines of some entries (operating-system crash?); their energy rows are kept');
  }
  const upgraded = store.upgradeLegacyEntries(legacyLines);
  if (upgraded > 0) log.info({ entries: upgraded }, 'outbox entries of an earlier version turned into lines');
  const writer = new OutboxWriter(store, opts.storage, log, opts.writer);
  let closed = false;
  /** per meter: intervals before this are already forgotten */
  const prunedBefore = new Map<string, number>();
  const pruneEvery = opts.pruneEveryReadings ?? 50_000;
  let readingsSincePrune = 0;

  /**
   * Forget in memory what can no longer change: intervals before the local day of the oldest reading kept (that
   * day's sum still needs all of its intervals). Runs as data advances, so a fast backfill stays small too.
   */
  function prune(id: string, m: MeterEnergy): void {
    const oldest = m.oldestTs();
    if (!m.evicted || oldest === undefined) return;
    const keepFrom = days.dayOf(oldest)[0];
    if (keepFrom <= (prunedBefore.get(id) ?? -Infinity)) return;
    prunedBefore.set(id, keepFrom);
    m.pruneIntervals(keepFrom);
  }

  /**
   * The same in the state database, for every meter at once, every `pruneEvery` stored readings: rows older than
   * what memory keeps are never read again (a restart restores and trims them like memory did), so they may
   * linger that long, and one delete for all meters is far cheaper than one per meter per batch.
   */
  function pruneStateDatabase(): void {
    const cutoffs: { meter: string; readings_before: number; intervals_before: number }[] = [];
    for (const [id, intervalsBefore] of prunedBefore) {
      const oldest = devices.get(id)?.meter?.oldestTs();
      if (oldest !== undefined) cutoffs.push({ meter: id, readings_before: oldest, intervals_before: intervalsBefore });
    }
    store.pruneSettled(cutoffs);
    readingsSincePrune = 0;
  }

  /** One energy row as a line: the quantity in its medium's field, and whether any of it is estimated. */
  function energyLine(series: EnergySeries, daily: boolean, time: number, t: IntervalTotal): string {
    return `${daily ? series.day : series.quarter} ${series.field}=${roundQuantity(t.quantity)},estimated=${t.estimated > 0 ? 1 : 0} ${time}\n`;
  }

  /** The series of a meter's (or virtual meter's) energy rows, rendered once. */
  const meterSeries = new Map<string, EnergySeries>();
  function meterEnergySeries(building: string, meter: string, medium: Medium, category?: string): EnergySeries {
    let series = meterSeries.get(meter);
    if (!series) {
      const tags: Record<string, string> = { site: siteId, building, meter, medium };
      if (category) tags.category = category;
      series = { quarter: seriesPrefix(MEASUREMENT.energy15m, tags), day: seriesPrefix(MEASUREMENT.energy1d, tags), field: QUANTITY_FIELD[medium] };
      meterSeries.set(meter, series);
    }
    return series;
  }

  /** The series of a rollup group's rows: a virtual meter's, or a building × category's. */
  const groupSeries = new Map<RollupGroup, EnergySeries>();
  function groupEnergySeries(g: RollupGroup): EnergySeries {
    if (g.kind === 'virtual') return meterEnergySeries(g.building, g.id, g.medium, g.category);
    let series = groupSeries.get(g);
    if (!series) {
      const tags = { site: siteId, building: g.building, medium: g.medium, category: g.category as string };
      series = { quarter: seriesPrefix(MEASUREMENT.buildingEnergy15m, tags), day: seriesPrefix(MEASUREMENT.buildingEnergy1d, tags), field: QUANTITY_FIELD[g.medium] };
      groupSeries.set(g, series);
    }
    return series;
  }

  function groupTotal(g: RollupGroup, total: (m: MeterEnergy) => IntervalTotal | undefined): IntervalTotal {
    const out = { quantity: 0, estimated: 0 };
    for (const [ids, sign] of [[g.plus, 1], [g.minus, -1]] as const) {
      for (const id of ids) {
        const m = devices.get(id)?.meter;
        const t = m && total(m);
        if (t) {
          out.quantity += sign * t.quantity;
          out.estimated += t.estimated;
        }
      }
    }
    return out;
  }

  /** Is a point acceptable? undefined: yes; 'skip': flagged unreadable by the gateway; else why not. */
  function judge(info: DeviceInfo, point: string, value: number | null, quality: string): 'skip' | { reason: RejectReason; detail: string } | undefined {
    // The gateway marks unreadable values itself: nothing to store, nothing wrong with the message.
    if (value === null || quality === 'bad') return 'skip';
    const range = info.rules.points ? info.rules.points.get(point) : rangeFromName(point);
    if (!range) {
      return { reason: 'unknown_point', detail: info.rules.points ? `'${point}' is not a point of template '${info.device.template}'` : `'${point}' names no known unit` };
    }
    if (!(value >= range[0] && value <= range[1])) return { reason: 'out_of_range', detail: `${point} = ${value} is outside [${range[0]}, ${range[1]}]` };
    return undefined;
  }

  /**
   * The telemetry lines of a batch an earlier version kept as JSON in its outbox (readings rejected for their
   * timestamp were already removed from that text), by the same per-point rules as at ingestion.
   */
  function legacyLines(text: string): Buffer {
    const batch = JSON.parse(text) as ReadingBatch;
    let lines = '';
    for (const reading of batch.readings) {
      const info = devices.get(reading.device);
      if (!info || info.device.gateway !== batch.gateway) continue;
      for (const point in reading.points) {
        const pv = reading.points[point];
        if (judge(info, point, pv.value, pv.quality) !== undefined) continue;
        lines += `${linePrefix(info, point, pv.quality)}${pv.value} ${reading.ts}\n`;
      }
    }
    return Buffer.from(lines);
  }

  /**
   * The start of a telemetry line — measurement, tags and `value=` — once per series: the rows of a series
   * differ only in value and time. Names are site-model ids and contract point names (patterns with nothing
   * line protocol must escape or refuse) and the device's gateway is the batch's (checked before).
   */
  function linePrefix(info: DeviceInfo, point: string, quality: string): string {
    const byQuality = (info.linePrefixes ??= new Map());
    let byPoint = byQuality.get(quality);
    if (!byPoint) byQuality.set(quality, (byPoint = new Map()));
    let prefix = byPoint.get(point);
    if (prefix === undefined) {
      if (++seriesCount > 200_000) { // a gateway inventing point names must not grow this without end
        for (const i of devices.values()) i.linePrefixes = undefined;
        seriesCount = 0;
        nonAsciiPrefixes = 0;
        return linePrefix(info, point, quality);
      }
      const d = info.device;
      prefix = `${seriesPrefix(MEASUREMENT.telemetry, { site: siteId, building: d.building, gateway: d.gateway, device: d.id, point, quality })} value=`;
      if (!ASCII.test(prefix)) nonAsciiPrefixes++;
      byPoint.set(point, prefix);
    }
    return prefix;
  }

  /** The synchronous heart: everything of one batch, committed in one transaction. */
  function process(batch: ReadingBatch): IngestResult {
    const result: IngestResult = { accepted: 0, energyRows: 0, rejected: [] };
    const reject = (reason: RejectReason, detail: string, device?: string, point?: string) => {
      result.rejected.push({ reason, detail, device, point });
      metrics.rejected.inc({ reason });
    };
    const problem = schemaProblem(batch);
    if (problem) {
      reject('schema', problem);
      return result;
    }
    if (batch.site !== siteId) {
      reject('unknown_site', `site '${batch.site}' is not '${siteId}'`);
      return result;
    }
    if (!gateways.has(batch.gateway)) {
      reject('unknown_gateway', `gateway '${batch.gateway}' is not in the site model`);
      return result;
    }
    const t = now();
    let energy = ''; // energy rows, line protocol
    let energyRows = 0;
    const changes: BatchChanges = { readings: [], intervals: [], evicted: [], energy: '', count: 0, newest_ts: 0 };
    const touched = new Map<string, Set<number>>();
    const outcomes = new Map<ReadingOutcome, number>(); // counted per batch: one metric update per outcome
    let lines = ''; // telemetry rows, line protocol (a rope: flattened once, when encoded)

    for (const reading of batch.readings) {
      const info = devices.get(reading.device);
      if (!info) {
        reject('unknown_device', `device '${reading.device}' is not in the site model (or is disabled)`, reading.device);
        continue;
      }
      const d = info.device;
      if (d.gateway !== batch.gateway) {
        reject('wrong_gateway', `device '${d.id}' belongs to gateway '${d.gateway}', not '${batch.gateway}'`, d.id);
        continue;
      }
      if (reading.ts > t + maxFutureMs) {
        reject('future_timestamp', `ts ${new Date(reading.ts).toISOString()} is ahead of the collector clock by ${Math.round((reading.ts - t) / 1000)} s`, d.id);
        continue;
      }
      if (reading.ts < t - maxAgeMs) {
        reject('past_timestamp', `ts ${Number.isFinite(new Date(reading.ts).getTime()) ? new Date(reading.ts).toISOString() : reading.ts} is older than ${Math.round(maxAgeMs / DAY_MS)} days`, d.id);
        continue;
      }
      const wasEvicted = info.meter?.evicted ?? false;
      const lineEnd = ` ${reading.ts}\n`; // the same for each of the reading's points
      for (const point in reading.points) {
        const pv = reading.points[point];
        const verdict = judge(info, point, pv.value, pv.quality);
        if (verdict === 'skip') continue;
        if (verdict) {
          reject(verdict.reason, verdict.detail, d.id, point);
          continue;
        }
        const value = pv.value as number;
        result.accepted++;
        if (doTelemetry) {
          lines += linePrefix(info, point, pv.quality) + value + lineEnd;
          if (reading.ts > changes.newest_ts) changes.newest_ts = reading.ts;
        }
        if (doEnergy && info.meter && point === info.rules.counterPoint) {
          let set = touched.get(d.id);
          if (!set) touched.set(d.id, (set = new Set()));
          const outcome = info.meter.add({ ts: reading.ts, value }, set);
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          if (outcome === 'first' || outcome === 'appended' || outcome === 'inserted') changes.readings.push({ meter: d.id, ts: reading.ts, value });
        }
      }
      if (info.meter && !wasEvicted && info.meter.evicted) changes.evicted.push(d.id);
    }

    // Energy rows: every touched interval's new total, and the total of each local day holding one.
    const groupTouched = new Map<RollupGroup, Set<number>>();
    for (const [id, starts] of touched) {
      if (starts.size === 0) continue;
      const info = devices.get(id)!;
      const m = info.meter!;
      const d = info.device;
      const series = meterEnergySeries(d.building, d.id, d.medium as Medium, d.category);
      const dayStarts = new Set<number>();
      for (const start of starts) {
        const total = m.intervals.get(start)!;
        energy += energyLine(series, false, start, total);
        energyRows++;
        changes.intervals.push({ meter: id, start, total });
        dayStarts.add(days.dayOf(start)[0]);
      }
      for (const ds of dayStarts) {
        energy += energyLine(series, true, ds, m.dayTotal(ds));
        energyRows++;
      }
      for (const g of byMeter.get(id) ?? []) {
        let set = groupTouched.get(g);
        if (!set) groupTouched.set(g, (set = new Set()));
        for (const s of starts) set.add(s);
      }
    }
    for (const [g, starts] of groupTouched) {
      const series = groupEnergySeries(g);
      const dayStarts = new Set<number>();
      for (const start of starts) {
        energy += energyLine(series, false, start, groupTotal(g, (m) => m.intervals.get(start)));
        energyRows++;
        dayStarts.add(days.dayOf(start)[0]);
      }
      for (const ds of dayStarts) {
        energy += energyLine(series, true, ds, groupTotal(g, (m) => m.dayTotal(ds)));
        energyRows++;
      }
    }
    result.energyRows = energyRows;
    changes.count = energyRows + (doTelemetry ? result.accepted : 0);
    changes.energy = energy;
    // Every part of a telemetry line is ASCII (ids and point names by their schemas, numbers), checked once per
    // prefix: a one-byte copy then encodes it, without UTF-8's scan.
    if (doTelemetry && result.accepted > 0) changes.lines = Buffer.from(lines, nonAsciiPrefixes === 0 ? 'latin1' : 'utf8');
    // Only after the rows: an interval touched early in a long batch may be settled by its end.
    for (const id of touched.keys()) prune(id, devices.get(id)!.meter!);

    const entry = store.commit(changes);
    if (entry.id > 0) writer.enqueue(entry);
    readingsSincePrune += changes.readings.length;
    if (readingsSincePrune >= pruneEvery) pruneStateDatabase();
    metrics.pointsIn.inc(result.accepted);
    for (const [outcome, n] of outcomes) metrics.counterEvents.inc({ outcome }, n);
    return result;
  }

  async function backpressure(): Promise<void> {
    while (!closed && writer.depthPoints() > maxBuffered) await new Promise((r) => setTimeout(r, 100));
  }

  async function ingest(batch: ReadingBatch): Promise<IngestResult> {
    if (closed) throw new Error('ingestor is closed');
    await backpressure();
    return process(batch);
  }

  writer.start(); // last: it may begin at once with entries a previous run left on disk
  return {
    ingest: (batch) => ingest(batch),
    async ingestMessage(topic, payload) {
      let value: unknown;
      const text = typeof payload === 'string' ? payload : payload.toString('utf8');
      try {
        value = JSON.parse(text);
      } catch (err) {
        metrics.rejected.inc({ reason: 'not_json' });
        return { accepted: 0, energyRows: 0, rejected: [{ reason: 'not_json', detail: (err as Error).message }] };
      }
      const where = parseReadingsTopic(topic);
      const v = value as { site?: unknown; gateway?: unknown } | null;
      if (where && v && typeof v === 'object' && (v.site !== where.site || v.gateway !== where.gateway) && !schemaProblem(value)) {
        metrics.rejected.inc({ reason: 'topic_mismatch' });
        return { accepted: 0, energyRows: 0, rejected: [{ reason: 'topic_mismatch', detail: `payload names ${String(v.site)}/${String(v.gateway)}, topic ${where.site}/${where.gateway}` }] };
      }
      return ingest(value as ReadingBatch);
    },
    flush: () => writer.drained(),
    async close() {
      if (closed) return;
      closed = true;
      await writer.stop();
      store.close();
    },
    bufferedPoints: () => writer.depthPoints(),
  };
}
