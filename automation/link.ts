/**
 * Automation's MQTT link (account `automation`, core/mqtt/access.ts): write commands out on each gateway's
 * command topic, the gateways' answers back on `…/command/result` matched by id, and the readings of the site in,
 * for the values the programmes need (meter power, outdoor temperature, the commanded points themselves).
 */
import { randomUUID } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { topics, type DeviceReading, type ReadingBatch, type WriteCommand, type WriteResult } from '../core/contract/v1.ts';
import type { Logger } from '../core/log.ts';
import { redactUrl } from '../core/secrets.ts';

/** What the link needs. */
export interface LinkOptions {
  site: string;
  mqttUrl: string;
  mqttOptions?: IClientOptions;
  log: Logger;
  /** each reading of the site, as it arrives */
  onReading(reading: DeviceReading): void;
}

/** The connected link. */
export class CommandLink {
  private readonly pending = new Map<string, (r: WriteResult) => void>();

  private constructor(private readonly client: MqttClient, private readonly o: LinkOptions) {}

  /** Connect and subscribe; rejects when the broker refuses or cannot be reached. */
  static async connect(o: LinkOptions): Promise<CommandLink> {
    const client = await mqtt.connectAsync(o.mqttUrl, { clientId: `jieneng-automation-${o.site}-${randomUUID().slice(0, 8)}`.slice(0, 64), reconnectPeriod: 1000, connectTimeout: 5000, ...o.mqttOptions });
    const link = new CommandLink(client, o);
    client.on('message', (topic, payload) => link.message(topic, payload));
    client.on('error', (err) => o.log.warn({ err: err.message, url: redactUrl(o.mqttUrl) }, 'broker error'));
    const subscribe = () => client.subscribeAsync([topics.allReadings(o.site), topics.allCommandResults(o.site)], { qos: 1 });
    client.on('connect', () => { void subscribe().catch(() => undefined); });
    const granted = await subscribe();
    if (granted.some((g) => g.qos === 128)) throw new Error(`the broker refused automation's subscriptions (account '${String(o.mqttOptions?.username ?? '')}')`);
    o.log.info({ url: redactUrl(o.mqttUrl) }, 'automation connected');
    return link;
  }

  private message(topic: string, payload: Buffer): void {
    let msg: unknown;
    try { msg = JSON.parse(payload.toString()); } catch { return; }
    if (topic.endsWith('/command/result')) {
      const r = msg as WriteResult;
      if (r?.type !== 'write' || typeof r.id !== 'string') return;
      const done = this.pending.get(r.id);
      this.pending.delete(r.id);
      done?.(r);
      return;
    }
    const batch = msg as ReadingBatch;
    if (Array.isArray(batch?.readings)) for (const r of batch.readings) this.o.onReading(r);
  }

  /** Send a write to a gateway and wait for its answer; `timeout` when none comes within `timeoutMs`. */
  async write(gateway: string, cmd: Omit<WriteCommand, 'v' | 'type' | 'id'>, timeoutMs: number): Promise<WriteResult | 'timeout'> {
    const id = `automation-${randomUUID()}`;
    const answer = new Promise<WriteResult | 'timeout'>((resolve) => {
      const timer = setTimeout(() => { this.pending.delete(id); resolve('timeout'); }, timeoutMs);
      this.pending.set(id, (r) => { clearTimeout(timer); resolve(r); });
    });
    const command: WriteCommand = { v: 1, type: 'write', id, ...cmd };
    try {
      await this.client.publishAsync(topics.commandWrite(this.o.site, gateway), JSON.stringify(command), { qos: 1 });
    } catch (err) {
      this.pending.delete(id);
      return { v: 1, type: 'write', id, device: cmd.device, point: cmd.point, value: cmd.value, outcome: 'failed', detail: `not sent: ${(err as Error).message}`, ts: Date.now() };
    }
    return answer;
  }

  async stop(): Promise<void> {
    this.pending.clear();
    await this.client.endAsync(true);
  }
}
