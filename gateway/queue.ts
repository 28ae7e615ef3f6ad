/**
 * The gateway's store-and-forward queue: every batch is written here before it is published and removed only
 * after the broker's PUBACK (MQTT 3.1.1 §4.3.2, QoS 1), so neither a broker outage nor a gateway restart loses a
 * reading already queued. One SQLite file (better-sqlite3, WAL, synchronous FULL: a batch is on disk before it is
 * sent). Bounded by size: when full, the oldest batches are dropped, counted and logged. The per-gateway
 * sequence number lives in the same file, so it survives restarts.
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
  /** total payload bytes kept, default 256 MiB; the oldest batches go first */
  maxBytes?: number;
  log?: Logger;
}

/** Counters of the queue. */
export interface QueueStats {
  queued: number;
  bytes: number;
  dropped: number;
  nextSeq: number;
}

/** Durable FIFO of batches keyed by their sequence number. */
export class DiskQueue {
  private db: Database.Database;
  private bytes: number;
  private count: number;
  private dropped: number;
  private readonly maxBytes: number;
  private readonly stmts: {
    insert: Database.Statement<[number, string, number]>;
    nextSeq: Database.Statement<[], { value: number } | undefined>;
    setSeq: Database.Statement<[number]>;
    peek: Database.Statement<[number, number], QueuedBatch>;
    remove: Database.Statement<[number]>;
    sizeOf: Database.Statement<[number], { bytes: number } | undefined>;
    oldest: Database.Statement<[], { seq: number; bytes: number } | undefined>;
    setDropped: Database.Statement<[number]>;
  };

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
    this.maxBytes = opts.maxBytes ?? 256 * 1024 * 1024;
    this.stmts = {
      insert: this.db.prepare('INSERT INTO batch (seq, payload, bytes) VALUES (?, ?, ?)'),
      nextSeq: this.db.prepare("SELECT value FROM meta WHERE key = 'next_seq'"),
      setSeq: this.db.prepare("UPDATE meta SET value = ? WHERE key = 'next_seq'"),
      peek: this.db.prepare('SELECT seq, payload FROM batch WHERE seq > ? ORDER BY seq LIMIT ?'),
      remove: this.db.prepare('DELETE FROM batch WHERE seq = ?'),
      sizeOf: this.db.prepare('SELECT bytes FROM batch WHERE seq = ?'),
      oldest: this.db.prepare('SELECT seq, bytes FROM batch ORDER BY seq LIMIT 1'),
      setDropped: this.db.prepare("UPDATE meta SET value = ? WHERE key = 'dropped'"),
    };
    const totals = this.db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM batch').get() as { n: number; b: number };
    this.count = totals.n;
    this.bytes = totals.b;
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
      this.count++;
      this.bytes += size;
      this.evict();
      return seq;
    })();
  }

  private evict(): void {
    let dropped = 0;
    let firstDropped: number | undefined;
    while (this.bytes > this.maxBytes && this.count > 1) {
      const o = this.stmts.oldest.get();
      if (!o) break;
      this.stmts.remove.run(o.seq);
      firstDropped ??= o.seq;
      this.count--;
      this.bytes -= o.bytes;
      dropped++;
    }
    if (dropped > 0) {
      this.dropped += dropped;
      this.stmts.setDropped.run(this.dropped);
      this.opts.log?.warn({ dropped, first_seq: firstDropped, total_dropped: this.dropped, max_bytes: this.maxBytes },
        'store-and-forward queue full: oldest batches dropped');
    }
  }

  /** Up to `limit` batches with seq above `afterSeq`, oldest first. */
  peek(afterSeq: number, limit: number): QueuedBatch[] {
    return this.stmts.peek.all(afterSeq, limit);
  }

  /** Remove a batch once the broker acknowledged it (idempotent). */
  remove(seq: number): void {
    const o = this.stmts.sizeOf.get(seq);
    if (!o) return;
    this.stmts.remove.run(seq);
    this.count--;
    this.bytes -= o.bytes;
  }

  /** Counters. */
  stats(): QueueStats {
    return { queued: this.count, bytes: this.bytes, dropped: this.dropped, nextSeq: this.stmts.nextSeq.get()?.value ?? 0 };
  }

  /** Close the file. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
