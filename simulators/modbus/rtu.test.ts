/**
 * Modbus RTU on a real serial line pair (socat pty): a representative set of templates read through the
 * gateway's bus with connectRTUBuffered, several slaves on one line, one of them dead.
 * A pty ignores baud rate and parity, so this proves framing and addressing, not line timing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTemplate } from '../../gateway/devices/templates.ts';
import { ModbusBus, ModbusError } from '../../gateway/protocols/modbus/bus.ts';
import { compileTemplate, decodePoints } from '../../gateway/protocols/modbus/device-map.ts';
import { readPlan } from '../../gateway/protocols/modbus/source.ts';
import type { ModbusTemplate } from '../../gateway/protocols/modbus/template.ts';
import { waitFor } from '../../test/harness/ports.ts';
import { fixedDevice, sampleValues } from './fixed-device.ts';
import { startModbusRtuSimulator, type SimUnit } from './server.ts';

const ids = ['eastron-sdm630', 'chint-dtsu666', 'water-meter-modbus', 'irradiance-sensor-rs485'];
const templates = ids.map((id) => loadTemplate(id) as ModbusTemplate);

describe('Modbus RTU over a socat pty pair', () => {
  let dir: string;
  let socat: ChildProcess;
  let sim: Awaited<ReturnType<typeof startModbusRtuSimulator>>;
  let bus: ModbusBus;
  const units = new Map<number, SimUnit>(templates.map((t, i) => [i + 1, { template: t, device: fixedDevice(t.id, sampleValues(t)) }]));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jieneng-rtu-'));
    socat = spawn('socat', [`pty,raw,echo=0,link=${dir}/ttyA`, `pty,raw,echo=0,link=${dir}/ttyB`], { stdio: 'ignore' });
    await waitFor('pty pair', () => existsSync(join(dir, 'ttyA')) && existsSync(join(dir, 'ttyB')));
    sim = await startModbusRtuSimulator({ path: join(dir, 'ttyA'), units });
    bus = new ModbusBus({ kind: 'rtu', path: join(dir, 'ttyB'), baudRate: 9600 }, { timeoutMs: 500, suspendMs: 60_000 });
  });
  afterAll(async () => {
    await bus?.close();
    await sim?.stop();
    socat?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(ids.map((id, i) => [id, i + 1] as const))('%s (unit %i) reads over RTU', async (_id, unit) => {
    const t = templates[unit - 1];
    const plan = compileTemplate(t);
    const results = await readPlan(bus, unit, plan);
    const points = decodePoints(plan, results, { ct: 1, pt: 1 });
    const expected = sampleValues(t);
    for (const r of t.registers.filter((x) => x.publish !== false && x.type !== 'string')) {
      expect(points[r.point].quality, `${r.point}: ${points[r.point].reason}`).toBe('good');
      expect(Math.abs((points[r.point].value as number) - expected[r.point])).toBeLessThanOrEqual(Math.max(r.scale ?? 0, Math.abs(expected[r.point]) * 1e-6));
    }
  });

  it('a dead slave on the line does not stall the others', async () => {
    sim.setFault(2, { kind: 'offline' });
    try {
      const plan1 = compileTemplate(templates[0]);
      const plan2 = compileTemplate(templates[1]);
      for (let i = 0; i < 2; i++) { await readPlan(bus, 2, plan2); await readPlan(bus, 1, plan1); }
      expect(bus.suspendedUnits()).toContain(2);
      const timeouts = bus.stats().timeouts;
      const dead = await readPlan(bus, 2, plan2);
      const alive = await readPlan(bus, 1, plan1);
      expect((dead[0] as ModbusError).failure).toBe('suspended');
      expect(alive.every((r) => Array.isArray(r))).toBe(true);
      expect(bus.stats().timeouts).toBe(timeouts); // no timeout was spent on the dead slave
    } finally {
      sim.setFault(2, null);
    }
  });
});
