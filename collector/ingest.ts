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
import { judgeBatch, siteIndex, type BatchVerdict } from './batch-judge.ts';
import { LocalDays } from '../core/time.ts';
import { EnergyAccumulator } from './energy/accumulator.ts';
import { counterEventLines } from './energy/counter-events.ts';
import { LineRenderer } from './line-renderer.ts';
import { collectorMetrics as metrics } from './metrics.ts';
import { OutboxWriter, type OutboxWriterOptions } from './outbox-writer.ts';
import { devicePointRules, type DevicePointRules } from './point-rules.ts';
import { StateStore, type BatchChanges } from './state-store.ts';
import { schemaProblem, type Rejection } from './validate.ts';

const MIN_MS = 60_000;

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
  /** per-gateway seq accounting (collector/sequence/), made on the state database: duplicates dropped, stored seq
   * written in each batch's transaction */
  sequence?: (stateDatabase: Database.Database) => SequenceGate;
  log?: Logger;
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

/** Create the ingestion pipeline: opens the state database, restores counter state, starts the outbox writer. */
export function createIngestor(opts: IngestorOptions): Ingestor {
  const { site } = opts;
  const log = opts.log ?? logger('collector');
  const now = opts.now ?? Date.now;
  const limits = { maxFutureMs: opts.maxFutureMs ?? 5 * MIN_MS, maxAgeMs: opts.maxAgeMs ?? 35 * DAY_MS };
  const doTelemetry = opts.roles?.telemetry ?? true;
  const doEnergy = opts.roles?.energy ?? true;
  const maxBuffered = opts.maxBufferedPoints ?? 2_000_000;
  const index = siteIndex(site, opts.pointRules ?? devicePointRules);
  const renderer = new LineRenderer(site.site.id);

  const store = new StateStore(opts.stateDir);
  const gate = opts.sequence?.(store.database);
  const accumulator = doEnergy
    ? new EnergyAccumulator(site, index, new LocalDays(site.site.timezone ?? 'Asia/Shanghai'), {
      recomputeHorizonMs: opts.recomputeHorizonMs ?? 6 * 3_600_000,
      gapMs: opts.gapMs,
      pruneEveryReadings: opts.pruneEveryReadings ?? 50_000,
    }, store.loadMeters())
    : undefined;
  if (store.lostEntries > 0) {
    log.error({ entries: store.lostEntries, state_dir: opts.stateDir }, 'the outbox log had lost the telemetry lines of some entries (operating-system crash?); their energy rows are kept');
  }
  const writer = new OutboxWriter(store, opts.storage, log, opts.writer);
  let closed = false;

  /** The commit step: the judged batch's energy and lines, committed in one transaction and handed to the writer. */
  function commit(verdict: BatchVerdict, alongside?: () => void): IngestResult {
    const energy = accumulator?.accumulate(verdict.accepted);
    if (energy && energy.rejected.length > 0) { // implausible counter readings: out of the telemetry too
      verdict.acceptedPoints -= energy.rejected.length;
      verdict.rejected.push(...energy.rejected);
    }
    const result: IngestResult = { accepted: verdict.acceptedPoints, energyRows: 0, rejected: verdict.rejected };
    for (const r of verdict.rejected) metrics.rejected.inc({ reason: r.reason });
    const changes: BatchChanges = {
      readings: energy?.readings ?? [], intervals: energy?.intervals ?? [], evicted: energy?.evicted ?? [],
      energy: energy ? renderer.energyLines(energy.rows) + counterEventLines(energy.events) : '', count: 0, newest_ts: 0,
      alongside,
    };
    result.energyRows = (energy?.rows.length ?? 0) + (energy?.events.length ?? 0);
    if (doTelemetry && verdict.acceptedPoints > 0) {
      changes.lines = renderer.encode(renderer.telemetryLines(verdict.accepted));
      for (const r of verdict.accepted) if (r.ts > changes.newest_ts) changes.newest_ts = r.ts;
    }
    changes.count = result.energyRows + (doTelemetry ? verdict.acceptedPoints : 0);

    const entry = store.commit(changes);
    if (entry.id > 0) writer.enqueue(entry);
    const cutoffs = accumulator?.settledCutoffs();
    if (cutoffs) store.pruneSettled(cutoffs);
    metrics.pointsIn.inc(verdict.acceptedPoints);
    for (const [outcome, n] of energy?.outcomes ?? []) metrics.counterEvents.inc({ outcome }, n);
    return result;
  }

  async function ingest(batch: unknown): Promise<IngestResult> {
    if (closed) throw new Error('ingestor is closed');
    while (!closed && writer.depthPoints() > maxBuffered) await new Promise((r) => setTimeout(r, 100)); // backpressure
    const verdict = judgeBatch(batch, index, limits, now());
    const seq = gate && !verdict.rejected.some((r) => BATCH_REJECTIONS.has(r.reason)) ? batch as ReadingBatch : undefined;
    if (!gate || !seq) return commit(verdict);
    if (gate.isDuplicate(seq.gateway, seq.seq, seq.sent_ts)) return { accepted: 0, energyRows: 0, rejected: [], duplicate: true };
    try {
      return commit(verdict, () => gate.stored(seq.gateway, seq.seq, seq.sent_ts));
    } catch (err) {
      gate.rollback(seq.gateway);
      throw err;
    }
  }

  const rewrite = accumulator ? store.pendingRewrites() : new Map<string, number[]>();
  if (accumulator && rewrite.size > 0) {
    // Totals a state rebuild recomputed (collector/state-rebuild.ts): written like a batch's, before any batch.
    const energy = accumulator.rewrite(rewrite);
    const entry = store.commit({ readings: [], intervals: [], evicted: [], rewritten: true, energy: renderer.energyLines(energy.rows), count: energy.rows.length, newest_ts: 0 });
    if (entry.id > 0) writer.enqueue(entry);
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
