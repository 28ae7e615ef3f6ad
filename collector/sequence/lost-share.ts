/**
 * A dead member's share of a shared telemetry subscription reaches the survivors (issue #12.11, decision 0310).
 *
 * The telemetry link connects with MQTT 5 and a short session expiry: when a member dies, Mosquitto keeps its
 * session (and keeps handing it its share) for `session_expiry_s`, then ends it, discards what it held — Mosquitto
 * 2.0.11 does not pass it to another member (eclipse-mosquitto/mosquitto#2662; verified here) — and sends the
 * member's will, whose delay equals the expiry (MQTT 5 §3.1.3.2.2). From then on the group's messages reach only
 * the survivors. Every survivor that hears the will asks every gateway to resend what the broker acknowledged
 * within the expiry plus a margin (`resend_recent`, one request id per death, so a gateway sends it once); they
 * store it again (rows are idempotent) and the energy owners drop it by seq.
 *
 * A member that comes back without its session (it was away longer than the expiry, or the broker lost it) asks
 * the same for the time it was away, from the last "alive" mark it keeps in its state folder. A member that stops
 * cleanly leaves the group, publishes the same notice as its will (with no expiry to wait for) and ends its
 * session: the others ask at once.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IClientOptions, MqttClient } from 'mqtt';
import { topics, type CollectorLost, type GatewayCommand } from '../../core/contract/v1.ts';
import type { Logger } from '../../core/log.ts';

/** Options of the recovery. */
export interface LostShareOptions {
  siteId: string;
  /** every gateway of the site (any member may have held any gateway's batches) */
  gateways: string[];
  /** this member's MQTT client id */
  member: string;
  /** how long the broker keeps a member's session after its connection broke */
  sessionExpiryS: number;
  /** added to the window asked for: batches a member had received but not yet acknowledged when it died, default 60 s */
  marginS?: number;
  /** where the "alive" mark is kept */
  stateDir: string;
  log: Logger;
  now?: () => number;
}

const ALIVE_EVERY_MS = 5000;
const MAX_WITHIN_S = 86_400;

/** The telemetry link's side of decision 0310. */
export class LostShareRecovery {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly aliveFile: string;
  private readonly connectedAt: number;
  private readonly now: () => number;

  constructor(private readonly o: LostShareOptions) {
    this.now = o.now ?? Date.now;
    this.aliveFile = join(o.stateDir, 'telemetry-alive');
    this.connectedAt = this.now();
  }

  /** MQTT 5 connect options: the session expiry and the delayed will. */
  connectOptions(): Pick<IClientOptions, 'protocolVersion' | 'properties' | 'will'> {
    const lost: CollectorLost = { v: 1, member: this.o.member, session_expiry_s: this.o.sessionExpiryS, ts: this.connectedAt };
    return {
      protocolVersion: 5,
      properties: { sessionExpiryInterval: this.o.sessionExpiryS },
      will: {
        topic: topics.collectorLost(this.o.siteId, this.o.member), payload: Buffer.from(JSON.stringify(lost)), qos: 1, retain: false,
        properties: { willDelayInterval: this.o.sessionExpiryS },
      },
    };
  }

  /** The wills of the other members. */
  filters(): string[] {
    return [topics.allCollectorsLost(this.o.siteId)];
  }

  /** Is this message a member's will? */
  accepts(topic: string): boolean {
    return topic.endsWith('/lost') && topic.includes('/collectors/');
  }

  /** Start marking this member alive and asking through this client. */
  start(client: MqttClient): void {
    this.client = client;
    this.markAlive();
    this.timer = setInterval(() => this.markAlive(), ALIVE_EVERY_MS);
    this.timer.unref();
  }

  /** Every connect: without its session this member missed what the broker held or dropped for it meanwhile. */
  onConnect(client: MqttClient, sessionPresent: boolean): void {
    if (sessionPresent) return;
    let lastAlive: number;
    try {
      lastAlive = Number(readFileSync(this.aliveFile, 'utf8'));
    } catch {
      return; // first start: nothing was held for this member
    }
    if (!Number.isFinite(lastAlive)) return;
    const awayS = Math.ceil((this.now() - lastAlive) / 1000);
    this.o.log.warn({ away_s: awayS }, 'the broker had no session for this member: asking the gateways to resend what it missed');
    this.ask(client, `back-${this.o.member}-${lastAlive}`, awayS);
  }

  /** Another member's will: its session ended, and what the broker held for it is gone. */
  onMessage(topic: string, payload: Buffer): void {
    let lost: Partial<CollectorLost>;
    try {
      lost = JSON.parse(payload.toString('utf8')) as Partial<CollectorLost>;
    } catch {
      return;
    }
    if (typeof lost.member !== 'string' || lost.member === this.o.member || typeof lost.session_expiry_s !== 'number' || !this.client) return;
    this.o.log.warn({ member: lost.member, session_expiry_s: lost.session_expiry_s }, 'a collector of the group is gone: asking the gateways to resend its share');
    this.ask(this.client, `lost-${lost.member}-${String(lost.ts)}`, lost.session_expiry_s);
  }

  private ask(client: MqttClient, id: string, windowS: number): void {
    const within_s = Math.min(MAX_WITHIN_S, Math.max(1, windowS + (this.o.marginS ?? 60)));
    for (const gateway of this.o.gateways) {
      const command: GatewayCommand = { v: 1, type: 'resend_recent', id, within_s };
      client.publish(topics.command(this.o.siteId, gateway), JSON.stringify(command), { qos: 1 });
    }
  }

  private markAlive(): void {
    try {
      writeFileSync(this.aliveFile, String(this.now()));
    } catch (err) {
      this.o.log.warn({ err: String(err), file: this.aliveFile }, 'could not write the alive mark');
    }
  }

  /** A clean stop, after leaving the group: the others ask for what this member held (its will would wait). */
  async announceLeaving(client: MqttClient): Promise<void> {
    const leaving: CollectorLost = { v: 1, member: this.o.member, session_expiry_s: 0, ts: this.now() };
    await client.publishAsync(topics.collectorLost(this.o.siteId, this.o.member), JSON.stringify(leaving), { qos: 1 });
  }

  /** Stop marking. */
  stop(): void {
    clearInterval(this.timer);
    this.client = undefined;
  }
}
