/**
 * A SunSpec inverter and a met station served over real Modbus TCP on loopback, found and read by discovery
 * alone (no configured offsets) through the gateway's SunSpec code; pymodbus reads the same bytes independently.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceReading } from '../../core/contract/v1.ts';
import { logger } from '../../core/log.ts';
import { checkSite } from '../../core/site/load.ts';
import type { SiteModel } from '../../core/site/schema.ts';
import { loadTemplateOf } from '../../gateway/devices/templates.ts';
import { protocols } from '../../gateway/protocols/index.ts';
import { scanSunspec, formatSunspecScan } from '../../gateway/protocols/sunspec/scan.ts';
import type { SimulatedDevice } from '../device.ts';
import { CST_OFFSET_MS } from '../physics/climate.ts';
import { IrradianceSensor, PvInverter } from '../physics/pv.ts';
import { WeatherStation } from '../physics/utilities.ts';
import { inverterModels, metStationModels, SunspecImage } from './layout.ts';
import { startSunspecSimulator, type SunspecSimulator } from './server.ts';

const NOON = Date.UTC(2025, 6, 20, 12) - CST_OFFSET_MS; // 2025-07-20 12:00 CST
const identity = (serial: string, unit: number) => ({ manufacturer: 'Jieneng', model: 'SIM-PV', version: '1.0', serial, deviceAddress: unit });

describe('SunSpec simulator and discovery over Modbus TCP', () => {
  const inverter = new PvInverter({ id: 'pv-inv-1', seed: 7, peakPowerKwp: 60, mpptCount: 3 });
  const sensor = new IrradianceSensor('irr', 7);
  const station = new WeatherStation('ws', 7);
  const metDevice: SimulatedDevice = { id: 'met', read: (t) => ({ ...sensor.read(t), ...station.read(t) }) };
  /** an inverter whose firmware leaves the heat-sink temperature and PF unimplemented */
  const sparse: SimulatedDevice = { id: 'sparse', read: (t) => { const v = inverter.read(t); delete v.temp_heatsink_c; delete v.power_factor; return v; } };
  let sim: SunspecSimulator;
  let simAt0: SunspecSimulator;
  let shortSim: SunspecSimulator;

  beforeAll(async () => {
    const models = inverterModels({ ratedKw: inverter.acRatingKw, peakKwp: 60, mpptCount: 3 });
    sim = await startSunspecSimulator({
      now: () => NOON,
      units: new Map([
        [1, { device: inverter, image: new SunspecImage(40000, identity('INV001', 1), models) }],
        [2, { device: metDevice, image: new SunspecImage(50000, identity('MET001', 2), metStationModels()) }],
        [3, { device: sparse, image: new SunspecImage(40000, identity('INV003', 3), models) }],
      ]),
    });
    // firmware that reports model 103 with L = 30: everything after DCW (DCW_SF, temperatures, St …) is not sent
    const short = models.map((m) => (m.id === 103 ? { ...m, length: 30 } : m));
    shortSim = await startSunspecSimulator({ now: () => NOON, units: new Map([[1, { device: inverter, image: new SunspecImage(40000, identity('INV004', 1), short) }]]) });
    // a vendor that puts the map at 0 and ships model 1 with L = 65
    simAt0 = await startSunspecSimulator({ now: () => NOON, units: new Map([[1, { device: inverter, image: new SunspecImage(0, identity('INV002', 1), models, 65) }]]) });
  });
  afterAll(async () => {
    await sim?.stop();
    await simAt0?.stop();
    await shortSim?.stop();
  });

  it('discovers "SunS" at 40000 and walks models 1, 103, 120, 160', async () => {
    const r = await scanSunspec({ host: '127.0.0.1', port: sim.port, unit: 1 });
    expect(r.base).toBe(40000);
    expect(r.models.map((m) => [m.id, m.address, m.length])).toEqual([[1, 40002, 66], [103, 40070, 50], [120, 40122, 26], [160, 40150, 68]]);
    const physics = inverter.read(NOON);
    const m103 = r.models[1].decoded!;
    expect(physics.power_ac_kw).toBeGreaterThan(5);
    expect(Math.abs((m103.points.W as number) - physics.power_ac_kw * 1000)).toBeLessThanOrEqual(5); // W_SF = 1: 10 W steps
    expect(Math.abs((m103.points.WH as number) - physics.energy_yield_kwh * 1000)).toBeLessThanOrEqual(0.5);
    expect(m103.points.St).toBe(physics.inverter_state);
    expect(r.models[0].decoded!.points.SN).toBe('INV001');
    expect(r.models[3].decoded!.blocks).toHaveLength(3);
    expect(formatSunspecScan(r)).toContain('model 160 mppt at 40150, L=68');
  });

  it('finds maps at 0 and at 50000 and walks a 65-register common model by its length', async () => {
    const at0 = await scanSunspec({ host: '127.0.0.1', port: simAt0.port, unit: 1 });
    expect(at0.base).toBe(0);
    expect(at0.models.map((m) => m.id)).toEqual([1, 103, 120, 160]);
    expect(at0.models[1].address).toBe(2 + 65 + 2);
    expect(at0.models[1].decoded!.points.W).toBeCloseTo(inverter.read(NOON).power_ac_kw * 1000, -1);
    const met = await scanSunspec({ host: '127.0.0.1', port: sim.port, unit: 2 });
    expect(met.base).toBe(50000);
    expect(met.models.map((m) => m.id)).toEqual([1, 302, 303, 307]);
  });

  it('is read by discovery alone through the gateway source, with null (not zero) for unimplemented points', async () => {
    const site = checkSite({
      version: 1,
      site: { id: 'sunspec-test', name: 'SunSpec test' },
      buildings: [{ id: 'b', name: 'B', floor_area_m2: 1000 }],
      gateways: [{ id: 'gw', poll_interval_s: 1 }],
      devices: [
        { id: 'inv', name: 'inverter', kind: 'inverter', building: 'b', gateway: 'gw', template: 'sunspec-inverter', address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unit_id: 1 } },
        { id: 'met', name: 'met station', kind: 'sensor', building: 'b', gateway: 'gw', template: 'sunspec-met-station', address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unit_id: 2 } },
        { id: 'sparse', name: 'sparse inverter', kind: 'inverter', building: 'b', gateway: 'gw', template: 'sunspec-inverter', address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unit_id: 3 } },
      ],
    }) as SiteModel;
    const readings = new Map<string, DeviceReading>();
    const online = new Map<string, boolean>();
    const sources = site.devices.map((device) => protocols.sunspec.source({
      site, device, log: logger('test'), mqttUrl: 'mqtt://127.0.0.1:1',
      emit: (r) => { if (!readings.has(r.device)) readings.set(r.device, r); },
      setOnline: (o) => online.set(device.id, o),
    }, loadTemplateOf('sunspec', device.template)));
    await Promise.all(sources.map((s) => s.start()));
    try {
      const deadline = Date.now() + 10_000;
      while (readings.size < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await Promise.all(sources.map((s) => s.stop()));
    }
    const physics = inverter.read(NOON);
    const inv = readings.get('inv')!.points;
    expect(inv.power_ac_kw.quality).toBe('good');
    expect(inv.power_ac_kw.value!).toBeCloseTo(physics.power_ac_kw, 1);
    expect(inv.energy_yield_kwh.value!).toBeCloseTo(physics.energy_yield_kwh, 2);
    expect(inv.power_rated_kw.value).toBeCloseTo(inverter.acRatingKw, 1);
    expect(inv.mppt3_power_dc_kw.value!).toBeCloseTo(physics.mppt3_power_dc_kw, 1);
    expect(inv.frequency_hz.value!).toBeCloseTo(physics.frequency_hz, 2);
    expect(inv.voltage_l12_v.value!).toBeCloseTo(physics.voltage_l12_v, 1);
    const met = readings.get('met')!.points;
    expect(met.temp_c.value!).toBeCloseTo(station.read(NOON).temp_c, 0);
    expect(met.irradiance_w_m2.value!).toBeCloseTo(sensor.read(NOON).irradiance_w_m2, -1);
    const sp = readings.get('sparse')!.points;
    expect(sp.temp_heatsink_c).toEqual({ value: null, quality: 'bad', reason: 'not implemented by the device (SunSpec 103.TmpSnk)' });
    expect(sp.power_factor.value).toBeNull();
    expect(sp.power_ac_kw.quality).toBe('good');
    expect([...online.values()].every(Boolean)).toBe(true);
  });

  it('a model shorter than its definition (103 with L = 30): points beyond L are bad with the reason, never zero, in the source and the scan', async () => {
    const scan = await scanSunspec({ host: '127.0.0.1', port: shortSim.port, unit: 1 });
    expect(scan.models.map((m) => [m.id, m.length])).toEqual([[1, 66], [103, 30], [120, 26], [160, 68]]);
    const m103 = scan.models[1].decoded!;
    expect(m103.points.W).toBeCloseTo(inverter.read(NOON).power_ac_kw * 1000, -1);
    for (const name of ['TmpCab', 'TmpSnk', 'St', 'DCW']) {
      expect(m103.points).not.toHaveProperty(name);
      expect(m103.unsent[name]).toMatch(/beyond the length the device reports \(SunSpec 103 L=30, 50 in the definition\)/);
    }
    const text = formatSunspecScan(scan);
    expect(text).toMatch(/not sent \(beyond L=30\): .*TmpCab TmpSnk/);
    expect(text).not.toMatch(/TmpCab=/);

    const site = checkSite({
      version: 1, site: { id: 'sunspec-short', name: 'short' }, buildings: [{ id: 'b', name: 'B', floor_area_m2: 1 }],
      gateways: [{ id: 'gw', poll_interval_s: 1 }],
      devices: [{ id: 'inv', name: 'inverter', kind: 'inverter', building: 'b', gateway: 'gw', template: 'sunspec-inverter', address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: shortSim.port, unit_id: 1 } }],
    }) as SiteModel;
    let reading: DeviceReading | undefined;
    const source = protocols.sunspec.source({ site, device: site.devices[0], log: logger('test'), mqttUrl: 'mqtt://127.0.0.1:1', emit: (r) => { reading ??= r; }, setOnline: () => undefined }, loadTemplateOf('sunspec', 'sunspec-inverter'));
    await source.start();
    try {
      const deadline = Date.now() + 10_000;
      while (!reading && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await source.stop();
    }
    const p = reading!.points;
    for (const point of ['temp_inverter_c', 'temp_heatsink_c', 'inverter_state', 'power_dc_kw']) {
      expect(p[point], point).toMatchObject({ value: null, quality: 'bad' });
      expect(p[point].reason).toMatch(/beyond the length the device reports \(SunSpec 103 L=30/);
    }
    expect(p.power_dc_kw.reason).toMatch(/^scale factor DCW_SF beyond/);
    expect(p.power_ac_kw.quality).toBe('good');
    expect(p.voltage_dc_v.quality).toBe('good'); // DCV and DCV_SF lie inside L
  });

  it('reports an offline unit and recovers when it answers again', async () => {
    sim.setFault(1, { kind: 'exception', code: 4 });
    await expect(scanSunspec({ host: '127.0.0.1', port: sim.port, unit: 1, timeoutMs: 300 })).rejects.toThrow(/no SunSpec device/);
    sim.setFault(1, null);
    expect((await scanSunspec({ host: '127.0.0.1', port: sim.port, unit: 1 })).base).toBe(40000);
  });

  it('speaks real Modbus: pymodbus reads the marker and model 103 power independently', async () => {
    const script = [
      'from pymodbus.client import ModbusTcpClient',
      `c = ModbusTcpClient("127.0.0.1", port=${sim.port})`,
      'c.connect()',
      'r = c.read_holding_registers(40000, 2, slave=1)',
      'w = c.read_holding_registers(40070 + 14, 2, slave=1)',
      'print(r.registers[0], r.registers[1], w.registers[0], w.registers[1])',
      'c.close()',
    ].join('\n');
    const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', script], { timeout: 15_000 });
    const [s1, s2, w, sf] = stdout.trim().split(/\s+/).map(Number);
    expect([s1, s2]).toEqual([0x5375, 0x6e53]);
    const exp = sf >= 0x8000 ? sf - 0x10000 : sf;
    expect(w * 10 ** exp).toBeCloseTo(inverter.read(NOON).power_ac_kw * 1000, -1);
  });
});
