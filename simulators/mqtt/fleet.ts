/**
 * The demo fleet's MQTT-native part: one simulated VRF unit per `mqtt` device whose template is the VRF one,
 * publishing vendor JSON to the device's broker (the site broker when the address names none).
 */
import type { FleetContext, FleetPart } from '../fleet.ts';
import { defaultBrokerUrl } from '../../gateway/protocols/mqtt/source.ts';
import type { HvacModel } from '../physics/hvac.ts';
import { startMqttVrfSimulator, type MqttVrfSimulator } from './vrf.ts';

/** Templates this simulator speaks. */
const VRF_TEMPLATES = new Set(['hvac-vrf-mqtt']);

/** FleetStarter for `mqtt`. */
export async function startMqttFleet(ctx: FleetContext): Promise<FleetPart & { models: Map<string, HvacModel> }> {
  const sims: MqttVrfSimulator[] = [];
  const models = new Map<string, HvacModel>();
  for (const d of ctx.devices) {
    if (d.address.protocol !== 'mqtt' || !VRF_TEMPLATES.has(d.template)) continue;
    const building = ctx.site.buildings.find((b) => b.id === d.building);
    const sim = await startMqttVrfSimulator({
      brokerUrl: d.address.broker_url ?? defaultBrokerUrl(),
      topic: d.address.topic,
      serial: d.id,
      intervalMs: 5_000, // vendor units publish every 5–60 s
      physics: { weatherSeed: ctx.seed, servedAreaM2: building?.floor_area_m2 },
      now: ctx.now,
    });
    models.set(d.id, sim.model);
    sims.push(sim);
  }
  return { stop: async () => { await Promise.all(sims.map((s) => s.stop())); }, models };
}
