/**
 * Drains the on-disk outbox to storage, oldest first, one write (+ flush) in flight so that a newer total of
 * an interval can never be overtaken by an older one. While storage is down the outbox grows on disk and the
 * writer retries with backoff, logging once per outage; writes are idempotent by series and time, so a batch
 * written again after a crash or an ambiguous failure changes nothing.
 */
import type { Logger } from '../core/log.ts';
import { StorageError, type Storage } from '../storage/port.ts';
import { exposedGc, HeapCeiling } from '../core/heap.ts';
import { collectorMetrics as m } from './metrics.ts';
import type { OutboxEntry, StateStore } from './state-store.ts';

/**
 * The writer's defaults, each chosen by `npm run bench:collector` on InfluxDB 1.x (what each trades:
 * docs/collector.md, Tuning; the measurements: docs/benchmarks.md); another store may want other options.
 */
export const OUTBOX_WRITER_DEFAULTS = {
  /** telemetry lines per storage request: fewer, larger requests cost InfluxDB less CPU per point */
  writePoints: 25_000,
  /** telemetry lines streamed before one flush confirms them all (four requests): fewer pauses per point */
  groupPoints: 100_000,
  /** a full collection after a request once the old generation holds more (needs NODE_OPTIONS=--expose-gc) */
  heapLimitBytes: 48 * 1024 * 1024,
  backoffMinMs: 250,
  backoffMaxMs: 5_000,
} as const;

/** Options of the outbox writer (defaults: `OUTBOX_WRITER_DEFAULTS`). */
export interface OutboxWriterOptions {
  /** telemetry lines per storage request (several outbox entries share one request) */
  writePoints?: number;
  /** telemetry rows streamed to the store before one flush confirms them all */
  groupPoints?: number;
  /** run a full garbage collection after a request when the old generation uses more than this (0: never) */
  heapLimitBytes?: number;
  /** first wait after a failed write; it doubles up to `backoffMaxMs` */
  backoffMinMs?: number;
  backoffMaxMs?: number;
}

