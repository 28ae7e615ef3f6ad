/**
 * Per-gateway sequence accounting (DESIGN.md D10, issue #12.5, decision 0309): which `seq` of each gateway were
 * stored, which are missing (gaps), which came back after a resend request (recovered) and which the gateway no
 * longer had or never sent again (lost). A batch whose seq was already stored is a duplicate and is not stored
 * again. The state lives in the collector's state database (its own table, one row per gateway), written in the
 * transaction of each stored batch: the accounting is exactly what was committed, across crashes too.
 */
import type Database from 'better-sqlite3';
import type { SeqRange } from '../../core/contract/v1.ts';

/** Batches one resend request may cover (core/contract/v1.ts). */
export const MAX_REQUEST_BATCHES = 10_000;
/** A jump larger than this is a new numbering (no replay window holds that much), not a gap to ask for. */
const MAX_GAP_BATCHES = 1_000_000;

/** A missing seq range and its requests. */
export interface Gap extends SeqRange {
  opened_ms: number;
  /** when it was last asked for (null: not yet) */
  asked_ms: number | null;
  attempts: number;
}

/** What the collector knows of one gateway's sequence. */
export interface GatewayAccount {
  gateway: string;
  /** highest seq stored (null: nothing seen yet) */
  last_seq: number | null;
  /** `sent_ts` of that batch: a lower seq with a newer `sent_ts` means the gateway's numbering restarted */
  last_sent_ts: number | null;
  stored: number;
  duplicates: number;
  recovered: number;
  lost: number;
  restarts: number;
  /** open gaps, by seq, each at most MAX_REQUEST_BATCHES long */
  gaps: Gap[];
}

/** A range to ask a gateway for. */
export interface ResendRequest extends SeqRange {
  gateway: string;
  attempt: number;
}

/** Timing of the requests. */
export interface LedgerOptions {
  now?: () => number;
  /** a gap is first asked for after this long (a reconnect may deliver out of order), default 3 s */
  askAfterMs?: number;
  /** a range asked for and not back within this is asked again, default 20 s */
  answerTimeoutMs?: number;
  /** requests per gap; then what is still missing is counted lost, default 3 */
  maxAttempts?: number;
  /** a batch built further ahead of the collector's clock than this does not move the account, default 5 min */
  maxFutureMs?: number;
  /** called when batches are counted lost (for the log) */
  onLost?: (gateway: string, ranges: SeqRange[], why: string) => void;
}

const count = (r: SeqRange) => r.to_seq - r.from_seq + 1;

/** The accounting of every gateway, kept in memory and written through to the state database. */
export class SeqLedger {
  private readonly accounts = new Map<string, GatewayAccount>();
  private readonly save: Database.Statement<[string, string]>;
  private readonly load: Database.Statement<[string], { account: string } | undefined>;
  private readonly now: () => number;

  constructor(db: Database.Database, private readonly opts: LedgerOptions = {}) {
    this.now = opts.now ?? Date.now;
    db.exec('CREATE TABLE IF NOT EXISTS gateway_seq (gateway TEXT PRIMARY KEY, account TEXT NOT NULL) WITHOUT ROWID');
    for (const r of db.prepare('SELECT gateway, account FROM gateway_seq').all() as { gateway: string; account: string }[]) {
      this.accounts.set(r.gateway, JSON.parse(r.account) as GatewayAccount);
    }
    this.save = db.prepare('INSERT OR REPLACE INTO gateway_seq (gateway, account) VALUES (?, ?)');
    this.load = db.prepare('SELECT account FROM gateway_seq WHERE gateway = ?');
  }

  private account(gateway: string): GatewayAccount {
    let a = this.accounts.get(gateway);
    if (!a) {
      a = { gateway, last_seq: null, last_sent_ts: null, stored: 0, duplicates: 0, recovered: 0, lost: 0, restarts: 0, gaps: [] };
      this.accounts.set(gateway, a);
    }
    return a;
  }

  private persist(a: GatewayAccount): void {
    this.save.run(a.gateway, JSON.stringify(a));
  }

  /** Is this batch new (store it) or a duplicate of one already stored (acknowledge and drop it)? */
  isDuplicate(gateway: string, seq: number, sentTs: number): boolean {
    const a = this.accounts.get(gateway);
    if (!a || a.last_seq === null || seq > a.last_seq) return false;
    if (a.gaps.some((g) => seq >= g.from_seq && seq <= g.to_seq)) return false;
    // a lower seq built later than the newest one stored: the gateway started its numbering again
    return !(a.last_sent_ts !== null && sentTs > a.last_sent_ts);
  }

  /** Count a duplicate that was dropped. */
  duplicate(gateway: string): void {
    const a = this.account(gateway);
    a.duplicates++;
    this.persist(a);
  }

  /** The transaction that held `stored` failed: take the gateway's account back from the database. */
  rollback(gateway: string): void {
    const row = this.load.get(gateway);
    if (row) this.accounts.set(gateway, JSON.parse(row.account) as GatewayAccount);
    else this.accounts.delete(gateway);
  }

