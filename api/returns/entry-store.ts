/**
 * The manual entries' store (`<DATA_DIR>/returns.sqlite`): append-only, as the audit log is (triggers refuse UPDATE
 * and DELETE). A correction is a new entry that names the one it supersedes; the superseded one stays in the
 * history and only the newest of a chain counts. A file of entries goes in one transaction: all or nothing.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Entry, EntryDraft, EntryKind } from './entries.ts';

/** File name of the returns database inside the data directory. */
export const RETURNS_FILE = 'returns.sqlite';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS manual_entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  org_unit TEXT,
  from_date TEXT NOT NULL,
  to_date TEXT,
  use TEXT,
  item TEXT,
  medium TEXT,
  meter TEXT,
  mode TEXT,
  quantity REAL,
  unit TEXT,
  amount_cny REAL,
  document TEXT,
  note TEXT,
  supersedes INTEGER UNIQUE REFERENCES manual_entries(id),
  withdrawn INTEGER NOT NULL DEFAULT 0,
  entered_by TEXT NOT NULL,
  entered_at INTEGER NOT NULL,
  batch TEXT
);
CREATE INDEX IF NOT EXISTS manual_entries_period ON manual_entries(from_date, to_date);
CREATE TRIGGER IF NOT EXISTS manual_entries_no_update BEFORE UPDATE ON manual_entries
  BEGIN SELECT RAISE(ABORT, 'manual_entries is append-only: correct an entry with a new one that supersedes it'); END;
CREATE TRIGGER IF NOT EXISTS manual_entries_no_delete BEFORE DELETE ON manual_entries
  BEGIN SELECT RAISE(ABORT, 'manual_entries is append-only: withdraw an entry with a new one that supersedes it'); END;
`;

/** A correction that does not fit the history: unknown, already superseded, or of another kind. */
export class SupersedeError extends Error {
  constructor(readonly index: number, message: string) {
    super(message);
    this.name = 'SupersedeError';
  }
}

interface Row {
  id: number; kind: string; org_unit: string | null; from_date: string; to_date: string | null; use: string | null;
  item: string | null; medium: string | null; meter: string | null; mode: string | null; quantity: number | null;
  unit: string | null; amount_cny: number | null; document: string | null; note: string | null;
  supersedes: number | null; withdrawn: number; entered_by: string; entered_at: number; batch: string | null;
  superseded_by: number | null;
}

const SELECT = 'SELECT e.*, (SELECT s.id FROM manual_entries s WHERE s.supersedes = e.id) AS superseded_by FROM manual_entries e';

function toEntry(r: Row): Entry {
  return {
    id: r.id, kind: r.kind as EntryKind, org_unit: r.org_unit, from: r.from_date, to: r.to_date, use: r.use, item: r.item,
    medium: r.medium as Entry['medium'], meter: r.meter, mode: r.mode as Entry['mode'], quantity: r.quantity, unit: r.unit,
    amount_cny: r.amount_cny, document: r.document, note: r.note, supersedes: r.supersedes, withdrawn: r.withdrawn === 1,
    entered_by: r.entered_by, entered_at: r.entered_at, batch: r.batch, superseded_by: r.superseded_by,
  };
}

/** Which entries to read. */
export interface EntryQuery {
  /** entries whose period (or effective date) touches [from, to), dates YYYY-MM-DD; point-in-time ones before `to` */
  from?: string;
  to?: string;
  kind?: EntryKind;
  /** only this org unit; `null`: only the institution's own; undefined: all */
  org_unit?: string | null;
  /** include superseded entries and withdrawals (the history) */
  history?: boolean;
}

/** Append and read manual entries. */
export class EntryStore {
  private readonly db: Database.Database;

  constructor(file: string, private readonly now: () => number = Date.now) {
    if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  /**
   * Append drafts in one transaction (all or nothing) by one person; a correction must name a current entry of the
   * same kind. Throws SupersedeError (with the draft's index) and stores nothing when one does not fit.
   */
  append(drafts: EntryDraft[], enteredBy: string, batch: string | null = null): Entry[] {
    const insert = this.db.prepare(`INSERT INTO manual_entries (kind, org_unit, from_date, to_date, use, item, medium, meter, mode, quantity, unit,
      amount_cny, document, note, supersedes, withdrawn, entered_by, entered_at, batch) VALUES (@kind, @org_unit, @from, @to, @use, @item, @medium,
      @meter, @mode, @quantity, @unit, @amount_cny, @document, @note, @supersedes, @withdrawn, @entered_by, @entered_at, @batch)`);
    const at = this.now();
    const run = this.db.transaction(() => drafts.map((d, i) => {
      if (d.supersedes !== null) {
        const old = this.get(d.supersedes);
        if (!old) throw new SupersedeError(i, `entry ${d.supersedes} does not exist`);
        if (old.superseded_by !== null) throw new SupersedeError(i, `entry ${d.supersedes} was already corrected by entry ${old.superseded_by}: correct that one`);
        if (old.withdrawn) throw new SupersedeError(i, `entry ${d.supersedes} is a withdrawal`);
        if (old.kind !== d.kind) throw new SupersedeError(i, `entry ${d.supersedes} is a ${old.kind} entry, not ${d.kind}`);
      }
      const { lastInsertRowid } = insert.run({ ...d, withdrawn: d.withdrawn ? 1 : 0, entered_by: enteredBy, entered_at: at, batch });
      return Number(lastInsertRowid);
    }));
    return run().map((id) => this.get(id) as Entry);
  }

  /** One entry by id. */
  get(id: number): Entry | undefined {
    const r = this.db.prepare(`${SELECT} WHERE e.id = ?`).get(id) as Row | undefined;
    return r ? toEntry(r) : undefined;
  }

  /** Entries by period, kind and org unit, oldest first; current ones only unless `history`. */
  list(q: EntryQuery = {}): Entry[] {
    const where: string[] = [];
    const args: Record<string, unknown> = {};
    if (q.to !== undefined) { where.push('e.from_date < @to'); args.to = q.to; }
    // a point-in-time value (no to_date) stays in force: it concerns every later period
    if (q.from !== undefined) { where.push('(e.to_date IS NULL OR e.to_date > @from)'); args.from = q.from; }
    if (q.kind !== undefined) { where.push('e.kind = @kind'); args.kind = q.kind; }
    if (q.org_unit === null) where.push('e.org_unit IS NULL');
    else if (q.org_unit !== undefined) { where.push('e.org_unit = @org_unit'); args.org_unit = q.org_unit; }
    if (!q.history) where.push('e.withdrawn = 0 AND NOT EXISTS (SELECT 1 FROM manual_entries s WHERE s.supersedes = e.id)');
    const sql = `${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY e.id`;
    return (this.db.prepare(sql).all(args) as Row[]).map(toEntry);
  }

  close(): void {
    this.db.close();
  }
}

/** The returns database of a data directory. */
export function returnsFile(dataDir: string): string {
  return resolve(dataDir, RETURNS_FILE);
}
