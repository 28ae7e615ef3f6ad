/**
 * The demo's own admin key (issue #13, DESIGN D9): `npm start` stays two commands, so on a start without a
 * working key it creates one and writes it, alone, to `<DATA_DIR>/api-key` with mode 0600. The key is never
 * printed or logged; the file's path is.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SecurityStore } from './store.ts';

/** Name of the key file inside the data directory. */
export const KEY_FILE = 'api-key';
const LIFETIME_MS = 90 * 86_400_000;

/**
 * Keep the key of `<dataDir>/api-key` when it still authenticates as admin; otherwise create a local admin key
 * (90 days; a start after expiry makes a new one) and write it there.
 */
export function ensureLocalAdminKey(security: SecurityStore, dataDir: string, now = Date.now()): { file: string; created: boolean } {
  const file = resolve(dataDir, KEY_FILE);
  if (existsSync(file)) {
    const verdict = security.keys.verify(readFileSync(file, 'utf8').trim());
    if ('principal' in verdict && verdict.principal.role === 'admin') {
      chmodSync(file, 0o600);
      return { file, created: false };
    }
  }
  const { token, key } = security.keys.create({ name: 'local admin (demo)', role: 'admin', expires_at: now + LIFETIME_MS });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its old mode on write
  security.audit.append({ actor: 'cli', actor_name: 'demo start', role: null, action: 'keys create', target: key.id, status: null, client: 'local' });
  return { file, created: true };
}
