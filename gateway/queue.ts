/**
 * The gateway's store-and-forward queue and replay window: every batch is written here before it is published
 * and marked acknowledged after the broker's PUBACK (MQTT 3.1.1 §4.3.2, QoS 1), so neither a broker outage nor
 * a gateway restart loses a reading already queued. An acknowledged batch stays in the file as the replay
 * window (default 24 h, bounded by size) so that a collector can ask for it again (decision 0309, issue #12.5):
 * a broker that loses its sessions may have acknowledged batches nobody received. One SQLite file
 * (better-sqlite3, WAL, synchronous FULL: a batch is on disk before it is sent). Bounded by size: when full, the
 * oldest unacknowledged batches are dropped, counted and logged. The per-gateway sequence number lives in the
 * same file, so it survives restarts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../core/log.ts';

/** A queued message. */
export interface QueuedBatch {
  seq: number;
  payload: string;
}

/** Queue limits. */
export interface QueueOptions {
  /** payload bytes of unacknowledged batches kept, default 256 MiB; the oldest go first */
  maxBytes?: number;
  /** how long an acknowledged batch stays available for a resend, default 24 h */
  replayWindowMs?: number;
  /** payload bytes of acknowledged batches kept, default 64 MiB; the oldest go first */
  replayMaxBytes?: number;
  /** the clock, UTC epoch ms (tests) */
  now?: () => number;
  log?: Logger;
}

/** Counters of the queue. */
export interface QueueStats {
  /** batches waiting for the broker's acknowledgement */
  queued: number;
  bytes: number;
  /** unacknowledged batches dropped because the queue was full (never sent) */
  dropped: number;
  nextSeq: number;
  /** acknowledged batches kept for resends, and their bytes */
  replayable: number;
  replayBytes: number;
}

/** Which batches of a seq range the file holds. */
export interface RangeContent {
  /** seq of acknowledged batches (to publish again) */
  acked: number[];
  /** seq of batches still waiting for their first acknowledgement */
  pending: number[];
  /** sub-ranges the file does not hold */
  missing: { from_seq: number; to_seq: number }[];
}

interface Stmts {
  insert: Database.Statement<[number, string, number]>;
  nextSeq: Database.Statement<[], { value: number } | undefined>;
  setSeq: Database.Statement<[number]>;
  peek: Database.Statement<[number, number], QueuedBatch>;
  ack: Database.Statement<[number, number]>;
  sizeOf: Database.Statement<[number], { bytes: number; acked_at: number | null } | undefined>;
  remove: Database.Statement<[number]>;
  oldestPending: Database.Statement<[], { seq: number; bytes: number } | undefined>;
  oldestAcked: Database.Statement<[], { seq: number; bytes: number; acked_at: number } | undefined>;
  range: Database.Statement<[number, number], { seq: number; acked_at: number | null }>;
  ackedSince: Database.Statement<[number, number], { seq: number }>;
  payload: Database.Statement<[number], { payload: string } | undefined>;
  setDropped: Database.Statement<[number]>;
}

/** Durable FIFO of batches keyed by their sequence number, with the acknowledged ones kept for replay. */
export class DiskQueue {
  private db: Database.Database;
  private pending = { count: 0, bytes: 0 };
  private replay = { count: 0, bytes: 0 };
  private dropped: number;
  private readonly maxBytes: number;
  private readonly windowMs: number;
  private readonly replayMaxBytes: number;
  private readonly now: () => number;
  private readonly stmts: Stmts;

