/**
 * The MQTT-native device source: subscribes to the topic a controller already publishes JSON on, and maps
 * fields to canonical points by its template (path, unit, scale, value map). Malformed payloads are counted
 * and logged once in a while, never a crash; a device that stops publishing for `stale_s` is reported offline.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { PointValue } from '../../../core/contract/v1.ts';
import { redactUrl, registerSecret } from '../../../core/secrets.ts';
import { WriteRefusedError, type DeviceSource, type SourceContext, type SourceFactory } from '../../source.ts';
import { valueAt } from './path.ts';
import { compilePoints, parsePathCached, type CompiledPoint, type MqttTemplate } from './template.ts';

/** Counters for tests and diagnostics. */
export interface MqttSourceStats {
  messages: number;
  malformed: number;
  readings: number;
}


/** Map one payload to point values (exported for unit tests of the mapping). */
export function mapPayload(doc: unknown, points: CompiledPoint[]): Record<string, PointValue> {
  const out: Record<string, PointValue> = {};
  for (const p of points) {
    const raw = valueAt(doc, p.steps);
    let n: number | undefined;
    if (raw === undefined || raw === null) {
      out[p.point] = { value: null, quality: 'bad', reason: `missing ${p.path}` };
      continue;
    }
    if (p.map && (typeof raw === 'string' || typeof raw === 'boolean') && Object.hasOwn(p.map, String(raw))) n = p.map[String(raw)];
    else if (typeof raw === 'number') n = raw;
    else if (typeof raw === 'boolean') n = raw ? 1 : 0;
    else if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) n = Number(raw);
    if (n === undefined || !Number.isFinite(n)) {
      out[p.point] = { value: null, quality: 'bad', reason: `${p.path} is not a number: ${JSON.stringify(raw).slice(0, 40)}` };
      continue;
    }
    const value = p.conversion.toCanonical(n * (p.scale ?? 1) + (p.offset ?? 0));
    out[p.point] = { value: Math.round(value * 1e6) / 1e6, quality: 'good' };
  }
  return out;
}

/** The source timestamp of a payload, or undefined when the template names none or it is unreadable. */
export function payloadTimestamp(doc: unknown, template: MqttTemplate): number | undefined {
  if (!template.timestamp) return undefined;
  const raw = valueAt(doc, parsePathCached(template.timestamp.path));
  switch (template.timestamp.format) {
    case 'epoch-ms': return typeof raw === 'number' && Number.isFinite(raw) ? Math.round(raw) : undefined;
    case 'epoch-s': return typeof raw === 'number' && Number.isFinite(raw) ? Math.round(raw * 1000) : undefined;
    case 'iso8601': {
      const ms = typeof raw === 'string' ? Date.parse(raw) : NaN;
      return Number.isFinite(ms) ? ms : undefined;
    }
  }
}

/** One MQTT-native controller. */
export class MqttNativeSource implements DeviceSource {
  readonly deviceId: string;
  private client?: MqttClient;
  private readonly points: CompiledPoint[];
  private readonly counters: MqttSourceStats = { messages: 0, malformed: 0, readings: 0 };
  private lastMessageMs = 0;
  private online: boolean | undefined;
  private staleTimer?: NodeJS.Timeout;
  private lastMalformedLogMs = 0;
  /** writes waiting for a message that shows their value */
  private readonly confirming = new Set<(points: Record<string, PointValue>) => void>();

  constructor(private readonly ctx: SourceContext, readonly template: MqttTemplate) {
    if (ctx.device.address.protocol !== 'mqtt') {
      throw new Error(`device ${ctx.device.id}: template ${template.id} is MQTT-native but the address is ${ctx.device.address.protocol}`);
    }
    this.deviceId = ctx.device.id;
    this.points = compilePoints(template);
  }

  async start(): Promise<void> {
    const a = this.ctx.device.address;
    if (a.protocol !== 'mqtt') return;
    const brokerUrl = a.broker_url ?? this.ctx.mqttUrl;
    registerSecret(a.password);
    // the gateway's own broker: its credentials and TLS material unless the address names others; a controller's
    // broker: the address's credentials
    const own = a.username !== undefined ? { username: a.username, password: a.password } : {};
    const auth = a.broker_url ? own : { ...this.ctx.mqttOptions, ...own };
    const client = mqtt.connect(brokerUrl, {
      clientId: `jieneng-${this.ctx.device.gateway}-${this.deviceId}`.slice(0, 64),
      ...auth,
      reconnectPeriod: 2000,
      connectTimeout: 5000,
    });
    this.client = client;
    client.on('message', (_topic, payload) => this.onMessage(payload));
    client.on('connect', () => {
      client.subscribe(a.topic, { qos: 1 }, (err) => {
        if (err) this.setOnline(false, `cannot subscribe to ${a.topic}: ${err.message}`);
      });
    });
    client.on('offline', () => this.setOnline(false, `broker ${redactUrl(brokerUrl)} unreachable`));
    client.on('error', (err) => this.ctx.log.warn({ device: this.deviceId, err: err.message }, 'MQTT-native source: client error'));
    const staleMs = (this.template.stale_s ?? 180) * 1000;
    this.staleTimer = setInterval(() => {
      if (this.online && Date.now() - this.lastMessageMs > staleMs) this.setOnline(false, `no message on ${a.topic} for ${this.template.stale_s ?? 180} s`);
    }, Math.max(1000, Math.min(staleMs / 2, 5000)));
  }

