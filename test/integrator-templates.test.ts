/**
 * An integrator's device templates from their own folder (site setting `site.templates_dir`, or `--templates DIR`
 * on any command), for every protocol: the catalogue's search path (core/devices/catalogue.ts) serves the gateway,
 * the collector and `config check`. With bacnet-stack: a real BACnet device on loopback, described by such a
 * template, is read by the gateway, and the site's simulators leave it alone (#17 BACnet 7, 8).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { topics, type ReadingBatch } from '../core/contract/v1.ts';
import { ConfigError } from '../core/config/yaml-file.ts';
import { loadModel, TEMPLATE_DIR } from '../core/devices/catalogue.ts';
import { StartupError } from '../core/errors.ts';
import { loadSite } from '../core/site/load.ts';
import { configCli } from '../app/config-cli.ts';
import { listTemplates, loadTemplate } from '../gateway/devices/templates.ts';
import { startGateway } from '../gateway/runtime.ts';
import { startSiteSimulators } from '../simulators/fleet.ts';
import { bacnetStackMissing, startBacserv } from './harness/bacnet-stack.ts';
import { freeUdpPort, waitFor } from './harness/ports.ts';

const work = mkdtempSync(join(tmpdir(), 'jn-integrator-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** One shipped template of each protocol, copied under an integrator's id. */
const COPIES = { 'chint-dtsu666': 'acme-meter', 'sunspec-inverter': 'acme-inverter', 'hvac-ahu': 'acme-ahu', 'hvac-vrf-mqtt': 'acme-vrf' } as const;

/** A site file in its own folder with `templates/` beside it, from the demo site's first building and gateway. */
function writeSite(name: string, devices: unknown[], templatesDir = './templates'): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'templates'), { recursive: true });
  for (const [from, to] of Object.entries(COPIES)) {
    writeFileSync(join(dir, 'templates', `${to}.yaml`), readFileSync(join(TEMPLATE_DIR, `${from}.yaml`), 'utf8').replace(/^id: .*$/m, `id: ${to}`));
  }
  const demo = loadSite('config/demo-site.yaml');
  const site = { version: 1, site: { ...demo.site, id: `integrator-${process.pid}`, templates_dir: templatesDir }, buildings: [{ ...demo.buildings[0], heating: undefined }], gateways: [{ ...demo.gateways[0], poll_interval_s: 1 }], devices };
  writeFileSync(join(dir, 'site.yaml'), JSON.stringify(site, null, 1)); // JSON is YAML
  return join(dir, 'site.yaml');
}

const device = (id: string, template: string, address: object, extra: object = {}) => ({
  id, name: id, kind: 'hvac', building: 'centre-b1', gateway: 'gw-centre', template, address, ...extra,
});

