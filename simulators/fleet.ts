/**
 * The simulator fleet of a site model: every enabled device whose address is on this machine (loopback) gets
 * its physics (simulators/physics/site.ts) and a server speaking its protocol at its configured address —
 * Modbus TCP devices with Modbus templates through the template-driven simulator (one server per host:port,
 * several unit ids, CT/PT honoured: the register holds primary ÷ ratio as a real meter does), SunSpec devices
 * through the SunSpec simulator. BACnet/IP and MQTT-native HVAC simulators plug into `fleetStarters` below.
 */
import { ConfigError } from '../core/config/yaml-file.ts';
import { StartupError } from '../core/errors.ts';
import { logger } from '../core/log.ts';
import type { Device, SiteModel } from '../core/site/schema.ts';
import { loadTemplate, type Template } from '../gateway/devices/templates.ts';
import type { SimulatedDevice } from './device.ts';
import { isLoopback, type FleetContext, type FleetPart, type FleetStarter } from './fleet-part.ts';
import { startModbusSimulator, type ModbusFault, type SimUnit } from './modbus/server.ts';
import type { ValueFault } from './physics/faults.ts';
import { buildSitePhysics, siteSeed } from './physics/site.ts';
import { inverterModels, metStationModels, SunspecImage, type ModelSource } from './sunspec/layout.ts';
import { startSunspecSimulator, type SunspecUnit } from './sunspec/server.ts';
import type { PvInverter } from './physics/pv.ts';
import { startBacnetFleet } from './bacnet/fleet.ts';
import { startMqttFleet } from './mqtt/fleet.ts';

const log = logger('sim-fleet');

/**
 * Simulators per address protocol. `bacnet-ip` and `mqtt` are for the HVAC simulators (simulators/bacnet,
 * simulators/mqtt): register a starter here that serves `ctx.devices` of that protocol with their HVAC
 * physics (simulators/physics/hvac.ts) and returns a FleetPart.
 */
export const fleetStarters: Partial<Record<Device['address']['protocol'], FleetStarter>> = {
  'modbus-tcp': startModbusTcpFleet,
  'bacnet-ip': startBacnetFleet,
  mqtt: startMqttFleet,
};

export { isLoopback } from './fleet-part.ts';

/** The running fleet. */
export interface SiteSimulators {
  stop(): Promise<void>;
  /** the physics of every device served, by device id */
  devices: Map<string, SimulatedDevice>;
  /** inject value faults (stuck, counter reset, roll-over, meter replaced, spike) into one device */
  setValueFaults(deviceId: string, faults: ValueFault[]): void;
  /** protocol fault (offline, slow, exception reply) of one device; null clears */
  setProtocolFault(deviceId: string, fault: ModbusFault): void;
}

/** Start the simulators of a site model: every enabled device on loopback (or only those listed). */
export async function startSiteSimulators(opts: { site: SiteModel; seed?: number; only?: string[]; now?: () => number; mqttUrl?: string; mqttOptions?: FleetContext['mqttOptions'] }): Promise<SiteSimulators> {
  const { site } = opts;
  const seed = opts.seed ?? siteSeed(site);
  const physics = buildSitePhysics(site, seed);
  const only = opts.only ? new Set(opts.only) : undefined;
  if (only) for (const id of only) if (!site.devices.some((d) => d.id === id)) throw new ConfigError('(simulators)', 'only', `unknown device '${id}'`);
  // A device marked `simulated: false` is a real one, even on loopback: never start a simulator in its place.
  const wanted = site.devices.filter((d) => d.enabled !== false && d.simulated !== false && (!only || only.has(d.id)) && ('host' in d.address ? isLoopback(d.address.host) : d.address.protocol === 'mqtt'));
  const byProtocol = new Map<Device['address']['protocol'], Device[]>();
  for (const d of wanted) byProtocol.set(d.address.protocol, [...(byProtocol.get(d.address.protocol) ?? []), d]);

  // Warm the counters up before listening: the first read of a counter walks every day since the counter
  // origin once, and a first Modbus poll must not time out on it.
  const warmStart = Date.now();
  const t = (opts.now ?? Date.now)();
  for (const d of wanted) physics.get(d.id)?.read(t);
  log.debug({ ms: Date.now() - warmStart }, 'physics warmed up');

  const parts: FleetPart[] = [];
  try {
    for (const [protocol, devices] of byProtocol) {
      const starter = fleetStarters[protocol];
      if (!starter) {
        log.warn({ protocol, devices: devices.map((d) => d.id) }, 'no simulator for this protocol yet; devices not simulated');
        continue;
      }
      parts.push(await starter({ site, devices, physics, seed, now: opts.now, mqttUrl: opts.mqttUrl, mqttOptions: opts.mqttOptions }));
    }
  } catch (err) {
    await Promise.all(parts.map((p) => p.stop()));
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      const where = /(\d+\.\d+\.\d+\.\d+:\d+)/.exec((err as Error).message)?.[1] ?? 'a configured address';
      throw new StartupError(`simulators cannot listen on ${where} (${code === 'EADDRINUSE' ? 'address in use' : 'permission denied'}): stop the demo or other simulators using it, or change the device addresses in the site model`, { cause: err });
    }
    throw err;
  }
  log.info({ devices: wanted.length, servers: parts.length }, 'site simulators started');
  const served = new Map<string, SimulatedDevice>(wanted.filter((d) => physics.has(d.id)).map((d) => [d.id, physics.get(d.id)!]));
  return {
    devices: served,
    stop: async () => { await Promise.all(parts.map((p) => p.stop())); },
    setValueFaults: (id, faults) => {
      const d = physics.get(id);
      if (!d) throw new Error(`no simulated device '${id}'`);
      d.faults = faults;
    },
    setProtocolFault: (id, fault) => {
      if (!parts.some((p) => p.setFault?.(id, fault))) throw new Error(`no simulated device '${id}' with protocol faults`);
    },
  };
}

