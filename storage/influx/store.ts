/**
 * The InfluxDB adapter (DESIGN D1): writes through `@influxdata/influxdb-client`'s batching WriteApi (lines
 * from line-protocol.ts, tuned batch size, flush interval, bounded retry buffer), reads in InfluxQL over `/query`. `flush()` resolves
 * only when every point handed to `write()` so far is stored; otherwise it rejects with a StorageError
 * (retryable when the server was unreachable or overloaded), and the caller keeps its own copy to replay —
 * writes are idempotent by series and time, so a replay never duplicates.
 */
import { HttpError, InfluxDB, setLogger, type WriteApi, type WriteOptions } from '@influxdata/influxdb-client';
import { logger } from '../../core/log.ts';
import {
  StorageError, type AggregateQuery, type AggregateSeries, type RawQuery, type Storage, type StorageHealth,
  type StoredPoint,
} from '../port.ts';
import { checkPoints, compareRaw, filterIsEmpty, storedTags } from '../series-key.ts';
import { checkAggregateQuery, roundAggregate } from '../windows.ts';
import { isDatabaseNotFound, ping, query, type QueryTarget } from './http.ts';
import { aggregateStatement, rawStatement } from './influxql.ts';
import { MappingTransport } from './transport.ts';
import { toLine } from '../line-protocol.ts';

const log = logger('storage.influx');

// The client logs every failed attempt to the console; route it to our JSON log at debug level, since the
// adapter logs once per outage itself.
setLogger({
  error: (message, err) => log.debug({ err: (err as Error | undefined)?.message }, message),
  warn: (message, err) => log.debug({ err: (err as Error | undefined)?.message }, message),
});

/**
 * Write defaults: 5 000-line batches (InfluxDB recommends 5 000–10 000 lines per request), a 1 s flush so
 * readings reach the store promptly, a bounded retry buffer (the collector's disk buffer holds the rest
 * during long outages), no gzip (loopback or LAN: compression costs more CPU than it saves).
 */
export const WRITE_DEFAULTS: Partial<WriteOptions> = {
  batchSize: 5_000,
  flushInterval: 1_000,
  maxBufferLines: 100_000,
  maxRetries: 3,
  maxRetryTime: 60_000,
  minRetryDelay: 1_000,
  maxRetryDelay: 15_000,
  exponentialBase: 2,
  retryJitter: 500,
  gzipThreshold: Number.MAX_SAFE_INTEGER,
};

/** Everything the adapter needs, resolved by open.ts (version known). */
export interface InfluxStorageOptions extends QueryTarget {
  /** full version string from /ping when known, e.g. "1.6.7" */
  versionText?: string;
  org?: string;
  bucket?: string;
  /** write through the 1.x `/write` endpoint (every 1.x) */
  v1Write: boolean;
  writeOptions?: Partial<WriteOptions>;
  /** write requests open at once before `write()` waits (default 2) */
  maxInFlight?: number;
}

/** Failures of a batch send reach `writeFailed` and the retry buffer; its promise has nothing more to say. */
const ignore = (): void => undefined;

/** The Storage port on InfluxDB 1.x, 2.x or 3.x. */
export class InfluxStorage implements Storage {
  readonly kind = 'influxdb' as const;
  private readonly transport: MappingTransport;
  private readonly writeApi: WriteApi;
  private readonly target: QueryTarget;
  /** line batches waiting in the client's retry buffer (the client retries the same array) */
  private readonly retrying = new Set<string[]>();
  private droppedLines = 0;
  private lastError?: StorageError;
  private outage = false;
  private closed = false;
  private readonly batchSize: number;
  private readonly maxInFlight: number;
  private readonly maxRetries: number;
  /** the client's own batch send (WriteApiImpl.sendBatch), when it has one */
  private readonly sendBatch?: (lines: string[], retryAttempts: number) => Promise<void>;
  /** lines handed to the client's buffer since its last flush (at most: its timer may have sent them) */
  private partialLines = 0;
  /** the client's write path (mapped to `/write` for 1.x by the transport) */
  private readonly writePath: string;
  /** the first failure of a `writeLines` request since the last flush */
  private linesFailure?: StorageError;

