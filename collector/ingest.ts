/**
 * The ingestion pipeline: the batch judge decides what of a message is accepted (collector/batch-judge.ts), the
 * energy accumulator advances each meter's counter state into 15-minute and daily energy with its rollups
 * (collector/energy/accumulator.ts, D3), the line renderer turns rows into line protocol
 * (collector/line-renderer.ts), and a thin commit step stores all of it — counter state and the storage rows —
 * in one SQLite transaction before resolving. The outbox writer then moves the rows to storage. Used by the MQTT
 * runtime and, directly, by backfills.
 */
import type Database from 'better-sqlite3';
import { DAY_MS } from '../core/measurements.ts';
import { parseReadingsTopic, type ReadingBatch } from '../core/contract/v1.ts';
import { logger, type Logger } from '../core/log.ts';
import type { Device, SiteModel } from '../core/site/schema.ts';
import type { Storage } from '../storage/port.ts';
import { judgeBatchYielding, siteIndex, type AcceptedReading, type BatchVerdict } from './batch-judge.ts';
import { LocalDays } from '../core/time.ts';
import { EnergyAccumulator, type EnergyChanges } from './energy/accumulator.ts';
import { counterEventLines } from './energy/counter-events.ts';
import { LineRenderer } from './line-renderer.ts';
import { collectorMetrics as metrics } from './metrics.ts';
import { OutboxWriter, type OutboxWriterOptions } from './outbox-writer.ts';
import { devicePointRules, type DevicePointRules } from './point-rules.ts';
import { StateStore, type BatchChanges, type StateStoreOptions } from './state-store.ts';
import { schemaProblem, type RejectReason, type Rejection } from './validate.ts';

const MIN_MS = 60_000;

/** A message above this size pauses for the event loop between its parse and its checks (a poll cycle's is far smaller). */
const LARGE_MESSAGE_BYTES = 256 * 1024;

/** The default message size limit, the same as the embedded broker's and the shipped Mosquitto config's: 1 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

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
  /** the `partition` tag of the site rollups, `k/N` (decision 0407); default `0/1`, the whole site */
  partition?: string;
  /** write the site totals and their start instant (decision 0407); default true, false for a history import (0902) */
  siteTotals?: boolean;
  /** what this ingestor does: telemetry rows, energy (counter state); both by default (see decision 0301) */
  roles?: { telemetry?: boolean; energy?: boolean };
  /** device point rules; default from the device template (collector/point-rules.ts) */
  pointRules?: (device: Device) => DevicePointRules;
  /** the state database forgets settled counter readings and intervals after this many new readings (default 50 000) */
  pruneEveryReadings?: number;
  /** beyond this many points waiting for storage, `ingest` waits (and MQTT acknowledgements with it) */
  maxBufferedPoints?: number;
  /** a message larger than this is rejected whole (`oversize`) before it is parsed; default 1 MiB (issue 12, defect 2) */
  maxMessageBytes?: number;
  writer?: OutboxWriterOptions;
  /** the state database's tuned settings (collector/state-store.ts `STATE_STORE_DEFAULTS`) */
  stateStore?: StateStoreOptions;
  /** per-gateway seq accounting (collector/sequence/), made on the state database: duplicates dropped, stored seq
   * written in each batch's transaction */
  sequence?: (stateDatabase: Database.Database) => SequenceGate;
  /** told of every committed batch (alert evaluation where data arrives, D8) */
  observer?: IngestObserver;
  log?: Logger;
}

/**
 * What the ingest path tells an observer (alerts/engine/): called once per committed batch, after the commit, on
 * the hot path — so it must be cheap (a map look-up per reading for devices without rules) and its failure never
 * fails the batch.
 */
export interface IngestObserver {
  committed(accepted: readonly AcceptedReading[], energy: Pick<EnergyChanges, 'rows' | 'anomalies'> | undefined): void;
}

/** What the ingestor asks and tells the per-gateway seq accounting (decision 0309). */
export interface SequenceGate {
  /** Was a batch of this gateway and seq already stored? Then it is acknowledged and not stored again. */
  isDuplicate(gateway: string, seq: number, sentTs: number): boolean;
  /** A batch is being committed: called inside its transaction. */
  stored(gateway: string, seq: number, sentTs: number): void;
  /** That transaction failed: forget what `stored` changed for the gateway. */
  rollback(gateway: string): void;
}

/** Rejections of a whole batch: after any other verdict the batch is a valid ReadingBatch of this site. */
const BATCH_REJECTIONS: ReadonlySet<string> = new Set(['schema', 'unknown_site', 'unknown_gateway']);


/** What one message or batch produced. */
export interface IngestResult {
  /** points accepted (telemetry rows when the telemetry role is on) */
  accepted: number;
  /** energy rows (meter, virtual meter and building rollups, 15 min and daily) */
  energyRows: number;
  rejected: Rejection[];
  /** the batch's seq was already stored: nothing was stored again */
  duplicate?: boolean;
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

/**
 * The state database refused (disk full, I/O error): nothing of the message was committed, and it must be kept and
 * retried, never dropped. Every other failure of a message is rejected as `internal` instead.
 */
export class StateStoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StateStoreError';
  }
}

