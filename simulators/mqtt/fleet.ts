/**
 * The demo fleet's MQTT-native part: one simulated VRF unit per `mqtt` device whose template is the VRF one,
 * publishing vendor JSON to the device's broker (the site broker when the address names none).
 */
import type { FleetContext, FleetPart } from '../fleet-part.ts';
import { VrfOutdoorUnit, type HvacModel } from '../physics/hvac.ts';
import { hvacModelsForSite } from '../physics/hvac-site.ts';
import { startMqttVrfSimulator, type MqttVrfSimulator } from './vrf.ts';

/** Templates this simulator speaks. */
const VRF_TEMPLATES = new Set(['hvac-vrf-mqtt']);

/** FleetStarter for `mqtt`. */
export async function startMqttFleet(ctx: FleetContext): Promise<FleetPart & { models: Map<string, HvacModel> }> {
  const sims: MqttVrfSimulator[] = [];
  const models = new Map<string, HvacModel>();
  for (const d of ctx.devices) {
    if (d.address.protocol !== 'mqtt' || !VRF_TEMPLATES.has(d.template)) continue;
    const shared = hvacModelsForSite(ctx.site, ctx.seed).get(d.id);
    const sim = await startMqttVrfSimulator({
      brokerUrl: d.address.broker_url ?? ctx.mqttUrl ?? 'mqtt://127.0.0.1:1883',
      topic: d.address.topic,
      mqttOptions: d.address.broker_url ? undefined : ctx.mqttOptions?.(d.id),
      serial: d.id,
      intervalMs: 5_000, // vendor units publish every 5–60 s
      model: shared instanceof VrfOutdoorUnit ? shared : undefined,
      physics: { weatherSeed: ctx.seed },
      now: ctx.now,
    });
    models.set(d.id, sim.model);
    sims.push(sim);
  }
  return { stop: async () => { await Promise.all(sims.map((s) => s.stop())); }, models };
}
