/**
 * The API's security file (`<DATA_DIR>/security.sqlite`, decision 0700): API keys (hashed) and the append-only
 * audit log, in one small SQLite database shared by the API process and the `jieneng keys` command (WAL mode).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { AuditLog } from './audit.ts';
import { KeyStore } from './keys.ts';

/** File name of the security database inside the data directory. */
export const SECURITY_FILE = 'security.sqlite';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  buildings TEXT NOT NULL DEFAULT '[]',
  secret_sha256 BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  actor TEXT NOT NULL,
  actor_name TEXT NOT NULL,
  role TEXT,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  status INTEGER,
  client TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
`;

/** Keys and audit log of one API instance. */
export interface SecurityStore {
  keys: KeyStore;
  audit: AuditLog;
  close(): void;
}

/**
 * Open (creating) the security database: a file path, or `:memory:` for tests. `now` is the clock of expiry
 * checks and audit times (tests move it; the API uses the wall clock, never a data clock).
 */
export function openSecurityStore(file: string, opts: { now?: () => number } = {}): SecurityStore {
  if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  const now = opts.now ?? Date.now;
  return { keys: new KeyStore(db, now), audit: new AuditLog(db, now), close: () => db.close() };
}

/** The security database of a data directory. */
export function securityFile(dataDir: string): string {
  return resolve(dataDir, SECURITY_FILE);
}
