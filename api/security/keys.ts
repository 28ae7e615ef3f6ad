/**
 * API keys (issue #13, decision 0700): `jn_<id>_<secret>`, a 16-hex-digit id (looked up by primary key) and a
 * 32-byte random secret. Only SHA-256(secret) is stored: the secret has 256 bits of entropy, so a slow hash
 * (scrypt) adds nothing against guessing and would cost every request. Comparison in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { isRole, type Principal, type Role } from './roles.ts';

const TOKEN = /^jn_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** A key as listed: never its secret. */
export interface KeyInfo {
  id: string;
  name: string;
  role: Role;
  buildings: string[];
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

/** Why a presented key was refused (a metrics label; the client only hears "invalid or expired"). */
export type KeyFailure = 'malformed' | 'unknown' | 'wrong_secret' | 'expired' | 'revoked';

interface KeyRow {
  id: string; name: string; role: string; buildings: string; secret_sha256: Buffer;
  created_at: number; expires_at: number | null; revoked_at: number | null;
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Create, list, revoke and verify keys. */
export class KeyStore {
  /** prepared once: verify runs on every request */
  private readonly byId: Statement<[string], KeyRow>;

  constructor(private readonly db: Database, private readonly now: () => number) {
    this.byId = db.prepare<[string], KeyRow>('SELECT * FROM api_keys WHERE id = ?');
  }

  /** Create a key; the returned token is the only copy of its secret. */
  create(opts: { name: string; role: Role; expires_at: number | null; buildings?: string[] }): { token: string; key: KeyInfo } {
    if (opts.expires_at !== null && opts.expires_at <= this.now()) throw new Error('the expiry must lie in the future');
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const key: KeyInfo = {
      id, name: opts.name, role: opts.role, buildings: opts.buildings ?? [], created_at: this.now(), expires_at: opts.expires_at, revoked_at: null,
    };
    this.db.prepare('INSERT INTO api_keys (id, name, role, buildings, secret_sha256, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, key.name, key.role, JSON.stringify(key.buildings), sha256(secret), key.created_at, key.expires_at);
    return { token: `jn_${id}_${secret}`, key };
  }

  /** Every key, newest first. */
  list(): KeyInfo[] {
    return (this.db.prepare('SELECT * FROM api_keys ORDER BY created_at DESC, id').all() as KeyRow[]).map(info);
  }

  /** Revoke a key from now on; false when no such key or already revoked. */
  revoke(id: string): boolean {
    return this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(this.now(), id).changes === 1;
  }

  /** The principal of a presented token, or why it is refused. */
  verify(token: string): { principal: Principal } | { failure: KeyFailure; keyId?: string } {
    const m = TOKEN.exec(token);
    if (!m) return { failure: 'malformed' };
    const [, id, secret] = m;
    const row = this.byId.get(id);
    if (!row) return { failure: 'unknown' };
    if (!timingSafeEqual(sha256(secret), row.secret_sha256)) return { failure: 'wrong_secret', keyId: id };
    if (row.revoked_at !== null) return { failure: 'revoked', keyId: id };
    if (row.expires_at !== null && row.expires_at <= this.now()) return { failure: 'expired', keyId: id };
    const key = info(row);
    return { principal: { keyId: key.id, name: key.name, role: key.role, buildings: key.buildings } };
  }
}

function info(row: KeyRow): KeyInfo {
  if (!isRole(row.role)) throw new Error(`api_keys: key ${row.id} has unknown role '${row.role}'`);
  return {
    id: row.id, name: row.name, role: row.role, buildings: JSON.parse(row.buildings) as string[],
    created_at: row.created_at, expires_at: row.expires_at, revoked_at: row.revoked_at,
  };
}

/** Parse a duration such as `90d`, `12h`, `30m` into ms; `never` gives null. */
export function parseExpiry(value: string): number | null {
  if (value === 'never') return null;
  const m = /^(\d+)([dhm])$/.exec(value);
  if (!m || Number(m[1]) === 0) throw new Error(`'${value}' is not a duration such as 90d, 12h, 30m or never`);
  return Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm'];
}
