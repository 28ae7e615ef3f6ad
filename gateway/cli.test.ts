import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { fixedDevice, sampleValues } from '../simulators/modbus/fixed-device.ts';
import { startModbusSimulator, type ModbusSimulator } from '../simulators/modbus/server.ts';
import { waitFor } from '../test/harness/ports.ts';
import { gatewayCli, parseUnits, scanModbus } from './cli.ts';
import { loadTemplate } from './devices/templates.ts';
import type { ModbusTemplate } from './protocols/modbus/template.ts';

/** Run the CLI in this process, capturing what it prints. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string }> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { out.push(String(chunk)); return true; });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await gatewayCli(argv), stdout: out.join('') };
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
}

const sdm = loadTemplate('eastron-sdm630') as ModbusTemplate;
const chint = loadTemplate('chint-dtsu666') as ModbusTemplate;

describe('jieneng gateway plan and scan', () => {
  let sim: ModbusSimulator;
  beforeAll(async () => {
    sim = await startModbusSimulator({ units: new Map([
      [3, { template: sdm, device: fixedDevice('a', sampleValues(sdm)) }],
      [7, { template: chint, device: fixedDevice('b', sampleValues(chint)) }],
    ]) });
  });
  afterAll(async () => { await sim?.stop(); });

  it('plan prints the reads of a demo device', async () => {
    const { code, stdout } = await cli('plan', '--site', 'config/demo-site.yaml', '--device', 'centre-b1-lighting');
    expect(code).toBe(0);
    expect(stdout).toMatch(/template chint-dtsu666/);
    expect(stdout).toMatch(/read 1: FC 3 holding 0x2000\.\.0x2013 \(8192, 20 registers\)/);
  });

  it('plan of an unknown device is a ConfigError (one line from bin/jieneng.ts, exit 1)', async () => {
    await expect(gatewayCli(['plan', '--site', 'config/demo-site.yaml', '--device', 'nope'])).rejects.toThrow(
      expect.objectContaining({ name: 'ConfigError', message: "config/demo-site.yaml: devices: no device 'nope'" }));
  });

  it('scan finds the slaves and the templates that fit them', async () => {
    const hits = await scanModbus({ endpoint: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, units: parseUnits('1-8'), timeoutMs: 150 });
    expect(hits.map((h) => h.unit)).toEqual([3, 7]);
    expect(hits[0].answer).toMatch(/holding 0|ILLEGAL DATA ADDRESS/);
    expect(hits[0].candidates).toContain('eastron-sdm630');
    expect(hits[1].candidates).toContain('chint-dtsu666');
    const { code, stdout } = await cli('scan', 'modbus', '--host', '127.0.0.1', '--port', String(sim.port), '--units', '6-7', '--timeout', '150');
    expect(code).toBe(0);
    expect(stdout).toMatch(/unit 7: answers .*chint-dtsu666/);
    expect(stdout).toMatch(/1 slave found/);
  });

  it('rejects a bad unit range', () => {
    expect(() => parseUnits('5-2')).toThrow(/--units/);
    expect(parseUnits('1-3,9')).toEqual([1, 2, 3, 9]);
  });
});

describe('jieneng gateway run (a real process)', () => {
  it('polls, publishes, and on SIGTERM stops cleanly with the gateway marked offline', async () => {
    const sim = await startModbusSimulator({ units: new Map([[1, { template: chint, device: fixedDevice('a', sampleValues(chint)) }]]) });
    const dir = mkdtempSync(join(tmpdir(), 'jieneng-gw-cli-'));
    const siteFile = join(dir, 'site.yaml');
    writeFileSync(siteFile, [
      'version: 1', 'site: { id: cli-run, name: t }', 'buildings: [{ id: b1, name: B, floor_area_m2: 10 }]',
      'gateways: [{ id: gw1, poll_interval_s: 1 }]',
      'devices:',
      `  - { id: m1, name: M, kind: meter, medium: electricity, building: b1, gateway: gw1, template: chint-dtsu666, address: { protocol: modbus-tcp, host: 127.0.0.1, port: ${sim.port}, unit_id: 1 } }`,
    ].join('\n'));
    const url = inject('mosquittoUrl');
    const sub = await mqtt.connectAsync(url);
    const seen: Record<string, string> = {};
    sub.on('message', (topic, payload) => { seen[topic.split('/').slice(4).join('/')] = payload.toString(); });
    await sub.subscribeAsync('jieneng/v1/cli-run/#', { qos: 1 });
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/jieneng.ts', 'gateway', 'run', '--site', siteFile, '--gateway', 'gw1',
      '--mqtt', url, '--data', join(dir, 'data')], { stdio: 'ignore' });
    try {
      await waitFor('a batch', () => 'readings' in seen, 30_000);
      expect(JSON.parse(seen.readings).readings[0].device).toBe('m1');
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await waitFor('offline status', () => JSON.parse(seen.status ?? '{}').online === false);
    } finally {
      child.kill('SIGKILL');
      await sub.endAsync();
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
