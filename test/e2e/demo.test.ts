/**
 * `npm start` as a user runs it: the demo process on embedded defaults answers a non-zero 15-minute interval
 * for a demo building within 90 s of start, and Ctrl-C (SIGINT) stops it cleanly. What it stored is then read
 * back through the API: the building's energy must be its simulated main meter's counter difference between the
 * first and last stored readings (decision 0500: counters are exact integrals, reproducible from the seed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../harness/ports.ts';
import { DEMO_SITE_FILE } from '../harness/site.ts';
import { loadSite } from '../../core/site/load.ts';
import type { Device } from '../../core/site/schema.ts';
import { startApi } from '../../api/server.ts';
import { testKeys } from '../../api/testing/fixture.ts';
import { openStorage } from '../../storage/index.ts';
import { buildSitePhysics } from '../../simulators/physics/site.ts';

/**
 * How far a published reading of a main meter's energy register can be from the true counter, in primary kWh:
 * the Acrel DTSD1352 counts whole 0.01 kWh (U32, manual §9.1), so a reading and a difference of two are each
 * within one count. The CHINT DTSU666 holds a float32 kWh, rounded to the nearest float32 (half its spacing at
 * that value), and the gateway publishes it to 7 significant digits (half a unit of the 7th digit: 0.005 kWh at
 * 35 067.70 kWh, coarser than the float32 spacing there); a difference of two is off by at most twice that.
 * Both are secondary energy, so times the meter's CT and PT.
 */
function registerErrorKwh(meter: Device, primaryKwh: number): { reading: number; difference: number } {
  const ratio = (meter.ct_ratio ?? 1) * (meter.pt_ratio ?? 1);
  if (meter.template === 'acrel-dtsd1352') return { reading: 0.01 * ratio, difference: 0.01 * ratio };
  if (meter.template === 'chint-dtsu666') {
    const secondaryKwh = primaryKwh / ratio;
    const float32Spacing = 2 ** (Math.floor(Math.log2(secondaryKwh)) - 23);
    const seventhDigit = 10 ** (Math.floor(Math.log10(secondaryKwh)) - 6);
    const reading = ((float32Spacing + seventhDigit) / 2) * ratio;
    return { reading, difference: 2 * reading };
  }
  throw new Error(`no register step known for ${meter.template}`);
}

