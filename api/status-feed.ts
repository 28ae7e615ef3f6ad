/**
 * The gateways' own word on themselves and their devices: a small MQTT client that subscribes to the retained
 * status topics of one site (contract v1: `…/<gateway>/status`, `…/<gateway>/devices/<device>/status`) and keeps
 * the latest message of each. The broker hands over every retained status on subscribe, so the feed is complete
 * right after it connects, in a separate API process as in the single-process demo (decision 0405). It never
 * blocks a start: while the broker cannot be reached, `connected()` is false and readers fall back.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { Value } from '@sinclair/typebox/value';
import { DeviceStatus, GatewayStatus, parseStatusTopic, topics } from '../core/contract/v1.ts';
import { logger } from '../core/log.ts';
import { redactUrl } from '../core/secrets.ts';

/** A status as received: the message and when this process received it (UTC epoch ms). */
export interface Received<T> {
  status: T;
  received_ms: number;
}

/** What readers of gateway and device status need; `startStatusFeed` gives one over MQTT. */
export interface StatusFeed {
  /** subscribed to the broker right now: the statuses held are current */
  connected(): boolean;
  /** the latest retained status of a gateway of the site */
  gateway(gatewayId: string): Received<GatewayStatus> | undefined;
  /** the latest retained status of a device, as its gateway published it */
  device(gatewayId: string, deviceId: string): Received<DeviceStatus> | undefined;
  stop(): Promise<void>;
}

/** Options of `startStatusFeed`. */
export interface StatusFeedOptions {
  url: string;
  site: string;
  /** credentials and the like; the broker's ACL needs to let this client read `jieneng/v1/<site>/#/status` only */
  mqttOptions?: IClientOptions;
  now?: () => number;
}

const log = logger('status-feed');

/** Connect (in the background) and keep the site's retained statuses. */
export function startStatusFeed(opts: StatusFeedOptions): StatusFeed {
  const now = opts.now ?? Date.now;
  const gateways = new Map<string, Received<GatewayStatus>>();
  const devices = new Map<string, Received<DeviceStatus>>();
  const client: MqttClient = mqtt.connect(opts.url, {
    clientId: `jieneng-api-status-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
    reconnectPeriod: 2000, connectTimeout: 5000, ...opts.mqttOptions,
  });
  let subscribed = false;
  let down = false;
  let stopping = false;
  client.on('connect', () => {
    // a clean session forgets subscriptions: subscribe on every connect; the broker sends the retained statuses again
    client.subscribe(topics.allStatus(opts.site), { qos: 1 }, (err) => {
      subscribed = !err;
      if (err) log.warn({ err: err.message, url: redactUrl(opts.url) }, 'status topics: subscription refused');
      else if (down) log.info({ url: redactUrl(opts.url) }, 'status topics: subscribed again');
      down = false;
    });
  });
  client.on('close', () => {
    if (subscribed && !down && !stopping) log.warn({ url: redactUrl(opts.url) }, 'status topics: broker connection lost; device status falls back to telemetry age');
    subscribed = false;
    down = true;
  });
  client.on('error', () => { /* reported once per outage through 'close' */ });
  client.on('message', (topic, payload) => {
    const where = parseStatusTopic(topic);
    if (!where || where.site !== opts.site) return;
    const key = where.device === undefined ? where.gateway : `${where.gateway}/${where.device}`;
    const map: Map<string, Received<GatewayStatus | DeviceStatus>> = where.device === undefined ? gateways : devices;
    // an empty retained message clears the topic (MQTT 3.1.1 §3.3.1.3)
    if (payload.length === 0) { map.delete(key); return; }
    let msg: unknown;
    try { msg = JSON.parse(payload.toString()); } catch { return; }
    const ok = where.device === undefined ? Value.Check(GatewayStatus, msg) : Value.Check(DeviceStatus, msg);
    if (!ok) return;
    map.set(key, { status: msg as GatewayStatus | DeviceStatus, received_ms: now() });
  });
  return {
    connected: () => client.connected && subscribed,
    gateway: (id) => gateways.get(id),
    device: (gw, id) => devices.get(`${gw}/${id}`),
    stop: () => {
      stopping = true; // our own close is no outage
      return client.endAsync(true);
    },
  };
}
