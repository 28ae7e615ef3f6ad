/**
 * The history of the gateways' own word on themselves and their devices (decision 0409): the collector follows the
 * retained status topics of the gateways it receives every batch of, and stores each state TRANSITION — not each
 * heartbeat — as a row, so Grafana (which reads only storage) can show states, their changes and when they
 * happened. What is live stays on MQTT (decision 0405: the API asks the broker, not these rows).
 *
 *  device_status   tags site, gateway, building, device; fields state_code (2 online, 1 degraded, 0 offline),
 *                  state, label (Chinese), reason — at the status's own `ts` (when the gateway saw the change), so
 *                  the same retained message delivered again after a restart writes the same row again
 *  gateway_status  tags site, gateway; fields state_code (2 online, 0 offline), state, label, reason — online at
 *                  the status's `ts`; offline when received (a last will carries the gateway's connect time)
 *
 * A status that is not JSON, breaks contract v1, or names a gateway or device the site does not have is returned
 * as a rejection for the caller to dead-letter, like a readings message; an empty payload (a cleared retained
 * topic) is nothing.
 */
import { Value } from '@sinclair/typebox/value';
import { DeviceStatus, GatewayStatus, parseStatusTopic, TOPIC_ROOT, topics, type DeviceState } from '../core/contract/v1.ts';
import type { Logger } from '../core/log.ts';
import { MEASUREMENT } from '../core/measurements.ts';
import type { SiteModel } from '../core/site/schema.ts';
import type { Storage, StoredPoint } from '../storage/port.ts';
import type { Rejection } from './validate.ts';

/** The numbers and Chinese labels of the states, as the boards map them. */
export const STATE_CODE: Record<DeviceState, number> = { online: 2, degraded: 1, offline: 0 };
export const STATE_LABEL: Record<DeviceState, string> = { online: '在线', degraded: '降级', offline: '离线' };

/** Options of a status history. */
export interface StatusHistoryOptions {
  site: SiteModel;
  /** the gateways whose statuses this collector stores (all alone; the owned ones with a share group) */
  gateways: string[];
  storage: Storage;
  log: Logger;
  now?: () => number;
}

/** Follows status topics and writes the transitions. */
export class StatusHistory {
  private readonly owned: Set<string>;
  private readonly buildingOf: Map<string, { gateway: string; building: string }>;
  /** the last state written per gateway (`<gw>`) and device (`<gw>/<device>`); a failed write forgets it */
  private readonly last = new Map<string, string>();
  /** the `ts` of each gateway's latest online status: a will is older than it */
  private readonly onlineTs = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly o: StatusHistoryOptions) {
    this.owned = new Set(o.gateways);
    this.buildingOf = new Map(o.site.devices.map((d) => [d.id, { gateway: d.gateway, building: d.building }]));
    this.now = o.now ?? Date.now;
  }

  /** The subscription filters: each owned gateway's status and its devices'. */
  filters(): string[] {
    const site = this.o.site.site.id;
    return [...this.owned].flatMap((g) => [topics.gatewayStatus(site, g), `${TOPIC_ROOT}/${site}/${g}/devices/+/status`]);
  }

  /** Is this a status topic of an owned gateway? */
  accepts(topic: string): boolean {
    const where = parseStatusTopic(topic);
    return where !== undefined && where.site === this.o.site.site.id && this.owned.has(where.gateway);
  }

  /** One status message: its transition written (in the background), or why it is rejected. */
  onMessage(topic: string, payload: Buffer): Rejection[] {
    const where = parseStatusTopic(topic);
    if (!where || payload.length === 0) return [];
    let msg: unknown;
    try {
      msg = JSON.parse(payload.toString('utf8'));
    } catch {
      return [{ reason: 'not_json', detail: `status: ${payload.subarray(0, 60).toString('utf8')}` }];
    }
    const site = this.o.site.site.id;
    if (where.device === undefined) {
      if (!Value.Check(GatewayStatus, msg)) return [{ reason: 'schema', detail: `gateway status: ${firstError(GatewayStatus, msg)}` }];
      return this.gateway(site, where.gateway, msg);
    }
    if (!Value.Check(DeviceStatus, msg)) return [{ reason: 'schema', detail: `device status: ${firstError(DeviceStatus, msg)}`, device: where.device }];
    const dev = this.buildingOf.get(where.device);
    if (!dev) return [{ reason: 'unknown_device', detail: `status of a device the site does not have`, device: where.device }];
    if (dev.gateway !== where.gateway) return [{ reason: 'wrong_gateway', detail: `the site puts it behind ${dev.gateway}`, device: where.device }];
    const state: DeviceState = msg.state ?? (msg.online ? 'online' : 'offline');
    const key = `${where.gateway}/${where.device}`;
    const text = `${state}|${msg.error ?? ''}|${msg.ts}`;
    if (this.last.get(key) === text) return [];
    this.write(key, text, {
      measurement: MEASUREMENT.deviceStatus, tags: { site, gateway: where.gateway, building: dev.building, device: where.device },
      fields: { state_code: STATE_CODE[state], state, label: STATE_LABEL[state], reason: msg.error ?? '' },
      time: Math.min(msg.ts, this.now()),
    });
    return [];
  }

  private gateway(site: string, gateway: string, msg: GatewayStatus): Rejection[] {
    if (!this.o.site.gateways.some((g) => g.id === gateway)) return [{ reason: 'unknown_gateway', detail: `status of a gateway the site does not have: ${gateway}` }];
    const state: DeviceState = msg.online ? 'online' : 'offline';
    if (msg.online) this.onlineTs.set(gateway, Math.max(msg.ts, this.onlineTs.get(gateway) ?? 0));
    if (this.last.get(gateway) === state) return []; // a heartbeat
    // the will was built at connect time, so it is older than the gateway's latest online status; a stop is not
    const seen = this.onlineTs.get(gateway);
    const reason = msg.online || seen === undefined ? '' : msg.ts < seen ? 'last_will' : 'stopped';
    this.write(gateway, state, {
      measurement: MEASUREMENT.gatewayStatus, tags: { site, gateway },
      fields: { state_code: STATE_CODE[state], state, label: STATE_LABEL[state], reason },
      time: msg.online ? Math.min(msg.ts, this.now()) : this.now(),
    });
    return [];
  }

  private write(key: string, text: string, row: StoredPoint): void {
    this.last.set(key, text);
    this.o.storage.write([row]).catch((err: unknown) => {
      // the next status of this key (a heartbeat, the retained one after a reconnect) writes it again
      if (this.last.get(key) === text) this.last.delete(key);
      this.o.log.warn({ err: String(err), key }, 'could not store a status transition');
    });
  }
}

function firstError(schema: typeof GatewayStatus | typeof DeviceStatus, value: unknown): string {
  const e = Value.Errors(schema, value).First();
  return e ? `${e.path || '(top level)'}: ${e.message}` : 'invalid';
}
