/**
 * The gateway's MQTT side: one client per gateway with a retained last will (offline) and birth message
 * (online) on its status topic, retained per-device status, and the drain of the disk queue: batches are sent in
 * sequence order with QoS 1, at most `maxInflight` unacknowledged, and removed from the queue only in the PUBACK
 * callback. Each batch queued while connected lets one batch through; beyond those, a backlog (replay after an
 * outage) goes at most `replayRatePerS` per second, so that the cap can never make the queue grow without end while
 * the broker keeps up (decision 0201). Outages are logged once; mqtt.js reconnects with its period and re-sends
 * its own unacknowledged packets (it keeps them in its outgoing store across reconnects). Commands on the gateway's
 * command topic (decision 0309) go to a `CommandHandler`; the batches it asks for are sent again ahead of new ones,
 * as replay: within the replay rate and the in-flight limit.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { topics, type CommandResult, type DeviceStatus, type GatewayStatus } from '../core/contract/v1.ts';
import type { Logger } from '../core/log.ts';
import { redactUrl } from '../core/secrets.ts';
import type { CommandChannel } from './commands.ts';
import type { DiskQueue } from './queue.ts';

/** Publisher settings. */
export interface PublisherOptions {
  mqttUrl: string;
  site: string;
  gateway: string;
  queue: DiskQueue;
  log: Logger;
  mqttOptions?: IClientOptions;
  /** batches per second a backlog (replay after an outage) adds at most to the batches queued meanwhile, default 50 */
  replayRatePerS?: number;
  /** unacknowledged batches at most, default 10 */
  maxInflight?: number;
  /** answers a message of the command or write topic (`channel`); its result is published on `…/command/result` */
  onCommand?: (payload: Buffer, channel: CommandChannel) => CommandResult | Promise<CommandResult>;
  /** the retained online status (with queue depth and next seq) is refreshed this often, default 60 s */
  statusEveryMs?: number;
}

/** Publisher counters. */
export interface PublisherStats {
  connected: boolean;
  published: number;
  /** batches sent and not yet acknowledged, resends included */
  inflight: number;
}

/** Keeps the queue flowing to the broker and the status topics current. */
export class Publisher {
  private client: MqttClient;
  private connected = false;
  private everConnected = false;
  private outageLogged = false;
  private inflight = new Map<number, number>();
  private lastSent = -1;
  private published = 0;
  private tokens: number;
  /** batches queued while connected and not yet matched by a send (at most `rate`): each lets one batch through beside the replay rate */
  private liveCredits = 0;
  private lastRefill = Date.now();
  private pumpTimer: NodeJS.Timeout | undefined;
  private readonly watchdog: NodeJS.Timeout;
  private readonly statusTimer: NodeJS.Timeout;
  /** seq asked for again by a command, sent before new batches */
  private readonly resendQueue = new Set<number>();
  /** resends sent and not yet acknowledged, by send: seq and when sent (a resend whose PUBACK never comes must not hold its slot) */
  private resendInflight = new Map<number, { seq: number; sentAt: number }>();
  private resendSends = 0;
  private deviceStatus = new Map<string, DeviceStatus>();
  private stopped = false;
  private readonly rate: number;
  private readonly maxInflight: number;

  constructor(private readonly o: PublisherOptions) {
    this.rate = o.replayRatePerS ?? 50;
    this.maxInflight = o.maxInflight ?? 10;
    this.tokens = this.rate;
    const statusTopic = topics.gatewayStatus(o.site, o.gateway);
    const offline: GatewayStatus = { v: 1, online: false, ts: Date.now() };
    this.client = mqtt.connect(o.mqttUrl, {
      clientId: `jieneng-${o.site}-${o.gateway}`.slice(0, 64),
      reconnectPeriod: 1000,
      connectTimeout: 5000,
      // the broker publishes this if the gateway vanishes (MQTT 3.1.1 §3.1.2.5)
      will: { topic: statusTopic, payload: Buffer.from(JSON.stringify(offline)), qos: 1, retain: true },
      // mqtt-packet's default caches a 2-byte Buffer for every 16-bit number it may write (65 536 of them, about
      // 7.5 MB of heap for the life of the process); a gateway sends a few packets a second and can spare the
      // allocation instead (edge boxes are small: docs/gateway.md, memory)
      writeCache: false,
      ...o.mqttOptions,
    });
    // a PUBACK that never comes (a broker that lost the packet without closing) must not block the queue forever
    this.watchdog = setInterval(() => this.resendStale(60_000), 15_000);
    this.watchdog.unref();
    this.statusTimer = setInterval(() => { if (this.connected) this.publishStatus(statusTopic); }, o.statusEveryMs ?? 60_000);
    this.statusTimer.unref();
    const channels = new Map<string, CommandChannel>([[topics.command(o.site, o.gateway), 'command'], [topics.commandWrite(o.site, o.gateway), 'write']]);
    this.client.on('message', (topic, payload) => {
      const channel = channels.get(topic);
      if (!channel || !o.onCommand || this.stopped) return;
      // a write is answered once the device did; the others at once
      void Promise.resolve(o.onCommand(payload, channel)).then((result) => {
        if (!this.stopped) this.client.publish(topics.commandResult(o.site, o.gateway), JSON.stringify(result), { qos: 1 });
      });
    });
    this.client.on('connect', () => this.onConnect(statusTopic));
    this.client.on('close', () => this.onClose());
    this.client.on('error', (err) => {
      if (!this.outageLogged) o.log.warn({ err: err.message, url: redactUrl(o.mqttUrl) }, 'broker error');
    });
  }

