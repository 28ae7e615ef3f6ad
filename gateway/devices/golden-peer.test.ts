/**
 * The golden register images (golden-cases.ts) served by pymodbus 3.0 — a Modbus server that shares no code with
 * the project — and read over Modbus TCP by the gateway's own bus, planner and decoder, one unit id per template.
 * Every template's energy counter and every other point of its image must come out as the values worked out by
 * hand from the manufacturer's map.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../../test/harness/ports.ts';
import { ModbusBus } from '../protocols/modbus/bus.ts';
import { compileTemplate, decodePoints } from '../protocols/modbus/device-map.ts';
import { readPlan } from '../protocols/modbus/source.ts';
import type { ModbusTemplate } from '../protocols/modbus/template.ts';
import { closeDigits, goldenImage, loadGoldenCases } from './golden-cases.ts';
import { loadTemplate } from './templates.ts';

/** The counter each template's energy is computed from, named here rather than looked up, so none can go missing. */
const COUNTERS: Record<string, string> = {
  'acrel-adl400': 'energy_import_kwh',
  'acrel-dtsd1352': 'energy_import_kwh',
  'chint-dtsu666': 'energy_import_kwh',
  'eastron-sdm630': 'energy_import_kwh',
  'gas-meter-modbus': 'gas_m3',
  'huawei-sun2000': 'energy_yield_kwh',
  'irradiance-sensor-rs485': 'irradiation_today_kwh_m2',
  'water-meter-modbus': 'water_m3',
};

// pymodbus 3.0: one slave context per unit id; zero_mode=True, or it shifts every address by one.
const SERVER = `
import asyncio, json, sys
from pymodbus.datastore import ModbusSequentialDataBlock, ModbusSlaveContext, ModbusServerContext
from pymodbus.server import StartAsyncTcpServer
images = json.load(sys.stdin)
def block(words):
    size = max([int(a) for a in words] + [0]) + 256
    values = [0] * size
    for a, w in words.items():
        values[int(a)] = w
    return ModbusSequentialDataBlock(0, values)
slaves = {}
for unit, kinds in images.items():
    slaves[int(unit)] = ModbusSlaveContext(
        hr=block(kinds.get("holding", {})), ir=block(kinds.get("input", {})),
        co=block(kinds.get("coil", {})), di=block(kinds.get("discrete", {})), zero_mode=True)
asyncio.run(StartAsyncTcpServer(context=ModbusServerContext(slaves=slaves, single=False), address=("127.0.0.1", int(sys.argv[1]))))
`;

const cases = loadGoldenCases();

describe('golden images served by pymodbus, read by the gateway', () => {
  let server: ChildProcess;
  let port = 0;
  let stderr = '';

  beforeAll(async () => {
    port = await freePort();
    const images: Record<number, Record<string, Record<number, number>>> = {};
    cases.forEach((c, i) => {
      images[i + 1] = Object.fromEntries([...goldenImage(c)].map(([kind, words]) => [kind, Object.fromEntries(words)]));
    });
    server = spawn('/usr/bin/python3', ['-c', SERVER, String(port)], { stdio: ['pipe', 'ignore', 'pipe'] });
    server.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
    server.stdin!.end(JSON.stringify(images));
    await waitFor(`pymodbus on port ${port}`, () => new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
      s.on('error', () => resolve(false));
    }), 20_000, 100).catch((err: unknown) => { throw new Error(`${(err as Error).message}: ${stderr}`); });
  }, 30_000);

  afterAll(() => {
    server?.kill();
  });

  it('names the energy counter of every golden image', () => {
    expect(Object.keys(COUNTERS).sort()).toEqual(cases.map((c) => c.template).sort());
    for (const c of cases) expect(c.expected, c.template).toHaveProperty(COUNTERS[c.template]);
  });

  it.each(cases.map((c, i) => [c.template, c.map, i + 1, c] as const))('%s (%s map) as unit %i', async (id, _map, unit, c) => {
    const bus = new ModbusBus({ kind: 'tcp', host: '127.0.0.1', port }, { timeoutMs: 2000 });
    try {
      const plan = compileTemplate(loadTemplate(id) as ModbusTemplate);
      const points = decodePoints(plan, await readPlan(bus, unit, plan), { ct: c.ct_ratio, pt: 1 });
      const counter = COUNTERS[id];
      expect(points[counter]?.quality, `${counter}: ${points[counter]?.reason}`).toBe('good');
      expect(points[counter].value, counter).toBeCloseTo(c.expected[counter], closeDigits(c.expected[counter]));
      for (const [point, value] of Object.entries(c.expected)) {
        expect(points[point]?.quality, `${point}: ${points[point]?.reason}`).toBe('good');
        expect(points[point].value, point).toBeCloseTo(value, closeDigits(value));
      }
    } finally {
      await bus.close();
    }
  });
});
