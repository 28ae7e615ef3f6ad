/**
 * `npm start` as a user runs it: the demo process on embedded defaults answers a non-zero 15-minute interval
 * for a demo building within 90 s of start, and Ctrl-C (SIGINT) stops it cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../harness/ports.ts';

describe('the demo stack (npm start)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'jieneng-demo-'));
  let child: ChildProcess | undefined;
  let stderr = '';

  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves a non-zero 15-minute interval within 90 s and stops on Ctrl-C', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), MQTT_PORT: String(await freePort()), DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    delete env.INFLUX_URL;
    delete env.MQTT_URL;
    const started = Date.now();
    child = spawn(process.execPath, ['bin/jieneng.js', 'demo'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
    const api = `http://127.0.0.1:${port}/api/v1`;

    await waitFor('the demo API', async () => (await fetch(`${api}/buildings`)).ok, 30_000, 250);
    const buildings = (await (await fetch(`${api}/buildings`)).json()) as { id: string }[];
    expect(buildings.map((b) => b.id)).toContain('centre-b1');

    // Main meters count in steps of 0.01 kWh × CT ratio, as real ones do: whichever building ticks first counts.
    await waitFor('a non-zero interval of a demo building', async () => {
      for (const b of buildings) {
        // exactly the request of the README: without from and to it answers today
        const res = await fetch(`${api}/buildings/${b.id}/energy?interval=15m`);
        const body = (await res.json()) as { points: { energy_kwh: number }[] };
        if (body.points.some((p) => p.energy_kwh > 0)) return true;
      }
      return false;
    }, 90_000 - (Date.now() - started), 1000);

    const exit = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exit).toBe(0);
    expect(stderr).not.toMatch(/unexpected error/);
  }, 120_000);
});

describe('the demo stack with an unreachable external server', () => {
  it.each([
    ['MQTT_URL', 'mqtt://127.0.0.1:', /^jieneng: MQTT broker at mqtt:\/\/127\.0\.0\.1:\d+ cannot be reached \(ECONNREFUSED\) — start it, fix MQTT_URL, or unset MQTT_URL to use the embedded broker$/],
    ['INFLUX_URL', 'http://127.0.0.1:', /^jieneng: InfluxDB at http:\/\/127\.0\.0\.1:\d+: connection refused — start it or correct INFLUX_URL, or unset INFLUX_URL to use the embedded store$/],
  ])('%s: one line that says what, where and how to fix, and exit 1', async (name, prefix, expected) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jieneng-demo-bad-'));
    try {
      // a port nobody listens on: take a free one and leave it closed
      const env: NodeJS.ProcessEnv = { ...process.env, [name]: `${prefix}${await freePort()}`, PORT: String(await freePort()), MQTT_PORT: String(await freePort()), DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
      const child = spawn(process.execPath, ['bin/jieneng.js', 'demo'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr.trim()).toMatch(expected);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