  constructor(private readonly opts: InfluxStorageOptions) {
    this.batchSize = opts.writeOptions?.batchSize ?? WRITE_DEFAULTS.batchSize ?? 5_000;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 2);
    this.target = opts;
    // 1.x users authenticate with Basic credentials (added by the transport; open.ts turns a "user:password"
    // token into them); 2.x/3.x with the client's `Token` header.
    const basicUser = opts.version === 1 ? opts.username : undefined;
    const token = basicUser === undefined ? opts.token : undefined;
    const base = new InfluxDB({ url: opts.url, token, timeout: opts.timeoutMs ?? 30_000 }).transport;
    this.transport = new MappingTransport(base, { v1Write: opts.v1Write, username: basicUser, password: opts.password });
    const client = new InfluxDB({ url: opts.url, token, transport: this.transport });
    this.writePath = `/api/v2/write?org=${encodeURIComponent(opts.org ?? '')}&bucket=${encodeURIComponent(opts.bucket ?? bucketOf(opts))}&precision=ms`;
    const maxRetries = { ...WRITE_DEFAULTS, ...opts.writeOptions }.maxRetries ?? 3;
    this.maxRetries = maxRetries;
    const self = this;
    this.writeApi = client.getWriteApi(opts.org ?? '', opts.bucket ?? bucketOf(opts), 'ms', {
      ...WRITE_DEFAULTS,
      ...opts.writeOptions,
      writeSuccess(lines) {
        self.retrying.delete(lines);
        if (self.outage) {
          self.outage = false;
          log.info({ url: opts.url }, 'InfluxDB writes recovered');
        }
      },
      writeFailed(error, lines, attempt, expires) {
        const err = toStorageError(`InfluxDB write to ${opts.url}`, error);
        self.lastError = err;
        // Mirrors WriteApiImpl.sendBatch: it retries retryable errors while attempts and time remain.
        const willRetry = err.retryable && attempt <= maxRetries && expires > Date.now();
        if (willRetry) self.retrying.add(lines);
        else {
          self.retrying.delete(lines);
          self.droppedLines += lines.length;
        }
        if (!self.outage) {
          self.outage = true;
          log.warn({ url: opts.url, err: err.message, retryable: err.retryable }, 'InfluxDB write failed; retrying, and later writes wait for it');
        }
        return undefined;
      },
      writeRetrySkipped(entry) {
        self.retrying.delete(entry.lines);
        self.droppedLines += entry.lines.length;
      },
    });
    // Not part of the client's WriteApi type, but a method of its one implementation (WriteApiImpl, 1.35):
    // the batch send its own buffer calls. Without it every batch goes through writeRecords as before.
    const impl = this.writeApi as WriteApi & { sendBatch?: unknown };
    if (typeof impl.sendBatch === 'function') this.sendBatch = impl.sendBatch as (lines: string[], retryAttempts: number) => Promise<void>;
  }

  private open(): void {
    if (this.closed) throw new StorageError(`InfluxDB storage for ${this.opts.url} is closed`, false);
  }

  async write(points: StoredPoint[]): Promise<void> {
    this.open();
    checkPoints(points);
    const lines = points.map(toLine);
    // Back-pressure: the client sends a batch as soon as one is full, with no limit on requests in flight; a
    // large write would open hundreds at once and time out. Hand it lines a batch at a time, and wait while
    // `maxInFlight` requests are open (2 keeps InfluxDB busy while the next batch is built).
    for (let i = 0; i < lines.length; i += this.batchSize) {
      while (this.transport.inflightCount >= this.maxInFlight) await this.transport.anySettled();
      const chunk = i === 0 && lines.length <= this.batchSize ? lines : lines.slice(i, i + this.batchSize);
      if (chunk.length < this.batchSize || this.sendBatch === undefined) {
        this.writeApi.writeRecords(chunk);
        this.partialLines += chunk.length;
        continue;
      }
      if (this.partialLines > 0) {
        // Lines of an earlier write still in the client's buffer go first, as they would through writeRecords.
        this.partialLines = 0;
        this.writeApi.flush(false).catch(ignore);
        while (this.transport.inflightCount >= this.maxInFlight) await this.transport.anySettled();
      }
      // A full batch goes straight to the client's send (with its retries and callbacks), skipping its buffer,
      // which would only measure each line's UTF-8 length to split it again into the same batch.
      this.sendBatch(chunk, this.maxRetries).catch(ignore);
    }
  }

  /**
   * Prebuilt lines go out as one request of their own through the same transport (path mapping, authentication,
   * requests in flight), without the client's buffer or retries: the caller keeps the lines until `flush()`
   * resolves and writes them again when it rejects, which a retry inside would only duplicate. The caller sizes
   * the text: InfluxDB recommends 5 000–10 000 lines a request, and 1.x spends less CPU per point on larger ones
   * (the collector sends 25 000, see `OUTBOX_WRITER_DEFAULTS` in collector/outbox-writer.ts).
   */
  async writeLines(lines: string | Uint8Array): Promise<void> {
    this.open();
    if (lines.length === 0) return;
    while (this.transport.inflightCount >= this.maxInFlight) await this.transport.anySettled();
    let status: number | undefined;
    const failed = (error: unknown): void => {
      const err = toStorageError(`InfluxDB write to ${this.opts.url}`, error);
      this.lastError = err;
      this.linesFailure ??= err;
      if (!this.outage) {
        this.outage = true;
        log.warn({ url: this.opts.url, err: err.message, retryable: err.retryable }, 'InfluxDB write failed; the caller retries');
      }
    };
    // The client's transport types its body as text but sends `Buffer.from(body)`, which takes bytes as well.
    this.transport.send(this.writePath, lines as string, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' } }, {
      responseStarted: (_headers, statusCode) => { status = statusCode; },
      error: failed,
      complete: () => {
        // As the client's own write: 204, or 201 (3.x partial success), or no status from an older transport.
        if (status !== undefined && status !== 204 && status !== 201) {
          failed(new StorageError(`InfluxDB write to ${this.opts.url}: HTTP ${status} where 204 was expected`, status >= 500, status));
        } else if (this.outage && this.retrying.size === 0) {
          this.outage = false;
          log.info({ url: this.opts.url }, 'InfluxDB writes recovered');
        }
      },
    });
  }

  /** Points the client holds for a retry (a gauge for metrics and health). */
  get waitingForRetry(): number {
    let n = 0;
    for (const lines of this.retrying) n += lines.length;
    return n;
  }

  async flush(): Promise<void> {
    this.open();
    await this.flushAll();
  }

  private async flushAll(): Promise<void> {
    let failure: unknown;
    await this.transport.settled();
    try {
      await this.writeApi.flush(true);
    } catch (err) {
      failure = err;
    }
    await this.transport.settled();
    const linesFailure = this.linesFailure;
    this.linesFailure = undefined;
    if (failure === undefined && linesFailure !== undefined) failure = linesFailure;
    if (failure !== undefined || this.retrying.size > 0) {
      // Any rejection tells the caller to replay everything since its last successful flush, which covers
      // whatever was given up so far.
      this.droppedLines = 0;
      throw failure !== undefined ? toStorageError(`InfluxDB write to ${this.opts.url}`, failure)
        : this.lastError ?? new StorageError(`InfluxDB write to ${this.opts.url}: points are waiting for a retry`, true);
    }
    if (this.droppedLines > 0) {
      const n = this.droppedLines;
      this.droppedLines = 0;
      const cause = this.lastError;
      throw new StorageError(
        `InfluxDB write to ${this.opts.url}: ${n} points were given up after retries or refused${cause ? ` (${cause.message})` : ''}; write them again`,
        cause?.retryable ?? false, cause?.status, { cause, retryAfterMs: cause?.retryAfterMs });
    }
  }

  async aggregate(q: AggregateQuery): Promise<AggregateSeries[]> {
    this.open();
    checkAggregateQuery(q);
    if (q.to <= q.from || filterIsEmpty(q.where)) return [];
    const series = await this.read(aggregateStatement(q));
    const groupBy = [...new Set(q.group_by ?? [])].sort();
    const out: AggregateSeries[] = [];
    for (const s of series) {
      const vi = s.columns.indexOf('value');
      const points = s.values
        .filter((row) => typeof row[vi] === 'number')
        .map((row) => ({
          // Without GROUP BY time, InfluxDB stamps aggregates with 0 and selectors with the point's time:
          // the port says the range start.
          time: q.every_ms === undefined ? q.from : (row[0] as number),
          value: q.fn === 'sum' || q.fn === 'mean' ? roundAggregate(row[vi] as number) : (row[vi] as number),
        }));
      if (points.length === 0) continue;
      const tags: Record<string, string> = {};
      for (const k of groupBy) tags[k] = s.tags?.[k] ?? '';
      out.push({ tags, points });
    }
    return out.sort((a, b) => {
      for (const k of groupBy) if (a.tags[k] !== b.tags[k]) return a.tags[k] < b.tags[k] ? -1 : 1;
      return 0;
    });
  }

  async raw(q: RawQuery): Promise<StoredPoint[]> {
    this.open();
    if (!Number.isSafeInteger(q.from) || !Number.isSafeInteger(q.to)) throw new StorageError('raw: from and to must be integer epoch ms', false);
    if (q.limit !== undefined && (!Number.isSafeInteger(q.limit) || q.limit < 0)) throw new StorageError(`raw: limit must be a non-negative integer, got ${q.limit}`, false);
    if (q.to <= q.from || q.limit === 0 || filterIsEmpty(q.where)) return [];
    const out: StoredPoint[] = [];
    for (const s of await this.read(rawStatement(q))) {
      const tags = storedTags(s.tags ?? {});
      for (const row of s.values) {
        const fields: StoredPoint['fields'] = {};
        s.columns.forEach((c, i) => {
          const v = row[i];
          if (i > 0 && (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string')) fields[c] = v;
        });
        if (Object.keys(fields).length > 0) out.push({ measurement: q.measurement, tags: { ...tags }, fields, time: row[0] as number });
      }
    }
    out.sort(compareRaw);
    return q.limit === undefined ? out : out.slice(0, q.limit);
  }

  private async read(statement: string) {
    try {
      return await query(this.target, statement);
    } catch (err) {
      // 3.x creates a database on its first write, 1.x when we create it: until then there is simply no data.
      if (isDatabaseNotFound(err)) return [];
      throw err;
    }
  }

  async health(): Promise<StorageHealth> {
    const where = `InfluxDB ${this.opts.versionText ?? this.opts.version} at ${this.opts.url}, database ${this.opts.database}`;
    if (this.closed) return { ok: false, kind: 'influxdb', detail: `${where}: closed` };
    try {
      await ping(this.opts.url);
      const waiting = this.waitingForRetry;
      return { ok: true, kind: 'influxdb', detail: waiting > 0 ? `${where}: ${waiting} points waiting for a retry` : where };
    } catch (err) {
      return { ok: false, kind: 'influxdb', detail: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flushAll();
    } finally {
      this.closed = true;
      const left = this.writeApi.dispose();
      if (left > 0) log.error({ url: this.opts.url, points: left }, 'closed with points not written to InfluxDB');
    }
  }
}

/** The 2.x bucket / 1.8+ "db/rp" naming the write target. */
export function bucketOf(o: { database: string; retentionPolicy?: string }): string {
  return o.retentionPolicy ? `${o.database}/${o.retentionPolicy}` : o.database;
}

/** Any client or network error as a typed StorageError (429 and 5xx and network errors retryable). */
export function toStorageError(what: string, err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  if (err instanceof HttpError) {
    const header = err.headers?.['retry-after'];
    const seconds = Number(Array.isArray(header) ? header[0] : header);
    const retryAfterMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
    const retryable = err.statusCode === 429 || err.statusCode >= 500;
    return new StorageError(`${what}: HTTP ${err.statusCode} ${err.body ?? err.message}`.trim(), retryable, err.statusCode, { cause: err, retryAfterMs });
  }
  const e = err as { code?: string; message?: string };
  const reason = e.code === 'ECONNREFUSED' ? 'connection refused' : e.message ?? String(err);
  return new StorageError(`${what}: ${reason}`, true, undefined, { cause: err });
}
