/**
 * Every Modbus template read from its simulator over real Modbus TCP through the gateway's bus and decoder;
 * faults on a shared line; an independent master (mbpoll) against the simulator.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTemplates, loadTemplate } from '../../gateway/devices/templates.ts';
import { ModbusBus, ModbusError } from '../../gateway/protocols/modbus/bus.ts';
import { compileTemplate, decodePoints } from '../../gateway/protocols/modbus/device-map.ts';
import { readPlan } from '../../gateway/protocols/modbus/source.ts';
import type { ModbusTemplate } from '../../gateway/protocols/modbus/template.ts';
import { fixedDevice, sampleValues } from './fixed-device.ts';
import { startModbusSimulator, type ModbusSimulator, type SimUnit } from './server.ts';

const run = promisify(execFile);

const modbusTemplates = listTemplates().map((id) => loadTemplate(id)).filter((t): t is ModbusTemplate => t.protocol === 'modbus');

describe('every Modbus template over Modbus TCP', () => {
  let sim: ModbusSimulator;
  let bus: ModbusBus;
  const units = new Map<number, SimUnit>();
  modbusTemplates.forEach((t, i) => units.set(i + 1, {
    template: t, device: fixedDevice(t.id, sampleValues(t)), ctRatio: t.id === 'acrel-dtsd1352' ? 200 : undefined,
  }));

  beforeAll(async () => {
    sim = await startModbusSimulator({ units });
    bus = new ModbusBus({ kind: 'tcp', host: '127.0.0.1', port: sim.port }, { timeoutMs: 500, suspendMs: 60_000 });
  });
  afterAll(async () => {
    await bus?.close();
    await sim?.stop();
  });

  it.each(modbusTemplates.map((t, i) => [t.id, i + 1] as const))('%s (unit %i) decodes what the simulator encodes', async (_id, unit) => {
    const t = units.get(unit)!.template as ModbusTemplate;
    const plan = compileTemplate(t);
    const results = await readPlan(bus, unit, plan);
    const ct = units.get(unit)!.ctRatio ?? 1;
    const points = decodePoints(plan, results, { ct, pt: 1 });
    const expected = sampleValues(t);
    for (const r of t.registers.filter((x) => x.publish !== false && x.type !== 'string')) {
      const p = points[r.point];
      expect(p, r.point).toBeDefined();
      expect(p.quality, `${r.point}: ${p.reason}`).toBe('good');
      const tol = Math.max((r.scale ?? 0) * (r.ct ? ct : 1), Math.abs(expected[r.point]) * 1e-6, 1e-9);
      expect(Math.abs((p.value as number) - expected[r.point]), r.point).toBeLessThanOrEqual(tol);
    }
  });

  it('answers ILLEGAL DATA ADDRESS by name for registers a template does not map', async () => {
    const err = await bus.read(1, 'holding', 9000, 2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModbusError);
    expect((err as ModbusError).exceptionName).toBe('ILLEGAL DATA ADDRESS');
  });
});

// The simulator's side only: pymodbus as a master reads each register kind from it. pymodbus as a server of the
// manufacturers' register images, read by the gateway for every template's counter, is gateway/devices/golden-peer.test.ts.
describe('pymodbus, a second independent master, against the simulator', () => {
  it('reads coils, discrete inputs, input registers and a low-word-first counter as the templates say', async () => {
    const water = loadTemplate('water-meter-modbus') as ModbusTemplate;
    const gas = loadTemplate('gas-meter-modbus') as ModbusTemplate;
    const sdm = loadTemplate('eastron-sdm630') as ModbusTemplate;
    const sim = await startModbusSimulator({ units: new Map([
      [1, { template: water, device: fixedDevice('w', { ...sampleValues(water), water_m3: 1234.567 }) }],
      [2, { template: gas, device: fixedDevice('g', sampleValues(gas)) }],
      [3, { template: sdm, device: fixedDevice('e', sampleValues(sdm)) }],
    ]) });
    try {
      // zero_mode: pymodbus 3.0 otherwise shifts addresses by one
      const script = [
        'import sys, json',
        'from pymodbus.client import ModbusTcpClient',
        `c = ModbusTcpClient("127.0.0.1", port=${sim.port}, zero_mode=True)`,
        'c.connect()',
        'out = {}',
        'out["coil"] = c.read_coils(0, 1, slave=1).bits[0]',
        'out["discrete"] = c.read_discrete_inputs(0, 1, slave=2).bits[0]',
        'out["water"] = c.read_holding_registers(0, 2, slave=1).registers',
        'out["sdm"] = c.read_input_registers(0, 2, slave=3).registers',
        'c.close()',
        'print(json.dumps(out))',
      ].join('\n');
      const { stdout } = await run('/usr/bin/python3', ['-c', script]);
      const out = JSON.parse(stdout) as { coil: boolean; discrete: boolean; water: number[]; sdm: number[] };
      expect(out.coil).toBe(true);
      expect(out.discrete).toBe(true);
      // 1 234 567 L as uint32 with the low word first (CDAB): 0xD687, 0x0012
      expect(out.water).toEqual([0xd687, 0x0012]);
      const b = Buffer.alloc(4);
      b.writeUInt16BE(out.sdm[0], 0);
      b.writeUInt16BE(out.sdm[1], 2);
      expect(b.readFloatBE(0)).toBeCloseTo(sampleValues(sdm).voltage_l1_v, 3);
    } finally {
      await sim.stop();
    }
  });
});

describe('faults on a shared line', () => {
  let sim: ModbusSimulator;
  const t = loadTemplate('chint-dtsu666') as ModbusTemplate;
  const units = new Map<number, SimUnit>([1, 2, 3].map((u) => [u, { template: t, device: fixedDevice(`m${u}`, sampleValues(t)) }]));
  beforeAll(async () => { sim = await startModbusSimulator({ units }); });
  afterAll(async () => { await sim?.stop(); });

  it('a dead slave is suspended and the others keep being read', async () => {
    const bus = new ModbusBus({ kind: 'tcp', host: '127.0.0.1', port: sim.port }, { timeoutMs: 300, retries: 1, suspendAfter: 2, suspendMs: 60_000 });
    try {
      sim.setFault(2, { kind: 'offline' });
      const plan = compileTemplate(t);
      // two cycles: unit 2 misses, gets suspended; after that it costs nothing
      for (let cycle = 0; cycle < 2; cycle++) for (const u of [1, 2, 3]) await readPlan(bus, u, plan);
      expect(bus.suspendedUnits()).toEqual([2]);
      const timeouts = bus.stats().timeouts;
      const requests = bus.stats().requests;
      const r2 = await readPlan(bus, 2, plan);
      expect(bus.stats()).toMatchObject({ timeouts, requests }); // nothing sent, no timeout waited
      expect((r2[0] as ModbusError).failure).toBe('suspended');
      const r3 = await readPlan(bus, 3, plan);
      expect(r3.every((r) => Array.isArray(r))).toBe(true);
    } finally {
      sim.setFault(2, null);
      await bus.close();
    }
  });

  it('reports exception replies by name, and a slow slave within the timeout is still read', async () => {
    const bus = new ModbusBus({ kind: 'tcp', host: '127.0.0.1', port: sim.port }, { timeoutMs: 800 });
    try {
      sim.setFault(1, { kind: 'exception', code: 6 });
      const e = await bus.read(1, 'holding', 0x2000, 2).catch((x: unknown) => x as ModbusError);
      expect(e).toBeInstanceOf(ModbusError);
      expect((e as ModbusError).exceptionName).toBe('SERVER DEVICE BUSY');
      sim.setFault(1, { kind: 'slow', delayMs: 200 });
      expect(await bus.read(1, 'holding', 0x2000, 2)).toHaveLength(2);
    } finally {
      sim.setFault(1, null);
      await bus.close();
    }
  });

  it('writes FC 6 and FC 16 and reads them back', async () => {
    const bus = new ModbusBus({ kind: 'tcp', host: '127.0.0.1', port: sim.port });
    try {
      await bus.writeRegister(3, 0x2044, 0x1234);
      await bus.writeRegisters(3, 0x2000, [0x4116, 0x0000]);
      expect(await bus.read(3, 'holding', 0x2000, 2)).toEqual([0x4116, 0]);
      expect(await bus.read(3, 'holding', 0x2044, 1)).toEqual([0x1234]);
    } finally {
      await bus.close();
    }
  });

  it('mbpoll, an independent master, reads the float32 the template describes', async () => {
    // mbpoll numbers registers from 1: -r 0x2007 is protocol address 0x2006 (Ua); -B high word first
    const { stdout } = await run('mbpoll', ['-m', 'tcp', '-p', String(sim.port), '-a', '3', '-t', '4:float', '-B', '-r', String(0x2006 + 1), '-c', '1', '-1', '127.0.0.1']);
    const m = /\[\d+\]:\s*(-?[\d.]+)/.exec(stdout);
    expect(m, stdout).not.toBeNull();
    // the template scales Ua by 0.1: the register holds volts × 10
    expect(Number(m![1]) * 0.1).toBeCloseTo(sampleValues(t).voltage_l1_v, 3);
  });
});
