import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedDevice, sampleValues } from '../../../simulators/modbus/fixed-device.ts';
import { startModbusSimulator, type ModbusSimulator } from '../../../simulators/modbus/server.ts';
import { loadTemplate } from '../../devices/templates.ts';
import { ModbusBus, ModbusError } from './bus.ts';
import { compileTemplate, decodePoints } from './device-map.ts';
import { startModbusProxy, takeFrames, type ModbusProxy } from './proxy.ts';
import { readPlan } from './source.ts';
import type { ModbusTemplate } from './template.ts';

const run = promisify(execFile);

describe('Modbus TCP proxy', () => {
  let sim: ModbusSimulator;
  let proxy: ModbusProxy;
  const t = loadTemplate('eastron-sdm630') as ModbusTemplate;
  beforeAll(async () => {
    sim = await startModbusSimulator({ units: new Map([1, 2].map((u) => [u, { template: t, device: fixedDevice(`m${u}`, sampleValues(t)) }])) });
    proxy = await startModbusProxy({ upstream: { host: '127.0.0.1', port: sim.port }, timeoutMs: 400 });
  });
  afterAll(async () => {
    await proxy?.stop();
    await sim?.stop();
  });

  it('serves several clients at once over one upstream connection', async () => {
    const a = new ModbusBus({ kind: 'tcp', host: '127.0.0.1', port: proxy.port });
    const b = new ModbusBus({ kind: 'tcp', host: '127.0.0.1', port: proxy.port });
    try {
      const plan = compileTemplate(t);
      const [ra, rb, mb] = await Promise.all([
        readPlan(a, 1, plan), readPlan(b, 2, plan),
        // an independent master through the same proxy at the same time (register 30001 = address 0)
        run('mbpoll', ['-m', 'tcp', '-p', String(proxy.port), '-a', '1', '-t', '3:float', '-B', '-r', '1', '-c', '1', '-1', '127.0.0.1']),
      ]);
      for (const r of [ra, rb]) {
        const points = decodePoints(plan, r, { ct: 1, pt: 1 });
        expect(points.voltage_l1_v).toEqual({ value: sampleValues(t).voltage_l1_v, quality: 'good' });
      }
      expect(mb.stdout).toMatch(new RegExp(`\\[1\\]:\\s*${sampleValues(t).voltage_l1_v}`));
      expect(sim.connections()).toBe(1);
      expect(proxy.stats().upstreamConnects).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('answers GATEWAY TARGET DEVICE FAILED TO RESPOND for a silent unit, and passes exceptions through', async () => {
    const c = new ModbusBus({ kind: 'tcp', host: '127.0.0.1', port: proxy.port }, { timeoutMs: 1500, retries: 0 });
    try {
      const silent = await c.read(9, 'input', 0, 2).catch((e: unknown) => e as ModbusError);
      expect((silent as ModbusError).exceptionName).toBe('GATEWAY TARGET DEVICE FAILED TO RESPOND');
      const illegal = await c.read(1, 'input', 5000, 2).catch((e: unknown) => e as ModbusError);
      expect((illegal as ModbusError).exceptionName).toBe('ILLEGAL DATA ADDRESS');
    } finally {
      await c.close();
    }
  });

  it('splits MBAP frames across and within chunks', () => {
    const f = Buffer.from([0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 2]);
    const { frames, rest } = takeFrames(Buffer.concat([f, f, f.subarray(0, 5)]));
    expect(frames).toHaveLength(2);
    expect(rest).toHaveLength(5);
  });
});
