/**
 * BACnet/IP simulators for the demo fleet and the tests: one simulated controller per configured device,
 * its objects taken from the device's template and its values from the template's HVAC physics model.
 */
import type { SiteModel } from '../../core/site/schema.ts';
import { loadTemplateOf } from '../../gateway/devices/templates.ts';
import { resolvePoints, type BacnetTemplate } from '../../gateway/protocols/bacnet/template.ts';
import { createHvacModel, type HvacModel, type HvacOptions } from '../physics/hvac.ts';
import { logger } from '../../core/log.ts';
import { isLoopback } from '../fleet-part.ts';
import { BacnetDeviceSimulator, type SimObjectSpec } from './server.ts';

export { BacnetDeviceSimulator } from './server.ts';

const log = logger('sim-bacnet');


/** One simulated controller. */
export interface BacnetSimSpec {
  /** the site device it stands for, when built from a site model */
  deviceId?: string;
  /** template id (file in core/devices/templates) or the template itself */
  template: string | BacnetTemplate;
  deviceInstance: number;
  name: string;
  port: number;
  /** bind address; 127.0.0.1 (default) answers unicast only, 0.0.0.0 also hears Who-Is broadcasts */
  interface?: string;
  /** physics options: served floor area, weather seed … (id defaults to the name) */
  physics?: Partial<HvacOptions>;
  /** a ready model instead of the template's physics (tests) */
  model?: HvacModel;
  maxApdu?: number;
  rpm?: boolean;
  cov?: boolean;
  /** where its start-up I-Am goes (`ip:port`); without it the simulator announces nothing */
  announceTo?: string;
  /** Database_Revision of its Device object (default 1) */
  databaseRevision?: number;
}

/** Simulated objects of a template: object id, the point feeding it, name, units, COV increment, writability. */
export function simulatorObjects(t: BacnetTemplate): SimObjectSpec[] {
  return resolvePoints(t).map((p) => ({
    objectId: p.objectId,
    point: p.point,
    name: p.object_name ?? p.point,
    description: p.label,
    units: p.unitsId,
    covIncrement: p.cov_increment,
    writable: p.writable ?? false,
    numberOfStates: p.number_of_states,
  }));
}

/** A running set of simulators. */
export interface BacnetSimulators {
  devices: BacnetDeviceSimulator[];
  /** the simulator by device instance */
  byInstance(instance: number): BacnetDeviceSimulator | undefined;
  stop(): Promise<void>;
}

/** Start one simulator per spec (all or none: a failure stops those already started). */
export async function startBacnetSimulators(specs: BacnetSimSpec[], opts: { covCheckMs?: number } = {}): Promise<BacnetSimulators> {
  const devices: BacnetDeviceSimulator[] = [];
  try {
    for (const spec of specs) {
      const template = typeof spec.template === 'string' ? loadTemplateOf('bacnet', spec.template) : spec.template;
      if (!spec.model && !template.physics) throw new Error(`template ${template.id} names no physics model for its simulator`);
      const model = spec.model ?? createHvacModel(template.physics as string, { id: spec.name, ...spec.physics });
      devices.push(await BacnetDeviceSimulator.start({
        deviceInstance: spec.deviceInstance,
        name: spec.name,
        objects: simulatorObjects(template),
        model,
        interface: spec.interface ?? '127.0.0.1',
        port: spec.port,
        vendorName: template.manufacturer,
        modelName: template.model,
        maxApdu: spec.maxApdu,
        rpm: spec.rpm,
        cov: spec.cov,
        covCheckMs: opts.covCheckMs,
        announce: spec.announceTo !== undefined,
        broadcastAddress: spec.announceTo,
        databaseRevision: spec.databaseRevision,
      }));
    }
  } catch (err) {
    await Promise.all(devices.map((d) => d.stop()));
    throw err;
  }
  return {
    devices,
    byInstance: (instance) => devices.find((d) => d.options.deviceInstance === instance),
    stop: async () => { await Promise.all(devices.map((d) => d.stop())); },
  };
}

/**
 * Simulator specs for every BACnet/IP device of a site model that points at this host (127.x), is not marked
 * `simulated: false` and whose template has a physics model: the demo fleet starts these. The served area is the device's building floor area; the weather seed is shared.
 */
export function bacnetSimulatorsForSite(site: SiteModel, weatherSeed?: number): BacnetSimSpec[] {
  const specs: BacnetSimSpec[] = [];
  for (const d of site.devices) {
    if (d.enabled === false || d.simulated === false || d.address.protocol !== 'bacnet-ip' || !isLoopback(d.address.host)) continue;
    // A template without physics describes a real controller (an integrator's model): nothing to simulate.
    if (!loadTemplateOf('bacnet', d.template, undefined, `device ${d.id}`).physics) {
      log.warn({ device: d.id, template: d.template }, 'BACnet device on loopback whose template has no physics model: taken for a real device, not simulated');
      continue;
    }
    const building = site.buildings.find((b) => b.id === d.building);
    specs.push({
      deviceId: d.id,
      template: d.template,
      deviceInstance: d.address.device_instance,
      name: d.name,
      port: d.address.port,
      interface: d.address.host,
      physics: { servedAreaM2: building?.floor_area_m2, ...(weatherSeed === undefined ? {} : { weatherSeed }) },
    });
  }
  return specs;
}
