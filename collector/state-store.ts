/**
 * The collector's durable state in one SQLite file (better-sqlite3, WAL): per-meter counter readings and interval
 * totals (D3), and the outbox of storage points not yet confirmed written. One transaction per ingested batch
 * holds all three, so a crash leaves either the whole batch (its MQTT message was or will be acknowledged) or
 * none of it (the broker redelivers it): no interval lost, none counted twice.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CounterReading } from './energy/counter.ts';
import type { IntervalTotal } from './energy/meter-energy.ts';
import { StartupError } from '../core/errors.ts';
import { OutboxLog, type LogLocation } from './outbox-log.ts';

/** The state database's file name in its folder. */
export const STATE_FILE = 'collector-state.sqlite';

/** The one line an unreadable state file stops the start with (issue 12.6), never `SqliteError: file is not a database`. */
function unreadable(path: string, dir: string, err: unknown): StartupError {
  return new StartupError(`collector state file ${path} is unreadable (${(err as Error).message}): run \`jieneng collector rebuild-state --site <site.yaml> --data ${dir}\` to set it aside and rebuild the counter state from storage`, { cause: err });
}

/** One outbox entry: the storage rows of one ingested batch. */
export interface OutboxEntry {
  id: number;
  count: number;
  /** newest source timestamp among its telemetry, for the lag metric */
  newest_ts: number;
}

/** What an outbox entry holds, as stored: the telemetry rows and the energy rows, both line protocol. */
export interface OutboxContent {
  /** telemetry rows, line protocol (storage/line-protocol.ts) in UTF-8, each line ending in `\n` */
  lines?: Buffer;
  /** energy rows, line protocol, each line ending in `\n` (several entries' rows are coalesced when written) */
  energy: string;
}

/** The changes of one batch, committed together. */
export interface BatchChanges {
  readings: { meter: string; ts: number; value: number }[];
  intervals: { meter: string; start: number; total: IntervalTotal }[];
  evicted: string[];
  /** the telemetry rows, line protocol in UTF-8 (kept off the JavaScript heap: it waits for storage) */
  lines?: Buffer;
  /** energy rows, line protocol */
  energy: string;
  /** true: these are the rows `pendingRewrites` asked for, which are then forgotten */
  rewritten?: boolean;
  /** more state of the same batch, written in its transaction through `database` (the seq ledger, decision 0309) */
  alongside?: () => void;
  /** storage rows the entry stands for (telemetry + energy) */
  count: number;
  newest_ts: number;
}

type NullableLocation = { [K in keyof LogLocation]: LogLocation[K] | null };

/** Persisted state of one meter, as loaded at start. */
export interface MeterSnapshot {
  readings: CounterReading[];
  intervals: [number, IntervalTotal][];
  evicted: boolean;
}

/**
 * The state database's tuned settings, each chosen by measurement (docs/benchmarks.md, bench:collector, "What was
 * done"); what each trades: docs/collector.md, Tuning.
 */
export const STATE_STORE_DEFAULTS = {
  /** WAL pages between automatic checkpoints: ~40 MB of log instead of SQLite's 4 MB (1000 pages) */
  walAutocheckpointPages: 10_000,
  /** rows per multi-row INSERT of counter readings and interval totals: a batch's 50 readings in one statement */
  rowsPerInsert: 64,
} as const;

/** Options of the state database (defaults: `STATE_STORE_DEFAULTS`). */
export interface StateStoreOptions {
  walAutocheckpointPages?: number;
  rowsPerInsert?: number;
}

/** The collector's state database. */
export class StateStore {
  private readonly db: Database.Database;
  /** the file and its folder, for the one-line error of an unreadable file */
  private readonly where: [string, string];
  private readonly insReadings: RowWriter<BatchChanges['readings'][number]>;
  private readonly upsIntervals: RowWriter<BatchChanges['intervals'][number]>;
  private readonly setEvicted: Database.Statement;
  private readonly insOutbox: Database.Statement;
  private readonly readOutbox: Database.Statement;
  private readonly delOutbox: Database.Statement;
  private readonly oldestSegment: Database.Statement;
  private readonly commitBatch: (c: BatchChanges, at: LogLocation | null) => OutboxEntry;
  /** the telemetry lines of the outbox entries (their rows say where) */
  private readonly log: OutboxLog;
  /** entries found at start whose telemetry lines the log had lost (see `dropLostLines`) */
  readonly lostEntries: number;

