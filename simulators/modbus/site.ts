/**
 * Start the Modbus TCP simulators a site model points at: one server per host:port, each device of the site
 * served as its unit id with its own template and CT/PT. Devices of other protocols or templates are skipped
 * (their own simulators serve them). Used by the demo and the benchmark.
 */
import type { Device, SiteModel } from '../../core/site/schema.ts';
import { loadTemplate } from '../../gateway/devices/templates.ts';
import type { SimulatedDevice } from '../device.ts';
import { startModbusSimulator, type ModbusSimulator, type SimUnit } from './server.ts';

/** The running simulators, by `host:port`. */
export interface SiteSimulators {
  simulators: Map<string, ModbusSimulator>;
  /** unit ids per `host:port`, for fault injection */
  units: Map<string, Map<number, string>>;
  stop(): Promise<void>;
}

/** Serve every enabled modbus-tcp device with a Modbus template (optionally only those of one gateway). */
export async function startSiteModbusSimulators(
  site: SiteModel,
  deviceFor: (device: Device) => SimulatedDevice,
  opts: { gateway?: string; now?: () => number } = {},
): Promise<SiteSimulators> {
  const groups = new Map<string, { host: string; port: number; units: Map<number, SimUnit>; ids: Map<number, string> }>();
  for (const d of site.devices) {
    if (d.enabled === false || d.address.protocol !== 'modbus-tcp') continue;
    if (opts.gateway && d.gateway !== opts.gateway) continue;
    const template = loadTemplate(d.template);
    if (template.protocol !== 'modbus') continue;
    const { host, port } = d.address;
    const key = `${host}:${port}`;
    let g = groups.get(key);
    if (!g) { g = { host, port, units: new Map(), ids: new Map() }; groups.set(key, g); }
    const unit = d.address.unit_id ?? 1;
    if (g.units.has(unit)) throw new Error(`${key} unit ${unit} is used by both ${g.ids.get(unit)} and ${d.id}`);
    g.units.set(unit, { template, device: deviceFor(d), ctRatio: d.ct_ratio, ptRatio: d.pt_ratio });
    g.ids.set(unit, d.id);
  }
  const simulators = new Map<string, ModbusSimulator>();
  try {
    for (const [key, g] of groups) simulators.set(key, await startModbusSimulator({ host: g.host, port: g.port, units: g.units, now: opts.now }));
  } catch (err) {
    await Promise.all([...simulators.values()].map((s) => s.stop()));
    throw err;
  }
  return {
    simulators,
    units: new Map([...groups].map(([k, g]) => [k, g.ids])),
    stop: async () => { await Promise.all([...simulators.values()].map((s) => s.stop())); },
  };
}