  private onConnect(statusTopic: string): void {
    this.connected = true;
    if (this.outageLogged || !this.everConnected) this.o.log.info({ url: redactUrl(this.o.mqttUrl), queued: this.o.queue.stats().queued }, 'broker connected');
    this.everConnected = true;
    this.outageLogged = false;
    this.publishStatus(statusTopic);
    for (const [device, status] of this.deviceStatus) this.publishDeviceStatus(device, status);
    // a clean session (the default) forgets subscriptions: subscribe on every connect
    if (this.o.onCommand) this.client.subscribe([topics.command(this.o.site, this.o.gateway), topics.commandWrite(this.o.site, this.o.gateway)], { qos: 1 });
    this.pump();
  }

  private publishStatus(statusTopic: string): void {
    const qs = this.o.queue.stats();
    const birth: GatewayStatus = {
      v: 1, online: true, ts: Date.now(), queued: qs.queued, next_seq: qs.nextSeq,
      heartbeat_s: Math.max(1, Math.round((this.o.statusEveryMs ?? 60_000) / 1000)),
    };
    this.client.publish(statusTopic, JSON.stringify(birth), { qos: 1, retain: true });
  }

  /** Publish these batches again (a resend command), ahead of new ones; seq no longer in the file are skipped. */
  resend(seqs: number[]): void {
    for (const seq of seqs) this.resendQueue.add(seq);
    this.pump();
  }

  private onClose(): void {
    if (this.stopped) return;
    this.connected = false;
    this.liveCredits = 0;
    if (!this.outageLogged) {
      this.o.log.warn({ url: redactUrl(this.o.mqttUrl) }, this.everConnected ? 'broker lost; buffering batches on disk' : 'broker unreachable; buffering batches on disk');
      this.outageLogged = true;
    }
  }

  private resendStale(maxAgeMs: number): void {
    if (!this.connected) return;
    const now = Date.now();
    for (const [seq, sentAt] of this.inflight) {
      if (now - sentAt < maxAgeMs) continue;
      this.inflight.delete(seq);
      this.lastSent = Math.min(this.lastSent, seq - 1);
    }
    for (const [send, r] of this.resendInflight) {
      if (now - r.sentAt < maxAgeMs) continue;
      this.resendInflight.delete(send);
      this.resendQueue.add(r.seq);
    }
    this.pump();
  }

  /** Record a device's status; published retained now (or on the next connect). */
  setDeviceStatus(device: string, status: DeviceStatus): void {
    this.deviceStatus.set(device, status);
    if (this.connected) this.publishDeviceStatus(device, status);
  }

  private publishDeviceStatus(device: string, status: DeviceStatus): void {
    this.client.publish(topics.deviceStatus(this.o.site, this.o.gateway, device), JSON.stringify(status), { qos: 1, retain: true });
  }