  /** A batch is stored: advance, open a gap for what was skipped, or close the gap it fills. */
  stored(gateway: string, seq: number, sentTs: number): void {
    // a batch from a broken clock or a forger must not make the real batches after it look older
    if (sentTs > this.now() + (this.opts.maxFutureMs ?? 300_000)) return;
    const a = this.account(gateway);
    a.stored++;
    const gap = a.gaps.findIndex((g) => seq >= g.from_seq && seq <= g.to_seq);
    if (gap >= 0) {
      const g = a.gaps[gap];
      const parts = [{ ...g, to_seq: seq - 1 }, { ...g, from_seq: seq + 1 }].filter((p) => p.from_seq <= p.to_seq);
      a.gaps.splice(gap, 1, ...parts);
      a.recovered++;
    } else if (a.last_seq !== null && (seq < a.last_seq || seq - a.last_seq - 1 > MAX_GAP_BATCHES)) {
      // a lower seq built later (the gateway lost its queue file), or a jump no replay window holds: a new
      // numbering, and what was missing of the old one is gone with it
      this.lose(a, a.gaps, 'the gateway restarted its sequence');
      a.gaps = [];
      a.restarts++;
      a.last_seq = seq;
      a.last_sent_ts = sentTs;
    } else {
      if (a.last_seq !== null && seq > a.last_seq + 1) this.open(a, a.last_seq + 1, seq - 1);
      a.last_seq = seq;
      a.last_sent_ts = sentTs;
    }
    this.persist(a);
  }

  private open(a: GatewayAccount, from: number, to: number): void {
    const opened = this.now();
    for (let f = from; f <= to; f += MAX_REQUEST_BATCHES) {
      a.gaps.push({ from_seq: f, to_seq: Math.min(to, f + MAX_REQUEST_BATCHES - 1), opened_ms: opened, asked_ms: null, attempts: 0 });
    }
  }

  private lose(a: GatewayAccount, ranges: SeqRange[], why: string): void {
    if (ranges.length === 0) return;
    a.lost += ranges.reduce((n, r) => n + count(r), 0);
    this.opts.onLost?.(a.gateway, ranges.map((r) => ({ from_seq: r.from_seq, to_seq: r.to_seq })), why);
  }

  /**
   * The ranges to ask for now (first asks after `askAfterMs`, repeats after `answerTimeoutMs`); gaps asked
   * `maxAttempts` times without coming back are counted lost. At most `limit` requests per gateway per call;
   * gateways `waiting` says are unreachable are left for later (an attempt they cannot hear is not spent).
   */
  due(limit = 5, waiting: (gateway: string) => boolean = () => false): ResendRequest[] {
    const now = this.now();
    const askAfter = this.opts.askAfterMs ?? 3000;
    const timeout = this.opts.answerTimeoutMs ?? 20_000;
    const maxAttempts = this.opts.maxAttempts ?? 3;
    const out: ResendRequest[] = [];
    for (const a of this.accounts.values()) {
      if (a.gaps.length === 0 || waiting(a.gateway)) continue;
      let asked = 0;
      let changed = false;
      const expired: Gap[] = [];
      for (const g of a.gaps) {
        const ready = g.asked_ms === null ? now - g.opened_ms >= askAfter : now - g.asked_ms >= timeout;
        if (!ready || asked >= limit) continue;
        if (g.attempts >= maxAttempts) {
          expired.push(g);
          continue;
        }
        g.asked_ms = now;
        g.attempts++;
        asked++;
        changed = true;
        out.push({ gateway: a.gateway, from_seq: g.from_seq, to_seq: g.to_seq, attempt: g.attempts });
      }
      if (expired.length > 0) {
        this.lose(a, expired, `not resent after ${maxAttempts} requests`);
        a.gaps = a.gaps.filter((g) => !expired.includes(g));
        changed = true;
      }
      if (changed) this.persist(a);
    }
    return out;
  }

  /** The gateway answered that it no longer holds these ranges: what of them is still missing is lost. */
  unavailable(gateway: string, ranges: SeqRange[]): void {
    const a = this.accounts.get(gateway);
    if (!a || ranges.length === 0) return;
    const gone: SeqRange[] = [];
    const kept: Gap[] = [];
    for (const g of a.gaps) {
      let pieces: Gap[] = [g];
      for (const r of ranges) {
        pieces = pieces.flatMap((p) => {
          const from = Math.max(p.from_seq, r.from_seq);
          const to = Math.min(p.to_seq, r.to_seq);
          if (from > to) return [p];
          gone.push({ from_seq: from, to_seq: to });
          return [{ ...p, to_seq: from - 1 }, { ...p, from_seq: to + 1 }].filter((x) => x.from_seq <= x.to_seq);
        });
      }
      kept.push(...pieces);
    }
    if (gone.length === 0) return;
    a.gaps = kept;
    this.lose(a, gone, 'the gateway no longer holds them');
    this.persist(a);
  }

  /** Every gateway's account (copies). */
  snapshot(): GatewayAccount[] {
    return [...this.accounts.values()].map((a) => ({ ...a, gaps: a.gaps.map((g) => ({ ...g })) }));
  }
}

/** Seq still missing in a gateway's open gaps. */
export function openGapBatches(a: GatewayAccount): number {
  return a.gaps.reduce((n, g) => n + count(g), 0);
}
