/**
 * Issue #13 as an operator meets it: `jieneng keys create|list|revoke` and `jieneng api run` as real processes.
 * The API listens on loopback only; a key works until revoked; the secret of every key the test makes never
 * appears in anything the processes wrote (their stdout apart from `keys create`'s one line, their logs).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../test/harness/ports.ts';
import { startProcess, type OwnedProcess } from '../test/harness/process.ts';

const run = promisify(execFile);

describe('jieneng keys and jieneng api run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-keys-'));
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dir, LOG_LEVEL: 'info', INFLUX_URL: '', MQTT_URL: '' };
  const logFile = join(dir, 'api.log');
  let api: OwnedProcess | undefined;
  /** everything the commands printed, except the one stdout line that carries a new key */
  let printed = '';
  const keys = async (...args: string[]) => {
    const out = await run(process.execPath, ['bin/jieneng.js', 'keys', ...args, '--data', dir], { env });
    printed += out.stderr;
    return out;
  };

  afterAll(async () => {
    await api?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, lists and revokes keys; the API on 127.0.0.1 honours them; no secret in any output or log', async () => {
    const created = await keys('create', '--role', 'technician', '--name', 'ops team', '--expires', '7d');
    const token = created.stdout.trim();
    expect(token).toMatch(/^jn_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const id = token.slice(3, 19);
    const secret = token.slice(20);
    expect(created.stderr).toMatch(new RegExp(`key ${id} \\(technician\\) expires \\d{4}-`));
    await expect(keys('create', '--role', 'root')).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--role: 'root' is not one of viewer/) });

    const port = await freePort();
    api = startProcess(process.execPath, ['bin/jieneng.js', 'api', 'run', '--site', 'config/demo-site.yaml', '--port', String(port), '--data', dir], logFile, env);
    const base = `http://127.0.0.1:${port}`;
    await waitFor('the API', async () => (await fetch(`${base}/api/v1/health`).catch(() => undefined)) !== undefined, 60_000, 250);
    // loopback only: another address of this machine refuses the connection
    const other = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
    if (other) await expect(fetch(`http://${other.address}:${port}/api/v1/health`)).rejects.toThrow();

    const auth = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });
    expect((await fetch(`${base}/api/v1/devices`, auth(token))).status).toBe(200);
    expect((await fetch(`${base}/api/v1/contracts`, auth(token))).status).toBe(403);
    expect((await fetch(`${base}/api/v1/devices`, auth(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`))).status).toBe(401);

    const listed = await keys('list');
    printed += listed.stdout;
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+technician\\s.*active\\s+\\*\\s+ops team`));
    await keys('revoke', id);
    expect((await fetch(`${base}/api/v1/devices`, auth(token))).status).toBe(401);
    expect((await keys('list')).stdout).toMatch(new RegExp(`${id}\\s+technician\\s.*revoked`));
    await expect(keys('revoke', id)).rejects.toMatchObject({ code: 1 });

    await api.stop();
    const log = readFileSync(logFile, 'utf8');
    expect(log).toMatch(/"msg":"API listening on http:\/\/127\.0\.0\.1:\d+\/api\/v1"/);
    // the refusals are logged with the key id and the reason, never the secret
    expect(log).toMatch(new RegExp(`"reason":"wrong_secret","key":"${id}"`));
    expect(log).toMatch(new RegExp(`"reason":"revoked","key":"${id}"`));
    for (const text of [log, printed]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice(0, 12));
    }
  }, 120_000);
});
