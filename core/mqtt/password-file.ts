/**
 * Mosquitto 2's password file: one `user:$7$<iterations>$<salt>$<hash>` line per account, the hash PBKDF2-HMAC-SHA512
 * of the password with a 12-byte random salt, 64 bytes, salt and hash in base64 — what `mosquitto_passwd` writes
 * (Mosquitto 2.0 `src/password_mosq.c`, `pw__hash` with `PW_DEFAULT_ITERATIONS` 101; `$6$` is the older salted
 * SHA-512). The embedded broker checks passwords against the same file, so one credentials folder serves both.
 */
import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/** mosquitto_passwd's default iteration count (Mosquitto 2.0). */
export const PBKDF2_ITERATIONS = 101;
const SALT_BYTES = 12;
const HASH_BYTES = 64;

/** One `$7$` password hash with a fresh random salt. */
export function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): string {
  const salt = randomBytes(SALT_BYTES);
  const hash = pbkdf2Sync(password, salt, iterations, HASH_BYTES, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Does the password match a `$7$` hash? Other formats: false. Constant-time comparison. */
export function verifyPassword(password: string, stored: string): boolean {
  const m = /^\$7\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return false;
  const iterations = Number(m[1]);
  if (!(iterations >= 1 && iterations <= 1_000_000)) return false;
  const expected = Buffer.from(m[3], 'base64');
  const actual = pbkdf2Sync(password, Buffer.from(m[2], 'base64'), iterations, expected.length, 'sha512');
  return expected.length === HASH_BYTES && timingSafeEqual(actual, expected);
}

/** The file's text for these users (name → hash). */
export function renderPasswordFile(hashes: Map<string, string>): string {
  return [...hashes].map(([user, hash]) => `${user}:${hash}\n`).join('');
}

/** Parse a password file into name → hash; blank lines and `#` comments are skipped. */
export function parsePasswordFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim() || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}
