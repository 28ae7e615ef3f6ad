/**
 * The storage port (DESIGN.md boundary 4): write points, read windowed aggregates grouped by tags.
 * Two adapters implement it — InfluxDB (storage/influx/) and the embedded SQLite store (storage/embedded/) —
 * and both pass one contract suite (storage/contract.suite.ts). Times are UTC epoch milliseconds (D6).
 */

export type FieldValue = number | boolean | string;

/** One timestamped row of one series: measurement + tags identify the series. */
export interface StoredPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  /** UTC epoch milliseconds */
  time: number;
}

export type AggregateFn = 'sum' | 'mean' | 'min' | 'max' | 'last' | 'first' | 'count';

/** A tag filter: one value, or any of several. */
export type TagFilter = Record<string, string | string[]>;

export interface AggregateQuery {
  measurement: string;
  field: string;
  fn: AggregateFn;
  /** inclusive, UTC epoch ms */
  from: number;
  /** exclusive, UTC epoch ms */
  to: number;
  /** window length; omitted: one aggregate over the whole range */
  every_ms?: number;
  /**
   * Shift of the window grid from the UTC epoch, in ms (InfluxQL's `GROUP BY time(every, offset)`).
   * Day windows in Asia/Shanghai (UTC+8, no DST) use every 1 d and offset −8 h.
   */
  offset_ms?: number;
  where?: TagFilter;
  group_by?: string[];
}

export interface AggregatePoint {
  /** window start, UTC epoch ms (the range start when every_ms is omitted) */
  time: number;
  value: number;
}

export interface AggregateSeries {
  /** the values of the group_by tags for this series */
  tags: Record<string, string>;
  /** only windows that hold data, in time order: an empty window is absent, never a zero */
  points: AggregatePoint[];
}

export interface RawQuery {
  measurement: string;
  from: number;
  to: number;
  where?: TagFilter;
  limit?: number;
}

/**
 * What backs a Storage: the two shipped adapters, and two stand-ins that never ship — `memory`, the route
 * tests' in-memory store (api/testing/memory-storage.ts), and `discard`, the benchmarks' store that accepts
 * every write and keeps nothing.
 */
export const STORAGE_KINDS = ['influxdb', 'embedded', 'memory', 'discard'] as const;

/** One of STORAGE_KINDS. */
export type StorageKind = (typeof STORAGE_KINDS)[number];

export interface StorageHealth {
  ok: boolean;
  kind: StorageKind;
  detail: string;
}

export interface Storage {
  readonly kind: StorageKind;
  /**
   * Queue points for writing. Resolves once the adapter holds them (embedded: committed; InfluxDB: accepted
   * by the batching client). Writing the same series and time twice keeps one row (last write wins).
   */
  write(points: StoredPoint[]): Promise<void>;
  /**
   * Queue rows already rendered as line protocol (storage/line-protocol.ts: ms timestamps, `\n`-separated, as text or UTF-8 bytes; names
   * checked by `checkPoints` when their series was first rendered). The collector's telemetry takes this path:
   * InfluxDB gets the text as one request, with no per-row work on the way. Same semantics as `write`.
   */
  writeLines(lines: string | Uint8Array): Promise<void>;
  /** Write everything queued, waiting for retries; rejects if the store cannot take it. */
  flush(): Promise<void>;
  aggregate(q: AggregateQuery): Promise<AggregateSeries[]>;
  /** Raw rows in time order (for latest values, tests and exports); never for year-long KPI reads. */
  raw(q: RawQuery): Promise<StoredPoint[]>;
  health(): Promise<StorageHealth>;
  /** Flush, then release connections and files. */
  close(): Promise<void>;
}

/** Raised when the store cannot be reached or refuses a request; `retryable` says whether to buffer and retry. */
export class StorageError extends Error {
  /** How long the store asked to wait before retrying (HTTP Retry-After), when it said. */
  readonly retryAfterMs?: number;

  constructor(message: string, readonly retryable: boolean, readonly status?: number, options?: ErrorOptions & { retryAfterMs?: number }) {
    super(message, options);
    this.name = 'StorageError';
    this.retryAfterMs = options?.retryAfterMs;
  }
}
