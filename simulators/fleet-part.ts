/**
 * What the fleet of a site model hands each protocol's simulators, and what they hand back: the contract between
 * simulators/fleet.ts and the starters of simulators/{bacnet,mqtt}/fleet.ts, apart so that neither imports the other.
 */
import type { IClientOptions } from 'mqtt';
import type { Device, SiteModel } from '../core/site/schema.ts';
import type { SimulatedDevice } from './device.ts';
import type { ModbusFault } from './modbus/server.ts';

/** What a protocol starter gets: the devices of its protocol to serve and the site's physics. */
export interface FleetContext {
  site: SiteModel;
  devices: Device[];
  physics: Map<string, SimulatedDevice>;
  seed: number;
  now?: () => number;
  /** the site's broker, for simulated MQTT-native controllers that name none */
  mqttUrl?: string;
  /** a simulated controller's credentials on the site's broker (its account `device-<id>`, issue 13) */
  mqttOptions?: (deviceId: string) => IClientOptions | undefined;
}

/** A started group of simulators. */
export interface FleetPart {
  stop(): Promise<void>;
  /** protocol fault of one device (offline, slow, exception …), where the protocol supports it */
  setFault?(deviceId: string, fault: ModbusFault): boolean;
}

/** Starts the simulators of one address protocol. */
export type FleetStarter = (ctx: FleetContext) => Promise<FleetPart>;

/** True for an address this machine can serve: loopback only, never another host's. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
