/**
 * The demo site's simulator fleet on real sockets: every loopback device served at its address (ports remapped
 * to free ones), read back through the gateway's own Modbus and SunSpec code; CT ratios honoured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSite } from '../core/site/load.ts';
import type { SiteModel } from '../core/site/schema.ts';
import { asModbusTemplate, loadTemplate } from '../gateway/devices/templates.ts';
import { ModbusBus } from '../gateway/protocols/modbus/bus.ts';
import { compileTemplate, decodePoints } from '../gateway/protocols/modbus/device-map.ts';
import { readPlan } from '../gateway/protocols/modbus/source.ts';
import { scanSunspec } from '../gateway/protocols/sunspec/scan.ts';
import { freePort } from '../test/harness/ports.ts';
import { startSiteSimulators, type SiteSimulators } from './fleet.ts';
import { CST_OFFSET_MS } from './physics/climate.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const NOW = Date.UTC(2026, 5, 10, 10, 30) - CST_OFFSET_MS; // a Wednesday, 10:30 CST

/** The demo site with every loopback Modbus port moved to a free one (tests must not need fixed ports). */
async function demoSiteOnFreePorts(): Promise<SiteModel> {
  const site = loadSite(join(repo, 'config/demo-site.yaml'));
  const moved = new Map<number, number>();
  for (const d of site.devices) {
    if (d.address.protocol !== 'modbus-tcp') continue;
    if (!moved.has(d.address.port)) moved.set(d.address.port, await freePort());
    d.address.port = moved.get(d.address.port)!;
  }
  return site;
}

describe('site simulator fleet', () => {
  let site: SiteModel;
  let fleet: SiteSimulators;
  const buses: ModbusBus[] = [];
  const busFor = (port: number) => {
    const bus = new ModbusBus({ kind: 'tcp', host: '127.0.0.1', port }, { timeoutMs: 2000 });
    buses.push(bus);
    return bus;
  };
  /** Read a Modbus device through the gateway's planner, bus and decoder. */
  const readDevice = async (id: string) => {
    const d = site.devices.find((x) => x.id === id)!;
    if (d.address.protocol !== 'modbus-tcp') throw new Error('not TCP');
    const plan = compileTemplate(asModbusTemplate(loadTemplate(d.template), id));
    const results = await readPlan(busFor(d.address.port), d.address.unit_id ?? 1, plan);
    return decodePoints(plan, results, { ct: d.ct_ratio ?? 1, pt: d.pt_ratio ?? 1 });
  };

  beforeAll(async () => {
    site = await demoSiteOnFreePorts();
    // the clock starts at NOW and runs: simulators cache their register image per instant
    const started = Date.now();
    // HVAC devices (BACnet/MQTT, fixed ports) are the HVAC simulators' tests' business
    const only = site.devices.filter((d) => d.kind !== 'hvac').map((d) => d.id);
    fleet = await startSiteSimulators({ site, seed: 3, only, now: () => NOW + (Date.now() - started) });
  });
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await fleet?.stop();
  });

  it('simulates every meter, inverter and sensor of the demo site', () => {
    const simulated = site.devices.filter((d) => d.kind !== 'hvac').map((d) => d.id);
    expect([...fleet.devices.keys()].sort()).toEqual(simulated.sort());
  });

  it('serves a CT-metered main meter as a real one: register = primary ÷ CT, gateway multiplies back', async () => {
    const physics = fleet.devices.get('centre-b1-main')!.read(NOW);
    const points = await readDevice('centre-b1-main');
    // DTSD1352: import energy U32 × 0.01 kWh on the secondary side; × CT 200 → 2 kWh resolution on the primary
    expect(Math.abs(points.energy_import_kwh.value! - physics.energy_import_kwh)).toBeLessThanOrEqual(4);
    expect(Math.abs(points.power_kw.value! - physics.power_kw)).toBeLessThan(0.05 * physics.power_kw);
    expect(physics.power_kw).toBeGreaterThan(50); // a staffed 18 600 m² office mid-morning
    const main = site.devices.find((d) => d.id === 'centre-b1-main')!;
    const raw = await busFor((main.address as { port: number }).port).read(1, 'holding', 0x000a, 2);
    expect(Math.abs((raw[0] * 65536 + raw[1]) * 0.01 - physics.energy_import_kwh / 200)).toBeLessThanOrEqual(0.02);
  });

  it('makes the main meter agree with its sub-meters (plus 1.5 % losses)', () => {
    const subs = site.devices.filter((d) => d.parent === 'centre-b1-main').map((d) => fleet.devices.get(d.id)!.read(NOW).power_kw);
    expect(fleet.devices.get('centre-b1-main')!.read(NOW).power_kw).toBeCloseTo(subs.reduce((a, b) => a + b, 0) * 1.015, 6);
  });

  it('serves water and gas meters, the Huawei inverter and the SunSpec inverter of the rooftop PV', async () => {
    const water = await readDevice('centre-b1-water');
    expect(water.water_m3.value!).toBeCloseTo(fleet.devices.get('centre-b1-water')!.read(NOW).water_m3, 1);
    const gas = await readDevice('service-centre-gas');
    expect(gas.gas_m3.value!).toBeCloseTo(fleet.devices.get('service-centre-gas')!.read(NOW).gas_m3, 1);
    const huawei = await readDevice('zhongshan-e290-pv-inv2');
    const huaweiPhysics = fleet.devices.get('zhongshan-e290-pv-inv2')!.read(NOW);
    expect(Math.abs(huawei.energy_yield_kwh.value! - huaweiPhysics.energy_yield_kwh)).toBeLessThan(0.5);
    expect(Math.abs(huawei.power_ac_kw.value! - huaweiPhysics.power_ac_kw)).toBeLessThan(0.5);
    const inv1 = site.devices.find((d) => d.id === 'zhongshan-e290-pv-inv1')!;
    const scan = await scanSunspec({ host: '127.0.0.1', port: (inv1.address as { port: number }).port, unit: 1 });
    expect(scan.models.map((m) => m.id)).toEqual([1, 103, 120, 160]);
    expect(Math.abs((scan.models[1].decoded!.points.W as number) / 1000 - fleet.devices.get('zhongshan-e290-pv-inv1')!.read(NOW).power_ac_kw)).toBeLessThan(0.5);
  });

  it('injects value and protocol faults per device', async () => {
    fleet.setValueFaults('centre-b1-water', [{ kind: 'counter_reset', at: NOW - 60_000 }]);
    await new Promise((r) => setTimeout(r, 250)); // past the image cache
    expect((await readDevice('centre-b1-water')).water_m3.value!).toBeLessThan(1);
    fleet.setValueFaults('centre-b1-water', []);
    fleet.setProtocolFault('centre-b1-gas', { kind: 'exception', code: 4 });
    const d = site.devices.find((x) => x.id === 'centre-b1-gas')!;
    await expect(busFor((d.address as { port: number }).port).read(2, 'holding', 0, 2)).rejects.toThrow(/SERVER DEVICE FAILURE|exception/i);
    fleet.setProtocolFault('centre-b1-gas', null);
  });
});
