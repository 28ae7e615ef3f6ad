/**
 * The demo fleet's BACnet/IP part: one simulated controller per `bacnet-ip` device on loopback, its objects
 * from the device's template and its values from the template's HVAC physics, sized by the building's floor
 * area and sharing the site's weather seed. The models are those of `hvacModelsForSite`, so the building's HVAC
 * sub-meter can add the same plants' `electricalPowerKw(t)`; the returned part also carries them by device id.
 */
import type { FleetContext, FleetPart } from '../fleet-part.ts';
import { bacnetSimulatorsForSite, startBacnetSimulators } from './index.ts';
import type { HvacModel } from '../physics/hvac.ts';
import { hvacModelsForSite } from '../physics/hvac-site.ts';

/** FleetStarter for `bacnet-ip`. */
export async function startBacnetFleet(ctx: FleetContext): Promise<FleetPart & { models: Map<string, HvacModel> }> {
  const models = new Map<string, HvacModel>();
  const ids = new Set(ctx.devices.map((d) => d.id));
  const wanted = ctx.site.devices.filter((d) => ids.has(d.id));
  // The same model instances the building's HVAC sub-meter may add to its load (simulators/physics/hvac-site.ts).
  const siteModels = hvacModelsForSite(ctx.site, ctx.seed);
  const specs = bacnetSimulatorsForSite({ ...ctx.site, devices: wanted }, ctx.seed).map((spec) => {
    const id = spec.deviceId ?? spec.name;
    const model = siteModels.get(id);
    if (model) models.set(id, model);
    return { ...spec, model };
  });
  const sims = await startBacnetSimulators(specs);
  return { stop: () => sims.stop(), models };
}
