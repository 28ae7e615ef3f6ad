/** The collector's command line and start-up errors: one line, non-zero exit, never a stack trace. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { StartupError } from '../core/errors.ts';
import { openEmbeddedStorage } from '../storage/embedded/store.ts';
import { freePort } from '../test/harness/ports.ts';
import { collectorCli } from './cli.ts';
import { startCollector } from './runtime.ts';
import { collectorTestSite } from './testing/site.ts';

const dir = mkdtempSync(join(tmpdir(), 'jieneng-collector-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('jieneng collector', () => {
  it('refuses bad arguments with a usage line and exit code 2', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await collectorCli(['run', '--share', 'g', '--partition', '2/2'])).toBe(2);
      expect(String(err.mock.calls.at(-1)?.[0])).toMatch(/--partition: '2\/2' is not k\/N/);
      expect(await collectorCli(['run', '--partition', '0/2'])).toBe(2);
      expect(String(err.mock.calls.at(-1)?.[0])).toMatch(/--partition needs --share/);
      expect(await collectorCli(['run', '--metrics-port', 'x'])).toBe(2);
      expect(await collectorCli(['run', '--max-age-days', 'forever'])).toBe(2);
      expect(String(err.mock.calls.at(-1)?.[0])).toMatch(/--max-age-days: 'forever' is not a number of days/);
      expect(await collectorCli(['run', '--max-message-bytes', '1.5'])).toBe(2);
      expect(await collectorCli(['frobnicate'])).toBe(2);
      expect(await collectorCli([])).toBe(2);
    } finally {
      err.mockRestore();
    }
  });

  it('says in one line that the broker cannot be reached', async () => {
    const storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
    const url = `mqtt://127.0.0.1:${await freePort()}`;
    const started = startCollector({ site: collectorTestSite(`cli-${process.pid}`), mqttUrl: url, storage, dataDir: join(dir, 'c'), connectTimeoutMs: 2000 });
    await expect(started).rejects.toBeInstanceOf(StartupError);
    await expect(started).rejects.toThrow(new RegExp(`^MQTT broker at ${url} is not reachable \\(.*\\): start the broker or point --mqtt / MQTT_URL at it$`));
    await storage.close();
  });

  it('exits 1 with that line, instead of retrying, when started as a command without a broker', async () => {
    const url = `mqtt://127.0.0.1:${await freePort()}`;
    const run = spawnSync(process.execPath, ['bin/jieneng.js', 'collector', 'run', '--site', 'config/demo-site.yaml', '--mqtt', url, '--data', join(dir, 'cmd')], {
      encoding: 'utf8', timeout: 20_000, env: { ...process.env, DATA_DIR: join(dir, 'cmd-data') },
    });
    expect(run.signal).toBeNull(); // not killed by the timeout: it ended by itself
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^jieneng: MQTT broker at ${url} is not reachable`, 'm'));
  });
});