  async stop(): Promise<void> {
    clearInterval(this.staleTimer);
    const client = this.client;
    if (client) await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  }

  /** Counters for tests and diagnostics. */
  stats(): MqttSourceStats {
    return { ...this.counters };
  }

  private onMessage(payload: Buffer): void {
    this.counters.messages++;
    let doc: unknown;
    try {
      doc = JSON.parse(payload.toString('utf8'));
    } catch {
      this.malformed('payload is not JSON');
      return;
    }
    if (doc === null || typeof doc !== 'object') {
      this.malformed('payload is not a JSON object or array');
      return;
    }
    const points = mapPayload(doc, this.points);
    for (const check of this.confirming) check(points);
    const ts = payloadTimestamp(doc, this.template) ?? Date.now();
    this.lastMessageMs = Date.now();
    this.counters.readings++;
    this.ctx.emit({ device: this.deviceId, ts, points });
    this.setOnline(true);
  }

  /**
   * Command a writable point: `{ <set>: value }` (in the device's unit and scale, or the text of its value map) on
   * the device topic + `/set`, QoS 1. The controller's answer is its own report: the write is confirmed by the
   * first message that shows the value, and fails when none does within `command_timeout_s`.
   */
  async write(pointName: string, value: number | null): Promise<void> {
    const p = this.points.find((x) => x.point === pointName);
    const fail = (why: string) => new WriteRefusedError(`device ${this.deviceId}: ${why}`);
    if (!p) throw fail(`no point '${pointName}'`);
    if (!p.writable || p.set === undefined) throw fail(`point '${pointName}' is not configured writable`);
    if (value === null) throw fail(`${pointName}: an MQTT-native controller has no command priorities; write a value instead of relinquishing`);
    if (!Number.isFinite(value)) throw fail(`${pointName}: not a number`);
    if (p.min !== undefined && value < p.min) throw fail(`${pointName}: ${value} is below the minimum ${p.min}`);
    if (p.max !== undefined && value > p.max) throw fail(`${pointName}: ${value} is above the maximum ${p.max}`);
    const client = this.client;
    if (!client?.connected) throw new Error(`device ${this.deviceId}: broker not connected`);
    const text = p.map ? Object.entries(p.map).find(([, n]) => n === value)?.[0] : undefined;
    if (p.map && text === undefined) throw fail(`${pointName}: ${value} is none of ${Object.values(p.map).join(', ')}`);
    const deviceValue = text ?? Math.round(((p.conversion.toDevice(value) - (p.offset ?? 0)) / (p.scale ?? 1)) * 1e6) / 1e6;
    const topic = `${(this.ctx.device.address as { topic: string }).topic}/set`;
    const timeoutMs = (this.template.command_timeout_s ?? 15) * 1000;
    let check: ((points: Record<string, PointValue>) => void) | undefined;
    const confirmed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { this.confirming.delete(check!); reject(new Error(`device ${this.deviceId}: no message showed ${pointName} = ${value} within ${timeoutMs / 1000} s`)); }, timeoutMs);
      check = (points) => {
        const seen = points[pointName]?.value;
        if (typeof seen === 'number' && Math.abs(seen - value) <= 1e-6 * Math.max(1, Math.abs(value))) {
          clearTimeout(timer);
          this.confirming.delete(check!);
          resolve();
        }
      };
      this.confirming.add(check);
    });
    try {
      await client.publishAsync(topic, JSON.stringify({ [p.set]: deviceValue }), { qos: 1 });
    } catch (err) {
      this.confirming.delete(check!);
      throw new Error(`device ${this.deviceId}: command not sent: ${(err as Error).message}`);
    }
    await confirmed;
  }

  private malformed(why: string): void {
    this.counters.malformed++;
    // Count every one, log at most once a minute: a chatty broken controller must not flood the log.
    if (Date.now() - this.lastMalformedLogMs > 60_000) {
      this.lastMalformedLogMs = Date.now();
      this.ctx.log.warn({ device: this.deviceId, malformed: this.counters.malformed }, `MQTT-native payload dropped: ${why}`);
    }
  }

  private setOnline(online: boolean, error?: string): void {
    if (online === this.online) return;
    this.online = online;
    this.ctx.setOnline(online, error);
  }
}

/** The source of a device with an MQTT-native template (gateway/protocols/index.ts). */
export const mqttSourceFactory: SourceFactory<MqttTemplate> = (ctx, template) => new MqttNativeSource(ctx, template);