  constructor(dir: string, name: string, private readonly opts: QueueOptions = {}) {
    mkdirSync(dir, { recursive: true });
    this.db = new Database(join(dir, `${name}.queue.sqlite`));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS batch (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL, bytes INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT OR IGNORE INTO meta (key, value) VALUES ('next_seq', 0), ('dropped', 0);
    `);
    // Files of versions before the replay window deleted a batch on PUBACK: every row there is unacknowledged.
    const columns = (this.db.prepare('PRAGMA table_info(batch)').all() as { name: string }[]).map((c) => c.name);
    if (!columns.includes('acked_at')) this.db.exec('ALTER TABLE batch ADD COLUMN acked_at INTEGER');
    this.db.exec(`
      CREATE INDEX IF NOT EXISTS batch_pending ON batch (seq) WHERE acked_at IS NULL;
      CREATE INDEX IF NOT EXISTS batch_acked ON batch (acked_at) WHERE acked_at IS NOT NULL;
    `);
    this.maxBytes = opts.maxBytes ?? 256 * 1024 * 1024;
    this.windowMs = opts.replayWindowMs ?? 24 * 3_600_000;
    this.replayMaxBytes = opts.replayMaxBytes ?? 64 * 1024 * 1024;
    this.now = opts.now ?? Date.now;
    this.stmts = {
      insert: this.db.prepare('INSERT INTO batch (seq, payload, bytes) VALUES (?, ?, ?)'),
      nextSeq: this.db.prepare("SELECT value FROM meta WHERE key = 'next_seq'"),
      setSeq: this.db.prepare("UPDATE meta SET value = ? WHERE key = 'next_seq'"),
      peek: this.db.prepare('SELECT seq, payload FROM batch WHERE seq > ? AND acked_at IS NULL ORDER BY seq LIMIT ?'),
      ack: this.db.prepare('UPDATE batch SET acked_at = ? WHERE seq = ? AND acked_at IS NULL'),
      sizeOf: this.db.prepare('SELECT bytes, acked_at FROM batch WHERE seq = ?'),
      remove: this.db.prepare('DELETE FROM batch WHERE seq = ?'),
      oldestPending: this.db.prepare('SELECT seq, bytes FROM batch WHERE acked_at IS NULL ORDER BY seq LIMIT 1'),
      oldestAcked: this.db.prepare('SELECT seq, bytes, acked_at FROM batch WHERE acked_at IS NOT NULL ORDER BY acked_at, seq LIMIT 1'),
      range: this.db.prepare('SELECT seq, acked_at FROM batch WHERE seq BETWEEN ? AND ? ORDER BY seq'),
      ackedSince: this.db.prepare('SELECT seq FROM batch WHERE acked_at >= ? ORDER BY seq LIMIT ?'),
      payload: this.db.prepare('SELECT payload FROM batch WHERE seq = ?'),
      setDropped: this.db.prepare("UPDATE meta SET value = ? WHERE key = 'dropped'"),
    };
    for (const r of this.db.prepare('SELECT acked_at IS NOT NULL AS acked, COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM batch GROUP BY 1').all() as { acked: number; n: number; b: number }[]) {
      (r.acked ? this.replay : this.pending).count = r.n;
      (r.acked ? this.replay : this.pending).bytes = r.b;
    }
    this.dropped = (this.db.prepare("SELECT value FROM meta WHERE key = 'dropped'").get() as { value: number }).value;
  }

  /** Append a batch; `build` receives its sequence number (assigned and stored in the same transaction). */
  enqueue(build: (seq: number) => string): number {
    return this.db.transaction(() => {
      const seq = this.stmts.nextSeq.get()?.value ?? 0;
      const payload = build(seq);
      const size = Buffer.byteLength(payload);
      this.stmts.insert.run(seq, payload, size);
      this.stmts.setSeq.run(seq + 1);
      this.pending.count++;
      this.pending.bytes += size;
      this.evict();
      return seq;
    })();
  }

  /** Forget acknowledged batches beyond the window or the replay bound, then unsent ones beyond the queue bound. */
  private evict(): void {
    const expired = this.now() - this.windowMs;
    for (let o = this.stmts.oldestAcked.get(); o && (o.acked_at < expired || this.replay.bytes > this.replayMaxBytes); o = this.stmts.oldestAcked.get()) {
      this.stmts.remove.run(o.seq);
      this.replay.count--;
      this.replay.bytes -= o.bytes;
    }
    let dropped = 0;
    let firstDropped: number | undefined;
    while (this.pending.bytes > this.maxBytes && this.pending.count > 1) {
      const o = this.stmts.oldestPending.get();
      if (!o) break;
      this.stmts.remove.run(o.seq);
      firstDropped ??= o.seq;
      this.pending.count--;
      this.pending.bytes -= o.bytes;
      dropped++;
    }
    if (dropped > 0) {
      this.dropped += dropped;
      this.stmts.setDropped.run(this.dropped);
      this.opts.log?.warn({ dropped, first_seq: firstDropped, total_dropped: this.dropped, max_bytes: this.maxBytes },
        'store-and-forward queue full: oldest batches dropped');
    }
  }

  /** Up to `limit` unacknowledged batches with seq above `afterSeq`, oldest first. */
  peek(afterSeq: number, limit: number): QueuedBatch[] {
    return this.stmts.peek.all(afterSeq, limit);
  }

  /** The broker acknowledged a batch: it moves to the replay window (idempotent). */
  acked(seq: number): void {
    const o = this.stmts.sizeOf.get(seq);
    if (!o || o.acked_at !== null) return;
    this.stmts.ack.run(this.now(), seq);
    this.pending.count--;
    this.pending.bytes -= o.bytes;
    this.replay.count++;
    this.replay.bytes += o.bytes;
    if (this.replay.bytes > this.replayMaxBytes) this.evict();
  }

  /** What the file holds of `[from, to]`: acknowledged batches, pending seq and the missing sub-ranges. */
  range(from: number, to: number): RangeContent {
    this.db.transaction(() => this.evict())(); // the window's age bound, also when nothing is enqueued for a while
    const out: RangeContent = { acked: [], pending: [], missing: [] };
    let expect = from;
    for (const r of this.stmts.range.iterate(from, to)) {
      if (r.seq > expect) out.missing.push({ from_seq: expect, to_seq: r.seq - 1 });
      if (r.acked_at === null) out.pending.push(r.seq);
      else out.acked.push(r.seq);
      expect = r.seq + 1;
    }
    if (expect <= to) out.missing.push({ from_seq: expect, to_seq: to });
    return out;
  }

  /** Seq of the acknowledged batches whose PUBACK came at or after `sinceMs`, oldest first, at most `limit`. */
  ackedSince(sinceMs: number, limit: number): number[] {
    return this.stmts.ackedSince.all(sinceMs, limit).map((r) => r.seq);
  }

  /** The payload of a batch still in the file (queued or in the replay window). */
  payload(seq: number): string | undefined {
    return this.stmts.payload.get(seq)?.payload;
  }

  /** Counters. */
  stats(): QueueStats {
    return {
      queued: this.pending.count, bytes: this.pending.bytes, dropped: this.dropped, nextSeq: this.stmts.nextSeq.get()?.value ?? 0,
      replayable: this.replay.count, replayBytes: this.replay.bytes,
    };
  }

  /** Close the file. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
