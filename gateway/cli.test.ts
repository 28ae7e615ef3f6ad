import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fixedDevice, sampleValues } from '../simulators/modbus/fixed-device.ts';
import { startModbusSimulator, type ModbusSimulator } from '../simulators/modbus/server.ts';
import { gatewayCli, parseUnits, scanModbus } from './cli.ts';
import { loadTemplate } from './devices/templates.ts';
import type { ModbusTemplate } from './protocols/modbus/template.ts';

const run = promisify(execFile);
const jieneng = (...args: string[]) => run('npx', ['tsx', 'bin/jieneng.ts', ...args], { timeout: 60_000 });

describe('jieneng gateway CLI', () => {
  let sim: ModbusSimulator;
  const sdm = loadTemplate('eastron-sdm630') as ModbusTemplate;
  const chint = loadTemplate('chint-dtsu666') as ModbusTemplate;
  beforeAll(async () => {
    sim = await startModbusSimulator({ units: new Map([
      [3, { template: sdm, device: fixedDevice('a', sampleValues(sdm)) }],
      [7, { template: chint, device: fixedDevice('b', sampleValues(chint)) }],
    ]) });
  });
  afterAll(async () => { await sim?.stop(); });

  it('plan prints the reads of a demo device', async () => {
    const { stdout } = await jieneng('gateway', 'plan', '--site', 'config/demo-site.yaml', '--device', 'centre-b1-lighting');
    expect(stdout).toMatch(/template chint-dtsu666/);
    expect(stdout).toMatch(/read 1: FC 3 holding 0x2000\.\.0x2013 \(8192, 20 registers\)/);
  });

  it('plan of an unknown device is one line and a non-zero exit', async () => {
    // bin/jieneng.ts prints a ConfigError's message as one line and exits 1
    await expect(gatewayCli(['plan', '--site', 'config/demo-site.yaml', '--device', 'nope'])).rejects.toThrow(
      expect.objectContaining({ name: 'ConfigError', message: "config/demo-site.yaml: devices: no device 'nope'" }));
  });

  it('scan finds the slaves and the templates that fit them', async () => {
    const hits = await scanModbus({ host: '127.0.0.1', port: sim.port, units: parseUnits('1-8'), timeoutMs: 150 });
    expect(hits.map((h) => h.unit)).toEqual([3, 7]);
    expect(hits[0].answer).toMatch(/holding 0|ILLEGAL DATA ADDRESS/);
    expect(hits[0].candidates).toContain('eastron-sdm630');
    expect(hits[1].candidates).toContain('chint-dtsu666');
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { out.push(String(chunk)); return true; });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let code: number;
    try {
      code = await gatewayCli(['scan', 'modbus', '--host', '127.0.0.1', '--port', String(sim.port), '--units', '6-7', '--timeout', '150']);
    } finally {
      spy.mockRestore();
      err.mockRestore();
    }
    expect(code).toBe(0);
    const stdout = out.join('');
    expect(stdout).toMatch(/unit 7: answers .*chint-dtsu666/);
    expect(stdout).toMatch(/1 slave found/);
  });

  it('rejects a bad unit range', () => {
    expect(() => parseUnits('5-2')).toThrow(/--units/);
    expect(parseUnits('1-3,9')).toEqual([1, 2, 3, 9]);
  });
});
