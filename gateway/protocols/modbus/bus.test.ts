import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { fixedDevice, sampleValues } from '../../../simulators/modbus/fixed-device.ts';
import { startModbusSimulator } from '../../../simulators/modbus/server.ts';
import { freePort } from '../../../test/harness/ports.ts';
import { loadTemplate } from '../../devices/templates.ts';
import { acquireBus, ModbusBus, ModbusError, releaseBus } from './bus.ts';
import type { ModbusTemplate } from './template.ts';

describe('Modbus bus', () => {
  it('a link that is down fails as connection, and closing cuts the back-off short', async () => {
    const port = await freePort();
    const bus = new ModbusBus({ kind: 'tcp', host: '127.0.0.1', port }, { retries: 5, retryBackoffMs: 5000 });
    const pending = bus.read(1, 'holding', 0, 1).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await bus.close();
    const err = await pending;
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(err).toBeInstanceOf(ModbusError);
    expect(['connection', 'closed']).toContain((err as ModbusError).failure);
  });

  it('reconnects after the device restarts on the same port', async () => {
    const t = loadTemplate('chint-dtsu666') as ModbusTemplate;
    const units = new Map([[1, { template: t, device: fixedDevice('a', sampleValues(t)) }]]);
    const sim = await startModbusSimulator({ units });
    const bus = new ModbusBus({ kind: 'tcp', host: '127.0.0.1', port: sim.port }, { timeoutMs: 300 });
    try {
      expect(await bus.read(1, 'holding', 0x2006, 2)).toHaveLength(2);
      await sim.stop();
      const down = await bus.read(1, 'holding', 0x2006, 2).catch((e: unknown) => e as ModbusError);
      expect(down).toBeInstanceOf(ModbusError);
      const again = await startModbusSimulator({ units, port: sim.port });
      try {
        let words: number[] | undefined;
        for (let i = 0; i < 20 && !words; i++) words = await bus.read(1, 'holding', 0x2006, 2).catch(() => undefined);
        expect(words).toHaveLength(2);
      } finally {
        await again.stop();
      }
    } finally {
      await bus.close();
    }
  });

  it('shares one bus per endpoint and closes it with the last reference', async () => {
    const a = acquireBus({ kind: 'tcp', host: '127.0.0.1', port: 1 });
    const b = acquireBus({ kind: 'tcp', host: '127.0.0.1', port: 1 });
    expect(a).toBe(b);
    await releaseBus(a);
    expect(acquireBus({ kind: 'tcp', host: '127.0.0.1', port: 1 })).toBe(a);
    await releaseBus(a);
    await releaseBus(b);
    const c = acquireBus({ kind: 'tcp', host: '127.0.0.1', port: 1 });
    expect(c).not.toBe(a);
    await releaseBus(c);
  });

  it('holds no response once a read has returned (modbus-serial keeps 256 requests per link)', async () => {
    // modbus-serial's transaction table keeps each request's callback until its id comes round again; through its
    // promise API that callback held the response, so 50 links held 12 800 of them (bench:gateway's heap).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const t = loadTemplate('chint-dtsu666') as ModbusTemplate;
    const sim = await startModbusSimulator({ units: new Map([[1, { template: t, device: fixedDevice('a', sampleValues(t)) }]]) });
    const bus = new ModbusBus({ kind: 'tcp', host: '127.0.0.1', port: sim.port });
    try {
      const refs: WeakRef<number[]>[] = [];
      for (let i = 0; i < 20; i++) refs.push(new WeakRef(await bus.read(1, 'holding', 0x2006, 2)));
      await new Promise((r) => setTimeout(r, 10));
      gc();
      expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
    } finally {
      await bus.close();
      await sim.stop();
    }
  });
});
