/**
 * The append-only audit log (issue #13): who (key id and name, role), when, what (method and path), the answer's
 * status and from where (client address). The table refuses UPDATE and DELETE by trigger (store.ts); this module
 * has no path that changes a row.
 */
import type { Database } from 'better-sqlite3';

/** One audited action. */
export interface AuditEntry {
  seq: number;
  time: number;
  /** key id, or `cli` for the `jieneng keys` command */
  actor: string;
  actor_name: string;
  role: string | null;
  /** `METHOD /route-template` (`POST /api/v1/keys`), or `keys create` / `keys revoke` from the command line */
  action: string;
  /** the request target with its query, or the key concerned */
  target: string;
  status: number | null;
  /** client address, or `local` for the command line */
  client: string;
}

/** Append to and read the audit log. */
export class AuditLog {
  constructor(private readonly db: Database, private readonly now: () => number) {}

  /** Append one entry; the log assigns seq and time. */
  append(entry: Omit<AuditEntry, 'seq' | 'time'>): void {
    this.db.prepare('INSERT INTO audit_log (time, actor, actor_name, role, action, target, status, client) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(this.now(), entry.actor, entry.actor_name, entry.role, entry.action, entry.target, entry.status, entry.client);
  }

  /** Newest first: at most `limit` entries with seq below `before` (paging). */
  read(opts: { limit: number; before?: number }): AuditEntry[] {
    return this.db.prepare('SELECT * FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT ?')
      .all(opts.before ?? Number.MAX_SAFE_INTEGER, opts.limit) as AuditEntry[];
  }
}