/** The whole message rejected for one reason (counted in the metric). */
function rejectedAs(reason: RejectReason, detail: string): IngestResult {
  metrics.rejected.inc({ reason });
  return { accepted: 0, energyRows: 0, rejected: [{ reason, detail }] };
}

/** Count rejections by reason: one metric update per reason (a label look-up per rejection cost 7 ms for a 1 MiB message). */
function countRejections(rejected: readonly Rejection[]): void {
  const byReason = new Map<string, number>();
  for (const r of rejected) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
  for (const [reason, n] of byReason) metrics.rejected.inc({ reason }, n);
}

/** Energy rows of a batch: intervals and days of meters and groups, and counter events. */
function energyRows(energy: EnergyChanges | undefined): number {
  return (energy?.rows.length ?? 0) + (energy?.events.length ?? 0);
}

/** An error's text for a dead letter or a log line, whatever was thrown. */
function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Create the ingestion pipeline: opens the state database, restores counter state, starts the outbox writer. */
export function createIngestor(opts: IngestorOptions): Ingestor {
  const { site } = opts;
  const log = opts.log ?? logger('collector');
  const now = opts.now ?? Date.now;
  const limits = { maxFutureMs: opts.maxFutureMs ?? 5 * MIN_MS, maxAgeMs: opts.maxAgeMs ?? 35 * DAY_MS };
  const doTelemetry = opts.roles?.telemetry ?? true;
  const doEnergy = opts.roles?.energy ?? true;
  const maxBuffered = opts.maxBufferedPoints ?? 2_000_000;
  const maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const index = siteIndex(site, opts.pointRules ?? devicePointRules);
  const renderer = new LineRenderer(site.site.id);

  const store = new StateStore(opts.stateDir, undefined, opts.stateStore);
  const gate = opts.sequence?.(store.database);
  const accumulator = doEnergy
    ? new EnergyAccumulator(site, index, new LocalDays(site.site.timezone ?? 'Asia/Shanghai'), {
      recomputeHorizonMs: opts.recomputeHorizonMs ?? 6 * 3_600_000,
      gapMs: opts.gapMs,
      pruneEveryReadings: opts.pruneEveryReadings ?? 50_000,
      partition: opts.partition ?? '0/1',
      siteTotals: opts.siteTotals,
    }, store.loadMeters())
    : undefined;
  if (store.lostEntries > 0) {
    log.error({ entries: store.lostEntries, state_dir: opts.stateDir }, 'the outbox log had lost the telemetry lines of some entries (operating-system crash?); their energy rows are kept');
  }
  const writer = new OutboxWriter(store, opts.storage, log, opts.writer);
  let closed = false;

  /** Counter state in memory is ahead of the state database (a batch failed after `accumulate`): reload it first. */
  let countersStale = false;

  /** Reload counter state from the state database, the last committed truth; a failure there is a storage failure. */
  function reloadCounters(): void {
    if (!accumulator) return;
    countersStale = true;
    try {
      accumulator.rollback(store.loadMeters());
    } catch (err) {
      throw new StateStoreError(`the state database could not be read to restore counter state: ${errorText(err)}`, { cause: err });
    }
    countersStale = false;
  }

  /**
   * Judge, accumulate, render and commit one batch. A failure before the commit is this message's fault or a bug:
   * the counter state is reloaded and the message rejected as `internal` with the error text (issue 12, defect 1).
   * A failure of the commit is the state database's: `StateStoreError`, and the caller retries the message.
   */
  async function ingestOne(batch: unknown): Promise<IngestResult> {
    let verdict: BatchVerdict;
    try {
      // Judged in slices, letting the event loop run (a megabyte of points takes a while); all that follows, up to
      // the commit, runs in one go, so a batch's counter state and rows are never seen half done.
      verdict = await judgeBatchYielding(batch, index, limits, now());
    } catch (err) {
      log.error({ err: err instanceof Error ? err.stack : String(err) }, 'a message could not be judged; dead-lettered as internal');
      return rejectedAs('internal', errorText(err));
    }
    if (countersStale) reloadCounters();
    let energy: EnergyChanges | undefined;
    let countersTouched = false;
    const changes: BatchChanges = { readings: [], intervals: [], evicted: [], energy: '', count: 0, newest_ts: 0 };
    let seq: ReadingBatch | undefined;
    try {
      seq = gate && !verdict.rejected.some((r) => BATCH_REJECTIONS.has(r.reason)) ? batch as ReadingBatch : undefined;
      if (gate && seq) {
        if (gate.isDuplicate(seq.gateway, seq.seq, seq.sent_ts)) return { accepted: 0, energyRows: 0, rejected: [], duplicate: true };
        const { gateway, seq: n, sent_ts } = seq;
        changes.alongside = () => gate.stored(gateway, n, sent_ts); // in the commit's transaction
      }
      countersTouched = accumulator !== undefined;
      energy = accumulator?.accumulate(verdict.accepted);
      if (energy && energy.rejected.length > 0) { // implausible counter readings: out of the telemetry too
        verdict.acceptedPoints -= energy.rejected.length;
        verdict.rejected.push(...energy.rejected);
      }
      if (energy) {
        Object.assign(changes, { readings: energy.readings, intervals: energy.intervals, evicted: energy.evicted });
        changes.energy = renderer.energyLines(energy.rows) + counterEventLines(energy.events);
      }
      if (doTelemetry && verdict.acceptedPoints > 0) {
        changes.lines = renderer.encode(renderer.telemetryLines(verdict.accepted));
        for (const r of verdict.accepted) if (r.ts > changes.newest_ts) changes.newest_ts = r.ts;
      }
      changes.count = energyRows(energy) + (doTelemetry ? verdict.acceptedPoints : 0);
    } catch (err) {
      log.error({ err: err instanceof Error ? err.stack : String(err) }, 'a message could not be processed; dead-lettered as internal');
      if (countersTouched) reloadCounters();
      return rejectedAs('internal', errorText(err));
    }
    countRejections(verdict.rejected);

    let entry;
    try {
      entry = store.commit(changes);
    } catch (err) {
      if (gate && seq) gate.rollback(seq.gateway);
      reloadCounters();
      throw new StateStoreError(`the state database refused a commit: ${errorText(err)}`, { cause: err });
    }
    if (entry.id > 0) writer.enqueue(entry);
    const cutoffs = accumulator?.settledCutoffs();
    if (cutoffs) {
      try {
        store.pruneSettled(cutoffs);
      } catch (err) { // committed already: the rows stay and the next prune takes them
        log.warn({ err: errorText(err) }, 'could not forget settled counter state');
      }
    }
    metrics.pointsIn.inc(verdict.acceptedPoints);
    for (const [outcome, n] of energy?.outcomes ?? []) metrics.counterEvents.inc({ outcome }, n);
    if (opts.observer) {
      try {
        opts.observer.committed(verdict.accepted, energy);
      } catch (err) {
        log.error({ err: errorText(err) }, 'ingest observer failed; the batch is stored');
      }
    }
    return { accepted: verdict.acceptedPoints, energyRows: energyRows(energy), rejected: verdict.rejected };
  }

  async function ingest(batch: unknown): Promise<IngestResult> {
    if (closed) throw new Error('ingestor is closed');
    while (!closed && writer.depthPoints() > maxBuffered) await new Promise((r) => setTimeout(r, 100)); // backpressure
    return ingestOne(batch);
  }

  const rewrite = accumulator ? store.pendingRewrites() : new Map<string, number[]>();
  if (accumulator && rewrite.size > 0) {
    // Totals a state rebuild recomputed (collector/state-rebuild.ts): written like a batch's, before any batch.
    const energy = accumulator.rewrite(rewrite);
    const entry = store.commit({ readings: [], intervals: [], evicted: [], rewritten: true, energy: renderer.energyLines(energy.rows), count: energy.rows.length, newest_ts: 0 });
    if (entry.id > 0) writer.enqueue(entry);
  }
  if (accumulator && opts.siteTotals !== false) {
    // The site rows of what memory holds, then the row saying from when they are complete (decision 0407).
    const { changes, since } = accumulator.siteStart(now());
    const lines = renderer.energyLines(changes.rows) + renderer.siteSinceLine(opts.partition ?? '0/1', since, now());
    const entry = store.commit({ readings: [], intervals: [], evicted: [], energy: lines, count: changes.rows.length + 1, newest_ts: 0 });
    if (entry.id > 0) writer.enqueue(entry);
  }
  writer.start(); // last: it may begin at once with entries a previous run left on disk
  return {
    ingest: (batch) => ingest(batch),
    async ingestMessage(topic, payload) {
      const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
      if (bytes > maxMessageBytes) return rejectedAs('oversize', `${bytes} bytes, more than the limit of ${maxMessageBytes}`);
      let value: unknown;
      const text = typeof payload === 'string' ? payload : payload.toString('utf8');
      try {
        value = JSON.parse(text);
      } catch (err) {
        return rejectedAs('not_json', (err as Error).message);
      }
      // A large message was a long parse: let the event loop run before its checks (see judgeBatchYielding).
      if (bytes > LARGE_MESSAGE_BYTES) await new Promise((resolve) => setImmediate(resolve));
      const where = parseReadingsTopic(topic);
      const v = value as { site?: unknown; gateway?: unknown } | null;
      if (where && v && typeof v === 'object' && (v.site !== where.site || v.gateway !== where.gateway) && !schemaProblem(value)) {
        return rejectedAs('topic_mismatch', `payload names ${String(v.site)}/${String(v.gateway)}, topic ${where.site}/${where.gateway}`);
      }
      return ingest(value);
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
