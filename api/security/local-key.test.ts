/** The demo's admin key file: created once with mode 0600, kept while it works, replaced when it does not. */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureLocalAdminKey } from './local-key.ts';
import { openSecurityStore, securityFile } from './store.ts';

describe('local admin key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-local-key-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes an admin key readable by its owner only, keeps it, and replaces a revoked or foreign one', () => {
    let now = Date.now();
    const security = openSecurityStore(securityFile(dir), { now: () => now });
    try {
      const first = ensureLocalAdminKey(security, dir, now);
      expect(first).toEqual({ file: join(dir, 'api-key'), created: true });
      expect(statSync(first.file).mode & 0o777).toBe(0o600);
      const token = readFileSync(first.file, 'utf8').trim();
      expect(security.keys.verify(token)).toMatchObject({ principal: { role: 'admin', name: 'local admin (demo)' } });
      expect(ensureLocalAdminKey(security, dir, now).created).toBe(false);
      expect(readFileSync(first.file, 'utf8').trim()).toBe(token);

      // expired after its 90 days: a new one
      now += 91 * 86_400_000;
      expect(ensureLocalAdminKey(security, dir, now).created).toBe(true);
      const second = readFileSync(first.file, 'utf8').trim();
      expect(second).not.toBe(token);
      // revoked, or a key of a lower role put there: a new one, the file back to 0600
      security.keys.revoke(second.slice(3, 19));
      expect(ensureLocalAdminKey(security, dir, now).created).toBe(true);
      writeFileSync(first.file, `${security.keys.create({ name: 'v', role: 'viewer', expires_at: null }).token}\n`);
      chmodSync(first.file, 0o644);
      expect(ensureLocalAdminKey(security, dir, now).created).toBe(true);
      expect(statSync(first.file).mode & 0o777).toBe(0o600);
      expect(security.audit.read({ limit: 10 }).filter((e) => e.action === 'keys create')).toHaveLength(4);
    } finally {
      security.close();
    }
  });
});