describe('the demo stack (npm start)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'jieneng-demo-'));
  let child: ChildProcess | undefined;
  let stderr = '';

  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves a non-zero 15-minute interval within 90 s, stops on Ctrl-C, and stored its main meter\'s counter difference', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), MQTT_PORT: String(await freePort()), DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    delete env.INFLUX_URL;
    delete env.MQTT_URL;
    const started = Date.now();
    child = spawn(process.execPath, ['bin/jieneng.js', 'demo'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
    const api = `http://127.0.0.1:${port}/api/v1`;

    // within the 90 s the README promises for the first interval: on a loaded machine start-up alone can take 30 s
    // the demo's own admin key (issue #13): in <DATA_DIR>/api-key, readable by its owner only
    const keyFile = join(dataDir, 'api-key');
    await waitFor('the demo API key', async () => existsSync(keyFile) && readFileSync(keyFile, 'utf8').endsWith('\n'), 120_000, 250);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const auth = { headers: { authorization: `Bearer ${readFileSync(keyFile, 'utf8').trim()}` } };
    await waitFor('the demo API', async () => (await fetch(`${api}/buildings`, auth).catch(() => undefined))?.ok === true, 60_000, 250);
    expect((await fetch(`${api}/buildings`)).status).toBe(401);
    const buildings = (await (await fetch(`${api}/buildings`, auth)).json()) as { id: string }[];
    expect(buildings.map((b) => b.id)).toContain('centre-b1');

    // Main meters count in steps of 0.01 kWh × CT ratio, as real ones do: whichever building ticks first counts.
    let ticked = '';
    await waitFor('a non-zero interval of a demo building', async () => {
      for (const b of buildings) {
        // exactly the request of the README: without from and to it answers today
        const res = await fetch(`${api}/buildings/${b.id}/energy?interval=15m`, auth);
        const body = (await res.json()) as { points: { energy_kwh: number }[] };
        if (body.points.some((p) => p.energy_kwh > 0)) ticked = b.id;
        if (ticked) return true;
      }
      return false;
    }, 90_000 - Math.min(Date.now() - started, 30_000), 1000); // 90 s; a start-up slower than 30 s (a loaded machine) does not eat into the ticks

    // the demo's alert rules are loaded and the alerts route answers (issue 14; nothing need fire yet)
    const alerts = await fetch(`${api}/alerts?state=all`, auth);
    expect(alerts.status).toBe(200);
    expect(Array.isArray(await alerts.json())).toBe(true);
    // a rule added through the API reaches the running demo's collector without a restart (the file is watched)
    const put = await fetch(`${api}/alert-rules/demo-edit`, {
      method: 'PUT', headers: { ...auth.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'threshold', name: '编辑后的规则', severity: 'info', scope: { device: ['centre-b1-main'] }, point: 'power_kw', below: 100_000 }),
    });
    expect(put.status).toBe(201);
    await waitFor('the edited rule firing', async () => {
      const firing = (await (await fetch(`${api}/alerts`, auth)).json()) as { rule: string }[];
      return firing.some((a) => a.rule === 'demo-edit');
    }, 60_000, 1000);

    // building automation runs one programme per building part and one demand limit (docs/automation.md); its first
    // writes travel through the broker and the gateways to the BACnet simulators and come back acknowledged
    const schedules = (await (await fetch(`${api}/automation/schedules`, auth)).json()) as { schedules: { id: string }[] };
    expect(schedules.schedules.map((x) => x.id)).toEqual(['centre-b1-office', 'jiwei-hot-water', 'zhongshan-m38-vrf']);
    const demand = (await (await fetch(`${api}/automation/demand`, auth)).json()) as { id: string }[];
    expect(demand.map((d) => d.id)).toEqual(['centre-b1-demand']);
    await waitFor('a schedule write acknowledged by a device', async () => {
      const history = (await (await fetch(`${api}/automation/commands?origin=schedule:`, auth)).json()) as { outcome: string }[];
      return history.some((c) => c.outcome === 'written');
    }, 60_000, 1000);

    const exit = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exit).toBe(0);
    expect(stderr).not.toMatch(/unexpected error/);
    // where the key is, never the key itself
    expect(stderr).toContain(`Bearer $(cat ${keyFile})`);
    expect(stderr).not.toContain(auth.headers.authorization.slice(7));

    // What the stopped demo stored, read back through the API on its store: every building's main meter, so that
    // both register kinds (Acrel U32 counts, CHINT float32) are checked whichever building ticked first.
    const site = loadSite(DEMO_SITE_FILE);
    const storage = await openStorage({ kind: 'embedded', path: join(dataDir, 'jieneng.sqlite') });
    const readerKeys = testKeys();
    const reader = await startApi({ site, storage, port: 0, security: readerKeys.security });
    try {
      // SIM_SEED 1, as the demo ran: the same counters, computed here
      const physics = buildSitePhysics(site, 1);
      const from = new Date(started - 3_600_000).toISOString();
      const to = new Date(Date.now() + 900_000).toISOString();
      const checked = new Set<string>();
      for (const meter of site.devices.filter((d) => d.kind === 'meter' && d.medium === 'electricity' && d.parent === undefined && d.building)) {
        const building = meter.building!;
        const readings = await storage.raw({ measurement: 'telemetry', from: started, to: Date.now() + 1, where: { device: meter.id, point: 'energy_import_kwh' } });
        if (readings.length < 2) continue;
        const [first, last] = [readings[0], readings.at(-1)!];
        const body = (await (await fetch(`http://127.0.0.1:${reader.port}/api/v1/buildings/${building}/energy?from=${from}&to=${to}&interval=15m`, { headers: readerKeys.headers('viewer') })).json()) as { points: { energy_kwh: number }[] };
        const apiKwh = body.points.reduce((sum, p) => sum + p.energy_kwh, 0);

        const counterKwh = (t: number) => physics.get(meter.id)!.read(t).energy_import_kwh;
        // a reading is stamped when its poll starts: allow what the counter moves within a second of the stamp
        const drift = (t: number) => counterKwh(t + 1000) - counterKwh(t - 1000);
        const error = registerErrorKwh(meter, counterKwh(last.time));
        for (const r of [first, last]) {
          expect(Math.abs((r.fields.value as number) - counterKwh(r.time)), `${meter.id} at ${new Date(r.time).toISOString()}`).toBeLessThanOrEqual(error.reading + drift(r.time));
        }
        const expectedKwh = counterKwh(last.time) - counterKwh(first.time);
        if (building === ticked) expect(apiKwh, `${building}: counter difference ${expectedKwh} kWh`).toBeGreaterThan(0);
        expect(Math.abs(apiKwh - expectedKwh), `${building}: API ${apiKwh} kWh, counter difference ${expectedKwh} kWh`).toBeLessThanOrEqual(error.difference + drift(first.time) + drift(last.time));
        checked.add(meter.template);
      }
      expect([...checked].sort()).toEqual(['acrel-dtsd1352', 'chint-dtsu666']);
    } finally {
      await reader.stop();
      await storage.close();
    }
  }, 240_000);
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