/** The SunSpec models a simulated device lays out, by its template and physics. */
function sunspecModelsFor(device: Device, template: Template, physics: SimulatedDevice): ModelSource[] {
  if (device.kind === 'inverter') {
    const pv = physics as SimulatedDevice & { inner?: SimulatedDevice };
    const inv = (pv.inner ?? pv) as Partial<PvInverter>;
    return inverterModels({ ratedKw: inv.acRatingKw ?? 30, peakKwp: inv.peakPowerKwp ?? 35, mpptCount: inv.mpptCount ?? 2 });
  }
  if (device.kind === 'sensor') return metStationModels();
  throw new ConfigError(`device ${device.id}`, 'template', `no SunSpec simulator for a ${device.kind} (template '${template.id}')`);
}

/** Modbus TCP devices: one server per host:port, several unit ids; Modbus or SunSpec templates (not mixed on one port). */
async function startModbusTcpFleet(ctx: FleetContext): Promise<FleetPart> {
  const groups = new Map<string, Device[]>();
  for (const d of ctx.devices) {
    if (d.address.protocol !== 'modbus-tcp') continue;
    const key = `${d.address.host}:${d.address.port ?? 502}`;
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  const servers: { stop(): Promise<void>; setFault(unit: number, f: ModbusFault): void; units: Map<string, number> }[] = [];
  try {
    for (const [key, devices] of groups) {
      const templates = devices.map((d) => loadTemplate(d.template));
      const protocols = new Set(templates.map((t) => t.protocol));
      if (protocols.size > 1) {
        throw new ConfigError(`device ${devices[0].id}`, 'address', `${key} mixes ${[...protocols].join(' and ')} templates; the simulators serve one kind per port`);
      }
      const [host, port] = [key.slice(0, key.lastIndexOf(':')), Number(key.slice(key.lastIndexOf(':') + 1))];
      const unitOf = new Map(devices.map((d) => [d.id, d.address.protocol === 'modbus-tcp' ? d.address.unit_id ?? 1 : 1]));
      const usable = devices.filter((d) => ctx.physics.has(d.id));
      if (templates[0].protocol === 'sunspec') {
        const units = new Map<number, SunspecUnit>(usable.map((d) => {
          const unit = unitOf.get(d.id)!;
          const device = ctx.physics.get(d.id)!;
          const identity = { manufacturer: 'Jieneng', model: `SIM-${d.kind.toUpperCase()}`, version: '1.0', serial: d.id.slice(0, 32), deviceAddress: unit };
          return [unit, { device, image: new SunspecImage(40000, identity, sunspecModelsFor(d, loadTemplate(d.template), device)) }];
        }));
        const sim = await startSunspecSimulator({ host, port, units, now: ctx.now });
        servers.push({ ...sim, units: unitOf });
      } else {
        const units = new Map<number, SimUnit>(usable.map((d) => [unitOf.get(d.id)!, {
          template: loadTemplate(d.template), device: ctx.physics.get(d.id)!, ctRatio: d.ct_ratio, ptRatio: d.pt_ratio,
        }]));
        const sim = await startModbusSimulator({ host, port, units, now: ctx.now });
        servers.push({ ...sim, units: unitOf });
      }
      log.debug({ endpoint: key, units: devices.length, protocol: templates[0].protocol }, 'simulator listening');
    }
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    throw err;
  }
  return {
    stop: async () => { await Promise.all(servers.map((s) => s.stop())); },
    setFault: (id, fault) => {
      const s = servers.find((x) => x.units.has(id));
      if (!s) return false;
      s.setFault(s.units.get(id)!, fault);
      return true;
    },
  };
}