  /** A batch was queued: it may pass beside the replay rate; try to send. */
  notify(): void {
    // queued during an outage, it is backlog; at most a second's worth kept, so that a broker connected but not
    // acknowledging (slow, or a link silent within the keep-alive) cannot turn a stalled backlog into live traffic
    if (this.connected) this.liveCredits = Math.min(this.liveCredits + 1, this.rate);
    this.pump();
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.lastRefill) / 1000) * this.rate);
    this.lastRefill = now;
  }

  private pump(): void {
    if (!this.connected || this.stopped) return;
    this.refill();
    let room = Math.min(this.maxInflight - this.inflight.size - this.resendInflight.size, Math.floor(this.tokens) + this.liveCredits);
    if (room <= 0) {
      if (this.inflight.size + this.resendInflight.size < this.maxInflight) this.later(Math.ceil(1000 / this.rate));
      return;
    }
    const topic = topics.readings(this.o.site, this.o.gateway);
    room -= this.pumpResends(topic, Math.min(room, Math.max(0, Math.floor(this.tokens)))); // resends are replay: tokens only
    if (this.resendQueue.size > 0) this.later(Math.ceil(1000 / this.rate));
    if (room <= 0) return;
    for (const b of this.o.queue.peek(this.lastSent, room)) {
      if (this.liveCredits > 0) this.liveCredits--;
      else this.tokens--;
      this.lastSent = b.seq;
      this.inflight.set(b.seq, Date.now());
      this.client.publish(topic, b.payload, { qos: 1 }, (err) => {
        this.inflight.delete(b.seq);
        if (err) {
          // not acknowledged: send it again from here on (order by seq is kept by the collector)
          if (!this.stopped) this.lastSent = Math.min(this.lastSent, b.seq - 1);
        } else {
          if (!this.stopped) this.o.queue.acked(b.seq);
          this.published++;
        }
        this.pump();
      });
    }
    if (this.o.queue.peek(this.lastSent, 1).length > 0) this.later(Math.ceil(1000 / this.rate));
  }

  /** Send up to `room` batches asked for again; returns how many were sent. */
  private pumpResends(topic: string, room: number): number {
    let sent = 0;
    for (const seq of this.resendQueue) {
      if (sent >= room) break;
      this.resendQueue.delete(seq);
      const payload = this.o.queue.payload(seq);
      if (payload === undefined) continue;
      this.tokens--;
      const send = ++this.resendSends;
      this.resendInflight.set(send, { seq, sentAt: Date.now() });
      sent++;
      this.client.publish(topic, payload, { qos: 1 }, (err) => {
        // a late PUBACK of a resend the watchdog gave up on changes nothing: it was queued again
        if (!this.resendInflight.delete(send)) return;
        if (err && !this.stopped) this.resendQueue.add(seq);
        this.pump();
      });
    }
    return sent;
  }

  private later(ms: number): void {
    if (this.pumpTimer || this.stopped) return;
    this.pumpTimer = setTimeout(() => { this.pumpTimer = undefined; this.pump(); }, ms);
  }

  /** Counters. */
  stats(): PublisherStats {
    return { connected: this.connected, published: this.published, inflight: this.inflight.size + this.resendInflight.size };
  }

  /**
   * Wait (bounded) for unacknowledged batches, publish the offline status, then send DISCONNECT. A DISCONNECT
   * makes the broker discard the last will (MQTT 3.1.1 §3.14.4, MQTT 5 §3.14.2.1 reason 0x00); closing the socket
   * without it would have the broker publish the will, retained, with its connect-time timestamp, over the fresh
   * offline status (issue 12 defect 10).
   */
  async stop(graceMs = 2000): Promise<void> {
    const until = Date.now() + graceMs;
    while (this.connected && this.inflight.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    this.stopped = true;
    clearTimeout(this.pumpTimer);
    clearInterval(this.watchdog);
    clearInterval(this.statusTimer);
    if (!this.connected) {
      await this.client.endAsync(true).catch(() => undefined);
      return;
    }
    const offline: GatewayStatus = { v: 1, online: false, ts: Date.now() };
    const sent = this.client.publishAsync(topics.gatewayStatus(this.o.site, this.o.gateway), JSON.stringify(offline), { qos: 1, retain: true });
    await withTimeout(sent.catch(() => undefined), 1000);
    // mqtt.js sends DISCONNECT only once its outgoing store is empty; batches still unacknowledged stay in the
    // disk queue and are sent again after the next start, so they are dropped from the client's store here
    for (const id of Object.keys(this.client.outgoing)) this.client.removeOutgoingMessage(Number(id));
    const ended = await withTimeout(this.client.endAsync(false).then(() => true, () => false), 1000);
    // a broker that does not read the DISCONNECT in time: close the socket (it then publishes the will)
    if (ended !== true) this.client.stream?.destroy();
  }
}

/** The promise's value, or undefined when it takes longer than `ms`. */
async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ms); });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