  constructor(dir: string, file = STATE_FILE, opts: StateStoreOptions = {}) {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, file);
    this.where = [path, dir];
    try {
      this.db = new Database(path);
      // WAL + NORMAL: a commit survives a process crash (SIGKILL); only an OS crash may lose the last commits,
      // and those messages were then not yet acknowledged long enough to matter (see docs/collector.md).
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.prepare("SELECT count(*) FROM sqlite_master").get(); // reads a page: a damaged file fails here
    } catch (err) {
      throw unreadable(path, dir, err);
    }
    this.log = new OutboxLog(join(dir, `${basename(file, '.sqlite')}-outbox`));
    // The outbox's pages are rewritten many times between two checkpoints and copied back once per checkpoint.
    this.db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.floor(opts.walAutocheckpointPages ?? STATE_STORE_DEFAULTS.walAutocheckpointPages))}`);
    this.lostEntries = this.readable(() => {
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS meter_reading (ts INTEGER NOT NULL, meter TEXT NOT NULL, value REAL NOT NULL, PRIMARY KEY (ts, meter)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS meter_interval (start INTEGER NOT NULL, meter TEXT NOT NULL, quantity REAL NOT NULL, estimated INTEGER NOT NULL, PRIMARY KEY (start, meter)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS meter_meta (meter TEXT PRIMARY KEY, evicted INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS meter_rewrite (meter TEXT NOT NULL, start INTEGER NOT NULL, PRIMARY KEY (meter, start)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS outbox_batch (id INTEGER PRIMARY KEY AUTOINCREMENT, count INTEGER NOT NULL, newest_ts INTEGER NOT NULL, energy TEXT NOT NULL, seg INTEGER, pos INTEGER, len INTEGER);
        CREATE TABLE IF NOT EXISTS outbox_refused (id INTEGER PRIMARY KEY, count INTEGER NOT NULL, error TEXT NOT NULL, energy TEXT NOT NULL, lines BLOB);
      `);
      // Counter readings and intervals are keyed time first: a batch's rows land on the same few B-tree pages. The
      // telemetry lines of an outbox entry are in the outbox log (`seg`, `pos`, `len`; decision 0304); an entry
      // without them lost its lines to an operating-system crash (`dropLostLines`).
      return this.dropLostLines();
    }, () => this.close());
    const rowsPerInsert = Math.max(1, Math.floor(opts.rowsPerInsert ?? STATE_STORE_DEFAULTS.rowsPerInsert));
    this.insReadings = new RowWriter(this.db, 'INSERT OR IGNORE INTO meter_reading (meter, ts, value)', 3, (r, out) => out.push(r.meter, r.ts, r.value), rowsPerInsert);
    this.upsIntervals = new RowWriter(this.db, 'INSERT OR REPLACE INTO meter_interval (meter, start, quantity, estimated)', 4, (i, out) => out.push(i.meter, i.start, i.total.quantity, i.total.estimated), rowsPerInsert);
    this.setEvicted = this.db.prepare('INSERT OR REPLACE INTO meter_meta (meter, evicted) VALUES (?, 1)');
    this.insOutbox = this.db.prepare('INSERT INTO outbox_batch (count, newest_ts, seg, pos, len, energy) VALUES (?, ?, ?, ?, ?, ?)');
    this.readOutbox = this.db.prepare('SELECT seg, pos, len, energy FROM outbox_batch WHERE id = ?');
    this.delOutbox = this.db.prepare('DELETE FROM outbox_batch WHERE id <= ?');
    this.oldestSegment = this.db.prepare('SELECT seg FROM outbox_batch WHERE seg IS NOT NULL ORDER BY id LIMIT 1');
    this.commitBatch = this.db.transaction((c: BatchChanges, at: LogLocation | null): OutboxEntry => {
      this.insReadings.run(c.readings);
      this.upsIntervals.run(c.intervals);
      for (const m of c.evicted) this.setEvicted.run(m);
      if (c.rewritten) this.db.exec('DELETE FROM meter_rewrite');
      c.alongside?.();
      if (c.count === 0) return { id: 0, count: 0, newest_ts: c.newest_ts };
      const info = this.insOutbox.run(c.count, c.newest_ts, at?.seg ?? null, at?.pos ?? null, at?.len ?? null, c.energy);
      return { id: Number(info.lastInsertRowid), count: c.count, newest_ts: c.newest_ts };
    });
  }

  /** The connection, for state kept beside the counters and written in the same transactions (the seq ledger). */
  get database(): Database.Database {
    return this.db;
  }

  /** Commit one batch's counter state and outbox points atomically; returns the outbox entry (id 0: none). */
  commit(changes: BatchChanges): OutboxEntry {
    // Appended first: should the transaction fail, the bytes are skipped (no entry points to them).
    const at = changes.lines && changes.count > 0 ? this.log.append(changes.lines) : null;
    return this.commitBatch(changes, at);
  }

  /** Every meter's persisted state. */
  loadMeters(): Map<string, MeterSnapshot> {
    return this.readable(() => this.readMeters());
  }

  private readMeters(): Map<string, MeterSnapshot> {
    const out = new Map<string, MeterSnapshot>();
    const get = (meter: string) => {
      let s = out.get(meter);
      if (!s) out.set(meter, (s = { readings: [], intervals: [], evicted: false }));
      return s;
    };
    // In key order (time first), so each meter's list comes out in time order.
    for (const r of this.db.prepare('SELECT meter, ts, value FROM meter_reading ORDER BY ts, meter').iterate() as Iterable<{ meter: string; ts: number; value: number }>) {
      get(r.meter).readings.push({ ts: r.ts, value: r.value });
    }
    for (const r of this.db.prepare('SELECT meter, start, quantity, estimated FROM meter_interval ORDER BY start, meter').iterate() as Iterable<{ meter: string; start: number; quantity: number; estimated: number }>) {
      get(r.meter).intervals.push([r.start, { quantity: r.quantity, estimated: r.estimated }]);
    }
    for (const r of this.db.prepare('SELECT meter, evicted FROM meter_meta').iterate() as Iterable<{ meter: string; evicted: number }>) {
      get(r.meter).evicted = r.evicted === 1;
    }
    return out;
  }

  /** SQLite's `quick_check` of the whole file: undefined when sound, else its first problem (a slow full read). */
  problem(): string | undefined {
    try {
      const first = (this.db.pragma('quick_check', { simple: true }) as string);
      return first === 'ok' ? undefined : first;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** Meters the state database holds counter state of (interval totals, or a settled mark). */
  metersWithState(): Set<string> {
    const rows = this.readable(() => this.db.prepare('SELECT DISTINCT meter FROM meter_interval UNION SELECT meter FROM meter_meta').all() as { meter: string }[]);
    return new Set(rows.map((r) => r.meter));
  }

  /**
   * Store counter state rebuilt from elsewhere (collector/state-rebuild.ts) and the intervals whose rows must be
   * written again, in one transaction; readings already held stay. The ingestor writes those rows at its start
   * (`pendingRewrites`), so a crash in between cannot lose them.
   */
  seedMeters(snapshots: ReadonlyMap<string, MeterSnapshot>, rewrite: ReadonlyMap<string, readonly number[]> = new Map()): void {
    const pending = this.db.prepare('INSERT OR IGNORE INTO meter_rewrite (meter, start) VALUES (?, ?)');
    const reading = this.db.prepare('INSERT OR IGNORE INTO meter_reading (ts, meter, value) VALUES (?, ?, ?)');
    const interval = this.db.prepare('INSERT OR REPLACE INTO meter_interval (start, meter, quantity, estimated) VALUES (?, ?, ?, ?)');
    const meta = this.db.prepare('INSERT OR REPLACE INTO meter_meta (meter, evicted) VALUES (?, ?)');
    this.db.transaction(() => {
      for (const [meter, s] of snapshots) {
        for (const r of s.readings) reading.run(r.ts, meter, r.value);
        for (const [start, t] of s.intervals) interval.run(start, meter, t.quantity, t.estimated);
        meta.run(meter, s.evicted ? 1 : 0);
      }
      for (const [meter, starts] of rewrite) for (const start of starts) pending.run(meter, start);
    })();
  }

  /** Per meter, the interval starts a rebuild left to write again (see `seedMeters`); `commit` with `rewritten` clears them. */
  pendingRewrites(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const r of this.db.prepare('SELECT meter, start FROM meter_rewrite ORDER BY meter, start').all() as { meter: string; start: number }[]) {
      out.set(r.meter, [...(out.get(r.meter) ?? []), r.start]);
    }
    return out;
  }

  /**
   * Forget settled counter state: per meter, readings before `readings_before` and intervals before
   * `intervals_before` (meters not listed keep everything). One transaction for all meters; each delete visits
   * only rows older than the latest cutoff, the front of the time-first keys.
   */
  pruneSettled(cutoffs: { meter: string; readings_before: number; intervals_before: number }[]): void {
    if (cutoffs.length === 0) return;
    this.db.transaction(() => {
      this.db.exec('CREATE TEMP TABLE IF NOT EXISTS prune_cutoff (meter TEXT PRIMARY KEY, readings_before INTEGER NOT NULL, intervals_before INTEGER NOT NULL); DELETE FROM prune_cutoff;');
      const put = this.db.prepare('INSERT OR REPLACE INTO prune_cutoff (meter, readings_before, intervals_before) VALUES (?, ?, ?)');
      for (const c of cutoffs) put.run(c.meter, c.readings_before, c.intervals_before);
      const maxReadings = Math.max(...cutoffs.map((c) => c.readings_before));
      const maxIntervals = Math.max(...cutoffs.map((c) => c.intervals_before));
      this.db.prepare('DELETE FROM meter_reading WHERE ts < ? AND ts < (SELECT readings_before FROM prune_cutoff c WHERE c.meter = meter_reading.meter)').run(maxReadings);
      this.db.prepare('DELETE FROM meter_interval WHERE start < ? AND start < (SELECT intervals_before FROM prune_cutoff c WHERE c.meter = meter_interval.meter)').run(maxIntervals);
    })();
  }

  /** Outbox entries after `after_id`, oldest first, up to about `max_points` points (at least one entry). */
  outboxAfter(after_id: number, max_points: number): OutboxEntry[] {
    const rows = this.db.prepare('SELECT id, count, newest_ts FROM outbox_batch WHERE id > ? ORDER BY id LIMIT 10000').all(after_id) as OutboxEntry[];
    const out: OutboxEntry[] = [];
    let n = 0;
    for (const r of rows) {
      if (out.length > 0 && n + r.count > max_points) break;
      out.push(r);
      n += r.count;
    }
    return out;
  }

  /** The content of an outbox entry. */
  outboxContent(id: number): OutboxContent {
    const row = this.readOutbox.get(id) as ({ energy: string } & NullableLocation) | undefined;
    if (!row) return { energy: '' };
    return { lines: row.seg !== null ? this.log.read(row as LogLocation) : undefined, energy: row.energy };
  }

  /** A read of the whole counter state, a damaged page reported as the one-line `unreadable` error. */
  private readable<T>(read: () => T, onError?: () => void): T {
    try {
      return read();
    } catch (err) {
      onError?.();
      if (/^SQLITE_(CORRUPT|NOTADB)/.test(String((err as { code?: unknown }).code))) throw unreadable(...this.where, err);
      throw err;
    }
  }

  /**
   * At start: entries whose lines the log no longer holds (an operating-system crash kept the database's last
   * commits but not the file's) keep their energy rows and lose their telemetry. Returns how many.
   */
  private dropLostLines(): number {
    const rows = this.db.prepare('SELECT id, count, seg, pos, len FROM outbox_batch WHERE seg IS NOT NULL').all() as (LogLocation & { id: number; count: number })[];
    const lost = rows.filter((r) => !this.log.holds(r));
    if (lost.length === 0) return 0;
    const forget = this.db.prepare('UPDATE outbox_batch SET seg = NULL, pos = NULL, len = NULL WHERE id = ?');
    this.db.transaction(() => {
      for (const r of lost) forget.run(r.id);
    })();
    return lost.length;
  }

  /** Forget outbox entries up to and including `id` (written to storage). */
  ack(through_id: number): void {
    this.delOutbox.run(through_id);
    const oldest = this.oldestSegment.get() as { seg: number } | undefined;
    this.log.releaseBefore(oldest?.seg ?? Number.MAX_SAFE_INTEGER);
  }

  /** Move an entry the store refuses out of the outbox, keeping it for a person to inspect. */
  setAside(id: number, error: string): void {
    const lines = this.outboxContent(id).lines ?? null; // kept in the row: the log forgets it with its segment
    this.db.transaction(() => {
      this.db.prepare('INSERT OR REPLACE INTO outbox_refused (id, count, error, energy, lines) SELECT id, count, ?, energy, ? FROM outbox_batch WHERE id = ?').run(error, lines, id);
      this.db.prepare('DELETE FROM outbox_batch WHERE id = ?').run(id);
    })();
  }

  /** Entries and points waiting in the outbox. */
  depth(): { entries: number; points: number } {
    const r = this.db.prepare('SELECT COUNT(*) AS entries, COALESCE(SUM(count), 0) AS points FROM outbox_batch').get() as { entries: number; points: number };
    return r;
  }

  close(): void {
    this.db.close();
    this.log.close();
  }
}

/** Inserts rows with one multi-row statement per up to `maxRows` rows (statements prepared once per row count). */
class RowWriter<T> {
  private readonly statements = new Map<number, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    /** `INSERT … INTO table (columns)`, without VALUES */
    private readonly head: string,
    private readonly width: number,
    private readonly values: (row: T, out: unknown[]) => void,
    private readonly maxRows: number,
  ) {}

  run(rows: readonly T[]): void {
    for (let at = 0; at < rows.length; at += this.maxRows) {
      const end = Math.min(rows.length, at + this.maxRows);
      const params: unknown[] = [];
      for (let i = at; i < end; i++) this.values(rows[i], params);
      this.statement(end - at).run(params);
    }
  }

  private statement(rows: number): Database.Statement {
    let s = this.statements.get(rows);
    if (!s) {
      const row = `(${Array(this.width).fill('?').join(', ')})`;
      s = this.db.prepare(`${this.head} VALUES ${Array(rows).fill(row).join(', ')}`);
      this.statements.set(rows, s);
    }
    return s;
  }
}
