/**
 * Rows marked `publish: false` are not read while polling unless a published row needs them (issue 12, "Also"):
 * checked on the read plan and by counting the requests a real Modbus TCP peer receives from the gateway source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceReading } from '../../../core/contract/v1.ts';
import { logger } from '../../../core/log.ts';
import { checkSite } from '../../../core/site/load.ts';
import { fixedDevice, sampleValues } from '../../../simulators/modbus/fixed-device.ts';
import { startModbusSimulator, type ModbusSimulator, type ReadRequest } from '../../../simulators/modbus/server.ts';
import { waitFor } from '../../../test/harness/ports.ts';
import { loadTemplate } from '../../devices/templates.ts';
import { protocols } from '../index.ts';
import { compileTemplate } from './device-map.ts';
import type { PlannedRead } from './planner.ts';
import type { ModbusTemplate } from './template.ts';

// Acrel DTSD1352 keeps its PT and CT ratios (0x008D, 0x008E) more than max_gap away from the values around them
const acrel = loadTemplate('acrel-dtsd1352') as ModbusTemplate;
const PT_RATIO = 0x008d;
const CT_RATIO = 0x008e;

const covers = (r: Pick<PlannedRead, 'register' | 'address' | 'count'>, address: number, register = 'holding') =>
  r.register === register && r.address <= address && address < r.address + r.count;

describe('publish: false rows in the read plan', () => {
  it('are left out of the polling plan (one request fewer for the Acrel meter) but laid out by a full plan', () => {
    const polling = compileTemplate(acrel);
    const full = compileTemplate(acrel, {}, { unpublished: 'read' });
    expect(polling.reads.some((r) => covers(r, PT_RATIO) || covers(r, CT_RATIO))).toBe(false);
    expect(full.reads.some((r) => covers(r, PT_RATIO))).toBe(true);
    expect(polling.reads.length).toBe(full.reads.length - 1);
    expect(polling.rows.map((c) => c.row.point)).not.toContain('ct_ratio');
  });

  it('are still read when a published row takes its scale from them', () => {
    const t: ModbusTemplate = {
      protocol: 'modbus', id: 'sf-test', manufacturer: 'test', model: 'test', kind: 'meter', source: 'test',
      registers: [
        { point: 'power_kw', name: 'P', address: 0, type: 'int16', unit: 'kW', scale_register: { address: 40 } },
        { point: 'power_sf', name: 'P scale', address: 40, type: 'int16', unit: '1', publish: false },
        { point: 'serial_number', name: 'SN', address: 200, type: 'string', length: 4, unit: '', publish: false },
      ],
    };
    const plan = compileTemplate(t);
    expect(plan.rows.map((c) => c.row.point)).toEqual(['power_kw', 'power_sf']);
    expect(plan.reads.some((r) => covers(r, 40))).toBe(true);
    expect(plan.reads.some((r) => covers(r, 200))).toBe(false);
  });
});

describe('publish: false rows against a real Modbus TCP peer', () => {
  let sim: ModbusSimulator;
  beforeAll(async () => {
    sim = await startModbusSimulator({ units: new Map([[7, { template: acrel, device: fixedDevice('m', sampleValues(acrel)), ctRatio: 200 }]]) });
  });
  afterAll(async () => { await sim?.stop(); });

  it('the gateway source never asks for them, and sends one request per planned read per cycle', async () => {
    const site = checkSite({
      version: 1, site: { id: 'unpub', name: 't' }, buildings: [{ id: 'b1', name: 'B', floor_area_m2: 1 }],
      gateways: [{ id: 'gw1', poll_interval_s: 1 }],
      devices: [{ id: 'm', name: 'M', kind: 'meter', medium: 'electricity', building: 'b1', gateway: 'gw1', template: acrel.id,
        ct_ratio: 200, address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unit_id: 7 } }],
    });
    const readings: DeviceReading[] = [];
    const source = protocols.modbus.source({
      site, device: site.devices[0], log: logger('test'), mqttUrl: 'mqtt://127.0.0.1:1',
      emit: (r) => readings.push(r), setOnline: () => undefined,
    }, acrel);
    await source.start();
    try {
      await waitFor('three poll cycles', () => readings.length >= 3, 15_000);
    } finally {
      await source.stop();
    }
    const requests: ReadRequest[] = sim.reads().filter((r) => r.unit === 7);
    expect(requests.some((r) => covers(r, PT_RATIO) || covers(r, CT_RATIO))).toBe(false);
    const planned = compileTemplate(acrel).reads;
    // every request is one of the planned reads, and no cycle asks more than the plan (a last cycle may be cut short)
    for (const r of requests) expect(planned.some((p) => p.register === r.register && p.address === r.address && p.count === r.count)).toBe(true);
    expect(requests.length).toBeGreaterThanOrEqual(readings.length * planned.length);
    expect(requests.length).toBeLessThanOrEqual((readings.length + 1) * planned.length);
    expect(readings[0].points.power_kw.quality).toBe('good');
    expect(readings[0].points).not.toHaveProperty('ct_ratio');
  });
});