describe('device templates from an integrator\'s folder', () => {
  it('site.templates_dir: every protocol\'s template loads for the gateway and the collector, and config check passes', async () => {
    const file = writeSite('all', [
      device('m1', 'acme-meter', { protocol: 'modbus-tcp', host: '127.0.0.1', port: 15999, unit_id: 1 }, { kind: 'meter', medium: 'electricity' }),
      device('a1', 'acme-ahu', { protocol: 'bacnet-ip', host: '127.0.0.1', port: 47999, device_instance: 9 }),
    ]);
    loadSite(file);
    for (const id of Object.values(COPIES)) {
      expect(loadTemplate(id).id).toBe(id);
      expect(loadModel(id).id).toBe(id);
    }
    expect(loadTemplate('acme-ahu').protocol).toBe('bacnet');
    expect(loadTemplate('hvac-ahu').id).toBe('hvac-ahu'); // the shipped ones stay
    expect(listTemplates()).toEqual(expect.arrayContaining(['acme-ahu', 'acme-meter', 'hvac-ahu'])); // e.g. for scan modbus's guesses
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => { out.push(s); return true; }) as typeof process.stdout.write;
    try {
      expect(await configCli(['check', file])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(out.join('')).toMatch(/ok — 1 buildings, 1 gateways, 2 devices/);
  });

  it('a folder that does not exist is a one-line error naming the file and setting', () => {
    const file = writeSite('missing', [], './no-such-folder');
    expect(() => loadSite(file)).toThrow(ConfigError);
    expect(() => loadSite(file)).toThrow(/site\.yaml:\d+: site\.templates_dir: template folder .*no-such-folder does not exist/);
  });

  it('--templates DIR on the command line', async () => {
    const file = writeSite('flag', [device('a1', 'acme-ahu', { protocol: 'bacnet-ip', host: '127.0.0.1', port: 47999, device_instance: 9 })]);
    const text = readFileSync(file, 'utf8').replace(/"templates_dir": "[^"]*",?/, '');
    writeFileSync(file, text);
    const run = (args: string[]) => new Promise<{ code: number | null; out: string }>((done) => {
      execFile('npx', ['tsx', 'bin/jieneng.ts', ...args], { timeout: 60_000 }, (err, stdout, stderr) => done({ code: err ? (err.code as number) : 0, out: stdout + stderr }));
    });
    const without = await run(['config', 'check', file]);
    expect(without.code).toBe(1);
    expect(without.out).toMatch(/device 'a1'.*acme-ahu\.yaml: file not found/);
    const withFlag = await run(['config', 'check', '--templates', join(file, '..', 'templates'), file]);
    expect(withFlag.out).toMatch(/ok — 1 buildings, 1 gateways, 1 devices/);
    expect(withFlag.code).toBe(0);
  }, 120_000);
});

describe.skipIf(bacnetStackMissing)(`a real BACnet device on loopback${bacnetStackMissing ? ` (${bacnetStackMissing})` : ''}`, () => {
  it('is read through the integrator\'s template, and the simulators leave it alone', async () => {
    const serv = await startBacserv(4101, 'real-on-loopback');
    const stops: Array<() => Promise<unknown>> = [() => serv.stop()];
    try {
      const dir = join(work, 'real');
      mkdirSync(join(dir, 'templates'), { recursive: true });
      writeFileSync(join(dir, 'templates', 'bacnet-stack-demo.yaml'), `id: bacnet-stack-demo
protocol: bacnet
name: bacnet-stack demo device
kind: hvac
points:
  - { point: valve_pct, object: "analog-input:1", label: 阀门开度, units: percent }
  - { point: damper_pct, object: "analog-output:1", label: 风阀开度 }
`);
      const localPort = await freeUdpPort();
      const address = { protocol: 'bacnet-ip', host: '127.0.0.1', port: serv.port, device_instance: 4101, local_interface: '127.0.0.1', local_port: localPort };
      const file = writeSite('real', [device('real-1', 'bacnet-stack-demo', address)]);
      const site = loadSite(file);
      // The site's simulators: none for a template without physics — no crash, no port taken.
      const fleet = await startSiteSimulators({ site, seed: 1 });
      stops.push(() => fleet.stop());
      expect(fleet.devices.size).toBe(0);
      // A simulated model on the same port: marked `simulated: false` it is left alone; otherwise a one-line start-up error.
      const withAhu = (extra: object) => ({ ...site, devices: [device('ahu-real', 'hvac-ahu', address, extra)] }) as typeof site;
      await expect(startSiteSimulators({ site: withAhu({}), seed: 1 })).rejects.toThrow(StartupError);
      await expect(startSiteSimulators({ site: withAhu({}), seed: 1 })).rejects.toThrow(/address in use .*simulated: false/);
      const left = await startSiteSimulators({ site: withAhu({ simulated: false }), seed: 1 });
      await left.stop();

      const brokerUrl = inject('mosquittoUrl');
      const sub = await mqtt.connectAsync(brokerUrl);
      stops.push(() => sub.endAsync(true));
      const seen: ReadingBatch['readings'] = [];
      sub.on('message', (_t, payload) => seen.push(...(JSON.parse(payload.toString()) as ReadingBatch).readings));
      await sub.subscribeAsync(topics.allReadings(site.site.id));
      const gw = await startGateway({ site, gatewayId: 'gw-centre', mqttUrl: brokerUrl, dataDir: join(dir, 'gw') });
      stops.push(() => gw.stop());
      await waitFor('readings of the real device', () => seen.some((r) => r.device === 'real-1' && r.points.valve_pct?.quality === 'good'), 20_000);
    } finally {
      for (const stop of stops.reverse()) await stop();
    }
  }, 120_000);
});
