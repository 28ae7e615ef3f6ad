/**
 * The HVAC plant models of a site, one per HVAC device (BACnet/IP template with a `physics` model, or the
 * MQTT-native VRF template), shared by everyone who needs them: the protocol simulators serve their points and
 * the building's HVAC sub-meter (01B00) can add their `electricalPowerKw(t)` to its load, so the kWh of the
 * sub-meter and the kW the plants report agree. One set per (site, seed): the same instances for both.
 */
import type { SiteModel } from '../../core/site/schema.ts';
import { loadTemplateOf } from '../../gateway/devices/templates.ts';
import { createHvacModel, VrfOutdoorUnit, type HvacModel } from './hvac.ts';

/** MQTT-native templates and the physics behind them. */
const MQTT_PHYSICS: Record<string, string> = { 'hvac-vrf-mqtt': 'vrf-outdoor-unit' };

const cache = new Map<string, Map<string, HvacModel>>();

/** HVAC models by device id for every enabled HVAC device of the site that has physics. */
export function hvacModelsForSite(site: SiteModel, seed: number): Map<string, HvacModel> {
  const key = `${site.site.id}:${seed}`;
  let models = cache.get(key);
  if (models) return models;
  // Integrate from the start of the current UTC day: every holder of this map sees the same state.
  models = createHvacModels(site, seed, Math.floor(Date.now() / 86_400_000) * 86_400_000);
  cache.set(key, models);
  return models;
}

/** Fresh HVAC models integrating from `startMs` (a backfill's start), not shared. */
export function createHvacModels(site: SiteModel, seed: number, startMs: number): Map<string, HvacModel> {
  const models = new Map<string, HvacModel>();
  for (const d of site.devices) {
    if (d.enabled === false) continue;
    const building = site.buildings.find((b) => b.id === d.building);
    const opts = { id: d.id, weatherSeed: seed, servedAreaM2: building?.floor_area_m2, startMs };
    if (d.address.protocol === 'bacnet-ip') {
      const physics = loadTemplateOf('bacnet', d.template).physics;
      if (physics) models.set(d.id, createHvacModel(physics, opts));
    } else if (d.address.protocol === 'mqtt' && MQTT_PHYSICS[d.template] === 'vrf-outdoor-unit') {
      models.set(d.id, new VrfOutdoorUnit(opts));
    }
  }
  return models;
}

/** Electrical power of the HVAC plants of one building at an instant, kW (what its 01B00 sub-meter adds). */
export function buildingHvacPowerKw(site: SiteModel, seed: number, buildingId: string, nowMs: number): number {
  let kw = 0;
  for (const [id, model] of hvacModelsForSite(site, seed)) {
    if (site.devices.find((d) => d.id === id)?.building === buildingId) kw += model.electricalPowerKw(nowMs);
  }
  return kw;
}
