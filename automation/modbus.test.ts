/**
 * A Modbus TCP air-handling unit (an integrator's template with a writable set-point register and a start/stop
 * coil) commanded by automation through the embedded broker and the gateway (FC 5, FC 6), read back over Modbus
 * TCP. Modbus has no priorities: automation writes the winning layer, the `release_value` when none holds, and the
 * minimum on time defers a stop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../core/devices/catalogue.ts';
import { loadTemplate } from '../gateway/devices/templates.ts';
import { ModbusBus } from '../gateway/protocols/modbus/bus.ts';
import type { ModbusTemplate } from '../gateway/protocols/modbus/template.ts';
import { fixedDevice } from '../simulators/modbus/fixed-device.ts';
import { startModbusSimulator } from '../simulators/modbus/server.ts';
import type { Automation } from './runtime.ts';
import { integratorSite, startChain, type Chain } from './testing/rig.ts';

const TEMPLATE = `protocol: modbus
id: acme-ahu-modbus
manufacturer: ACME
model: AHU-MB
kind: hvac
source: test register map
defaults: { register: holding }
registers:
  - { point: supply_fan_on, name: FAN START, address: 0, register: coil, type: bool, unit: "", writable: true }
  - { point: supply_air_temp_setpoint_c, name: SAT SP, address: 10, type: int16, scale: 0.1, unit: °C, writable: true, min: 12, max: 22 }
  - { point: supply_air_temp_c, name: SAT, address: 11, type: int16, scale: 0.1, unit: °C }
`;
const at = (local: string) => Date.parse(`${local}+08:00`);

describe('a Modbus AHU under a schedule', () => {
  let chain: Chain | undefined;
  let cleanup = () => {};
  let automation: Automation;
  let bus: ModbusBus;
  const clock = () => chain!.clock;

  beforeAll(async () => {
    const made = integratorSite('acme-ahu-modbus', TEMPLATE, { id: 'b1-ahu-mb', name: '1号楼Modbus空调箱', address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: 1, unit_id: 1 } });
    cleanup = made.cleanup;
    const template = loadTemplate('acme-ahu-modbus') as ModbusTemplate;
    expect(loadModel('acme-ahu-modbus').points.get('supply_fan_on')?.writable).toEqual({ min: undefined, max: undefined });
    const modbus = await startModbusSimulator({ port: 0, units: new Map([[1, { template, device: fixedDevice('ahu', { supply_fan_on: 0, supply_air_temp_setpoint_c: 16, supply_air_temp_c: 18 }) }]]) });
    const d = made.site.devices[0];
    if (d.address.protocol === 'modbus-tcp') d.address.port = modbus.port;
    chain = await startChain(made.site, {
      version: 1,
      points: [
        { device: 'b1-ahu-mb', point: 'supply_fan_on', min_on_s: 3600 },
        { device: 'b1-ahu-mb', point: 'supply_air_temp_setpoint_c', release_value: 20 },
      ],
      schedules: [{
        id: 'b1-ahu-mb', name: '1号楼空调箱', building: 'centre-b1',
        week: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((x) => [x, [{ from: '08:00', to: '18:00' }]])),
        targets: [
          { device: 'b1-ahu-mb', point: 'supply_fan_on', occupied: 1, unoccupied: 0 },
          { device: 'b1-ahu-mb', point: 'supply_air_temp_setpoint_c', occupied: 16.5, unoccupied: 'release' },
        ],
      }],
    }, at('2025-10-09T07:45'));
    chain.stops.unshift(() => modbus.stop());
    automation = chain.automation;
    bus = new ModbusBus({ kind: 'tcp', host: '127.0.0.1', port: modbus.port }, { timeoutMs: 1000 });
    chain.stops.push(() => bus.close());
  }, 60_000);

  afterAll(async () => {
    await chain?.stop();
    cleanup();
  });

  const registers = async () => [(await bus.read(1, 'coil', 0, 1))[0], (await bus.read(1, 'holding', 10, 1))[0]];

  it('starts and stops the fan (FC 5) and writes the set-point or its release value (FC 6)', async () => {
    const step = async (local: string) => {
      clock().ms = at(local);
      return (await automation.tick()).map((c) => [c.point, c.value, c.priority, c.outcome]).sort();
    };
    expect(await step('2025-10-09T07:45')).toEqual([['supply_air_temp_setpoint_c', 20, null, 'written'], ['supply_fan_on', 0, null, 'written']]);
    expect(await registers()).toEqual([0, 200]);
    expect(await step('2025-10-09T08:00')).toEqual([['supply_air_temp_setpoint_c', 16.5, null, 'written'], ['supply_fan_on', 1, null, 'written']]);
    expect(await registers()).toEqual([1, 165]);
  }, 30_000);

  it('an override to stop waits out the minimum on time, then wins; clearing it hands back to the schedule', async () => {
    clock().ms = at('2025-10-09T08:30');
    const ov = await automation.addOverride({ device: 'b1-ahu-mb', point: 'supply_fan_on', value: 0, until_ms: null, by: 'zhao (k4)', comment: '检修' });
    expect(automation.history({ limit: 1 })[0]).toMatchObject({ value: 0, outcome: 'deferred', detail: 'minimum on time 3600 s: on for 1800 s', origin: 'override:zhao (k4)' });
    expect((await registers())[0]).toBe(1);
    clock().ms = at('2025-10-09T09:00');
    expect((await automation.tick()).map((c) => [c.value, c.outcome])).toEqual([[0, 'written']]);
    expect((await registers())[0]).toBe(0);
    await automation.clearOverride(ov.id, 'zhao (k4)');
    expect((await registers())[0]).toBe(1);
  }, 30_000);
});