/** The background writer from outbox to storage. */
export class OutboxWriter {
  /** headers of the entries waiting, oldest first; their content stays on disk until written */
  private readonly queue: OutboxEntry[] = [];
  private queuedPoints = 0;
  private running?: Promise<void>;
  private stopping = false;
  private wake?: () => void;
  private cancelSleep?: () => void;
  private waiters: { through: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private lastWritten = 0;
  private outage = false;
  /** write one entry at a time while looking for one the store refuses */
  private isolate = false;
  private refusals = 0;
  private readonly writePoints: number;
  private readonly groupPoints: number;
  private readonly heapLimit: number;
  private readonly heapCeiling: HeapCeiling;
  private readonly backoffMin: number;
  private readonly backoffMax: number;

  constructor(
    private readonly store: StateStore,
    private readonly storage: Storage,
    private readonly log: Logger,
    opts: OutboxWriterOptions = {},
  ) {
    const d = OUTBOX_WRITER_DEFAULTS;
    this.writePoints = opts.writePoints ?? d.writePoints;
    this.groupPoints = opts.groupPoints ?? d.groupPoints;
    this.heapLimit = opts.heapLimitBytes ?? d.heapLimitBytes;
    this.heapCeiling = new HeapCeiling(this.heapLimit);
    this.backoffMin = opts.backoffMinMs ?? d.backoffMinMs;
    this.backoffMax = opts.backoffMaxMs ?? d.backoffMaxMs;
    if (this.heapLimit > 0 && !exposedGc()) {
      log.info({ heap_limit_bytes: this.heapLimit }, 'no heap ceiling: start Node with NODE_OPTIONS=--expose-gc to enable it (docs/collector.md)');
    }
    // Entries left by a previous run (crash, or storage down at stop) are written first.
    for (const entry of store.outboxAfter(0, Number.MAX_SAFE_INTEGER)) this.push(entry);
    const more = () => { // outboxAfter caps one read at 10 000 entries
      const tail = this.queue.at(-1)?.id ?? 0;
      const next = store.outboxAfter(tail, Number.MAX_SAFE_INTEGER);
      for (const e of next) this.push(e);
      return next.length > 0;
    };
    while (more()) { /* load every leftover header */ }
    this.publishDepth();
  }

  /** Start the background loop. */
  start(): void {
    this.running ??= this.loop().catch((err: unknown) => {
      // A bug, not an outage: say so loudly; the entries stay on disk for the next start.
      this.log.error({ err: err instanceof Error ? err.stack : String(err) }, 'outbox writer stopped');
    });
  }

  /** Hand over a freshly committed entry (its content is on disk, read back when written). */
  enqueue(entry: OutboxEntry): void {
    this.push(entry);
    this.publishDepth();
    this.wake?.();
  }

  /** Points waiting (memory view of the disk outbox). */
  depthPoints(): number {
    return this.queuedPoints;
  }

  /** Resolves when everything enqueued so far is confirmed written. */
  drained(): Promise<void> {
    const through = this.queue.at(-1)?.id ?? 0;
    if (through <= this.lastWritten) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ through, resolve, reject }));
  }

  /** Stop after the write in flight; what is left stays on disk for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.cancelSleep?.();
    await this.running;
    for (const w of this.waiters.splice(0)) w.reject(new Error('collector stopped before its buffer was written'));
  }

  private push(entry: OutboxEntry): void {
    this.queue.push(entry);
    this.queuedPoints += entry.count;
  }

  /**
   * The next request of a group: the telemetry lines of the entries after `take` (which it extends), up to
   * `writePoints` lines or one entry while isolating; their energy rows join `energy`, the newest per series
   * and time.
   */
  private nextRequest(take: OutboxEntry[], energy: Map<string, string>): { text?: Buffer; lines: number } {
    const chunks: Buffer[] = [];
    let lines = 0;
    for (let n = 0; take.length < this.queue.length;) {
      const entry = this.queue[take.length];
      if (n > 0 && (n + entry.count > this.writePoints || this.isolate)) break;
      n += entry.count;
      take.push(entry);
      const content = this.store.outboxContent(entry.id);
      let energyRows = 0;
      for (let at = 0, end = content.energy.indexOf('\n'); end >= 0; at = end + 1, end = content.energy.indexOf('\n', at)) {
        const line = content.energy.slice(at, end + 1);
        energy.set(seriesAndTime(line), line);
        energyRows++;
      }
      if (content.lines) {
        chunks.push(content.lines);
        lines += entry.count - energyRows;
      }
    }
    return { text: chunks.length <= 1 ? chunks[0] : Buffer.concat(chunks), lines };
  }

  private async loop(): Promise<void> {
    let backoff = this.backoffMin;
    while (!this.stopping) {
      if (this.queue.length === 0) {
        await new Promise<void>((r) => { this.wake = r; });
        this.wake = undefined;
        continue;
      }
      // One group: the telemetry lines of several entries stream into the store (requests of about
      // `writePoints` lines, the adapter keeping its requests in flight), while their energy rows wait,
      // coalesced to the newest total per series and time, and go last, just before the flush. A total
      // therefore never shares the wire with an older total of itself.
      const take: OutboxEntry[] = [];
      const energy = new Map<string, string>();
      let telemetryWritten = 0;
      const t0 = performance.now();
      try {
        do {
          const request = this.nextRequest(take, energy);
          if (request.text) await this.storage.writeLines(request.text);
          // After each request, not each group: a group spans several, and the heap grows with ingestion meanwhile.
          this.heapCeiling.check();
          telemetryWritten += request.lines;
        } while (!this.isolate && !this.outage && this.queue.length > take.length && telemetryWritten < this.groupPoints);
        const totals = [...energy.values()].join('');
        await this.storage.writeLines(totals);
        await this.storage.flush();
        if (this.outage) {
          // A failed attempt may still have landed late (a request the store answered after we gave up on it):
          // write the same newest totals once more now that nothing older is pending.
          await this.storage.writeLines(totals);
          await this.storage.flush();
        }
      } catch (err) {
        m.writeFailures.inc();
        if (err instanceof StorageError && !err.retryable) {
          // Refused, not unreachable: find the entry at fault by writing one at a time, and set it aside
          // after a few refusals so that one bad batch cannot block the stream behind it.
          if (take.length > 1) {
            this.isolate = true;
            continue;
          }
          if (++this.refusals >= 3) {
            const bad = take[0];
            this.log.error({ err: String(err), outbox_id: bad.id, points: bad.count }, 'storage refuses a batch; set aside in the state database (table outbox_refused)');
            this.store.setAside(bad.id, String(err));
            m.rejected.inc({ reason: 'storage_refused' }, bad.count);
            this.queue.shift();
            this.queuedPoints -= bad.count;
            this.refusals = 0;
            this.publishDepth();
            continue;
          }
        }
        if (!this.outage) {
          this.outage = true;
          this.log.warn({ err: String(err), buffered_points: this.queuedPoints }, 'storage write failed; buffering on disk and retrying');
        }
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, this.backoffMax);
        continue;
      }
      const seconds = (performance.now() - t0) / 1000;
      m.writeSeconds.observe(seconds);
      if (this.outage) {
        this.outage = false;
        this.log.info({ buffered_points: this.queuedPoints }, 'storage writes succeed again; draining the buffer');
      }
      backoff = this.backoffMin;
      this.refusals = 0;
      if (take.length === 1) this.isolate = false;
      const last = take[take.length - 1];
      this.store.ack(last.id);
      this.lastWritten = last.id;
      this.queue.splice(0, take.length);
      const now = Date.now();
      for (const q of take) {
        this.queuedPoints -= q.count;
        if (q.newest_ts > 0) m.lagSeconds.observe(Math.max(0, now - q.newest_ts) / 1000);
      }
      m.pointsWritten.inc({ kind: 'telemetry' }, telemetryWritten);
      m.pointsWritten.inc({ kind: 'energy' }, energy.size);
      this.publishDepth();
      this.waiters = this.waiters.filter((w) => (w.through <= this.lastWritten ? (w.resolve(), false) : true));
    }
  }

  private publishDepth(): void {
    m.bufferEntries.set(this.queue.length);
    m.bufferPoints.set(this.queuedPoints);
  }

  /** Backoff: new entries do not cut it short (that would hammer a store that is down); stop does. */
  private sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      const t = setTimeout(() => {
        this.cancelSleep = undefined;
        r();
      }, ms);
      this.cancelSleep = () => { clearTimeout(t); r(); };
    });
  }
}

/**
 * The series and time of an energy line, its identity in the store: the text before the first space
 * (measurement and tags: the collector's names hold no spaces) and after the last one.
 */
function seriesAndTime(line: string): string {
  return line.slice(0, line.indexOf(' ')) + line.slice(line.lastIndexOf(' '));
}
