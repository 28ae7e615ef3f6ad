/**
 * A device source: whatever turns one configured device into readings — a Modbus poller, a BACnet
 * COV subscription with polling fallback, an MQTT-native controller mapping. The gateway runtime starts
 * one per enabled device, batches what they emit into MQTT contract messages and publishes device status.
 *
 * Sources convert to canonical point names and units at the edge (DESIGN.md boundary 3): what they emit
 * needs no further conversion downstream.
 */
import type { IClientOptions } from 'mqtt';
import type { DeviceReading } from '../core/contract/v1.ts';
import type { Logger } from '../core/log.ts';
import type { Device, SiteModel } from '../core/site/schema.ts';

export interface SourceContext {
  site: SiteModel;
  device: Device;
  log: Logger;
  /** the broker this gateway publishes to; MQTT-native devices without a broker of their own use it */
  mqttUrl: string;
  /** this gateway's credentials and TLS material for that broker */
  mqttOptions?: IClientOptions;
  /** hand a reading to the gateway (it is batched, sequenced and queued on disk before publishing) */
  emit(reading: DeviceReading): void;
  /**
   * report the device reachable or not; the gateway publishes it retained and logs changes once. `degraded`:
   * it answers but nothing usable can come (e.g. none of the template's models on a SunSpec device). A reading
   * whose every point is bad makes the device degraded without the source saying so (gateway/device-health.ts).
   */
  setOnline(online: boolean, error?: string, degraded?: boolean): void;
}

export interface DeviceSource {
  readonly deviceId: string;
  /** begin producing readings (its own schedule or subscriptions); resolves once started */
  start(): Promise<void>;
  /** stop timers and subscriptions, release connections */
  stop(): Promise<void>;
  /**
   * Write one point in its canonical unit (absent: the protocol cannot write). Throws `WriteRefusedError` when
   * nothing was sent (point not configured writable, value out of range, null where nothing can be relinquished);
   * any other error is the device's answer or its silence. `priority` is BACnet's (1–16); others ignore it.
   */
  write?(point: string, value: number | null, priority?: number): Promise<void>;
}

/** A write the gateway refused before sending anything (point not writable, value out of range, unknown point). */
export class WriteRefusedError extends Error {
  override name = 'WriteRefusedError';
}

/** Builds the source for one device from its validated template; each protocol contributes one to gateway/protocols/index.ts. */
export type SourceFactory<T> = (ctx: SourceContext, template: T) => DeviceSource;
