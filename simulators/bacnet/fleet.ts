/**
 * The demo fleet's BACnet/IP part: one simulated controller per `bacnet-ip` device on loopback, its objects
 * from the device's template and its values from the template's HVAC physics, sized by the building's floor
 * area and sharing the site's weather seed. The returned part carries the models by device id, so the fleet
 * can read each plant's `electricalPowerKw(t)` for the building's HVAC sub-meter.
 */
import type { FleetContext, FleetPart } from '../fleet.ts';
import { bacnetSimulatorsForSite, startBacnetSimulators } from './index.ts';
import { createHvacModel, type HvacModel } from '../physics/hvac.ts';
import { loadBacnetTemplate } from '../../gateway/protocols/bacnet/template.ts';

/** FleetStarter for `bacnet-ip`. */
export async function startBacnetFleet(ctx: FleetContext): Promise<FleetPart & { models: Map<string, HvacModel> }> {
  const models = new Map<string, HvacModel>();
  const ids = new Set(ctx.devices.map((d) => d.id));
  const wanted = ctx.site.devices.filter((d) => ids.has(d.id));
  const specs = bacnetSimulatorsForSite({ ...ctx.site, devices: wanted }, ctx.seed).map((spec) => {
    const template = loadBacnetTemplate(typeof spec.template === 'string' ? spec.template : spec.template.id);
    const id = spec.deviceId ?? spec.name;
    const model = createHvacModel(template.physics ?? '', { id, ...spec.physics });
    models.set(id, model);
    return { ...spec, model };
  });
  const sims = await startBacnetSimulators(specs);
  return { stop: () => sims.stop(), models };
}
