/**
 * The collector's side of the resend protocol (decision 0309, DESIGN.md D10, issue #12.5): the sequence ledger of
 * the gateways one MQTT link accounts for, the resend requests it publishes on their command topics, their
 * results, and the gateways' retained status (queue depth, online). Its accounting goes to Prometheus and, as the
 * `gateway_accounting` measurement, to storage, where the API (another process) reads it.
 */
import type Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { parseCommandResultTopic, parseStatusTopic, topics, type CommandResult, type GatewayCommand } from '../../core/contract/v1.ts';
import type { Logger } from '../../core/log.ts';
import { MEASUREMENT } from '../../core/measurements.ts';
import type { Storage, StoredPoint } from '../../storage/port.ts';
import type { SequenceGate } from '../ingest.ts';
import { openGapBatches, SeqLedger, type GatewayAccount, type LedgerOptions } from './ledger.ts';
import { showGateways } from './metrics.ts';

/** Options of a tracker. */
export interface TrackerOptions {
  siteId: string;
  /** the gateways this link receives every batch of */
  gateways: string[];
  /** the link's state database (collector/state-store.ts), where the ledger keeps its table */
  db: Database.Database;
  /** prefix of the request ids, unique per link (its MQTT client id) */
  requester: string;
  storage: Storage;
  log: Logger;
  /** how often due requests are sent and the accounting reported, default 1 s */
  tickMs?: number;
  /** an unchanged account is written to storage again after this long, default 60 s */
  reportEveryMs?: number;
  ledger?: LedgerOptions;
}

interface GatewayState {
  online: boolean | null;
  queued: number | null;
}

/** Seq accounting and resend requests for the gateways of one link. */
export class SequenceTracker implements SequenceGate {
  private readonly ledger: SeqLedger;
  private readonly owned: Set<string>;
  private readonly state = new Map<string, GatewayState>();
  private readonly requests = new Map<string, string>();
  private readonly reported = new Map<string, { text: string; at: number }>();
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private nextId = 0;
  private reporting = false;
  private hideGauges: (() => void) | undefined;

  constructor(private readonly o: TrackerOptions) {
    this.owned = new Set(o.gateways);
    this.ledger = new SeqLedger(o.db, {
      ...o.ledger,
      onLost: (gateway, ranges, why) => o.log.error({ gateway, ranges, why }, 'batches lost: the gateway cannot send them again'),
    });
  }

  /** The topics the link subscribes to for this tracker: command results and gateway status. */
  filters(): string[] {
    return [...this.owned].flatMap((g) => [topics.commandResult(this.o.siteId, g), topics.gatewayStatus(this.o.siteId, g)]);
  }

  /** Is this message for the tracker (not a readings batch)? */
  accepts(topic: string): boolean {
    return topic.endsWith('/command/result') || topic.endsWith('/status');
  }

  isDuplicate(gateway: string, seq: number, sentTs: number): boolean {
    if (!this.owned.has(gateway) || !this.ledger.isDuplicate(gateway, seq, sentTs)) return false;
    this.ledger.duplicate(gateway);
    return true;
  }

  stored(gateway: string, seq: number, sentTs: number): void {
    if (this.owned.has(gateway)) this.ledger.stored(gateway, seq, sentTs);
  }

  rollback(gateway: string): void {
    this.ledger.rollback(gateway);
  }

  /** A command result or a gateway status. */
  onMessage(topic: string, payload: Buffer): void {
    let msg: unknown;
    try {
      msg = JSON.parse(payload.toString('utf8'));
    } catch {
      return; // another party's malformed message: nothing of ours to account
    }
    const status = parseStatusTopic(topic);
    if (status && !status.device && this.owned.has(status.gateway)) {
      const s = msg as { online?: unknown; queued?: unknown };
      this.state.set(status.gateway, {
        online: typeof s.online === 'boolean' ? s.online : null,
        queued: typeof s.queued === 'number' ? s.queued : null,
      });
      return;
    }
    const where = parseCommandResultTopic(topic);
    const result = msg as CommandResult;
    if (!where || typeof result.id !== 'string' || this.requests.get(result.id) !== where.gateway) return;
    this.requests.delete(result.id);
    if (result.type === 'resend') {
      this.o.log.info({ gateway: where.gateway, from_seq: result.from_seq, to_seq: result.to_seq, resent: result.resent, unavailable: result.unavailable }, 'resend answered');
      this.ledger.unavailable(where.gateway, result.unavailable);
    } else if (result.type === 'rejected') {
      this.o.log.error({ gateway: where.gateway, detail: result.detail }, 'the gateway rejected a resend request');
    }
  }

  /** Start asking and reporting through this client. */
  start(client: MqttClient): void {
    this.client = client;
    this.hideGauges = showGateways(() => this.accounts().map((a) => ({ ...a, gap_batches: openGapBatches(a) })));
    this.timer = setInterval(() => this.tick(), this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  private tick(): void {
    const client = this.client;
    if (client?.connected) {
      // a gateway whose status says offline cannot hear a request (its command subscription is not persistent)
      for (const r of this.ledger.due(5, (g) => this.state.get(g)?.online === false)) {
        const id = `${this.o.requester}-${this.nextId++}`;
        this.requests.set(id, r.gateway);
        const command: GatewayCommand = { v: 1, type: 'resend', id, from_seq: r.from_seq, to_seq: r.to_seq };
        this.o.log.warn({ gateway: r.gateway, from_seq: r.from_seq, to_seq: r.to_seq, attempt: r.attempt }, 'gap in the batch sequence: asking the gateway to resend');
        client.publish(topics.command(this.o.siteId, r.gateway), JSON.stringify(command), { qos: 1 });
      }
      if (this.requests.size > 1000) this.requests.clear(); // answers that never came: the ledger asks again anyway
    }
    void this.report();
  }

  /** Every owned gateway's account with its last status. */
  accounts(): (GatewayAccount & GatewayState)[] {
    const known = new Map(this.ledger.snapshot().map((a) => [a.gateway, a]));
    return [...this.owned].map((g) => ({
      ...(known.get(g) ?? { gateway: g, last_seq: null, last_sent_ts: null, stored: 0, duplicates: 0, recovered: 0, lost: 0, restarts: 0, gaps: [] }),
      ...(this.state.get(g) ?? { online: null, queued: null }),
    }));
  }

  private async report(force = false): Promise<void> {
    const now = Date.now();
    if (this.reporting) return; // a slow store: the rows wait for the write in flight
    const accounts = this.accounts();
    const rows: StoredPoint[] = [];
    for (const a of accounts) {
      const fields: StoredPoint['fields'] = {
        gap_batches: openGapBatches(a), recovered: a.recovered, lost: a.lost, duplicates: a.duplicates, stored: a.stored, restarts: a.restarts,
        ...(a.last_seq !== null ? { last_seq: a.last_seq } : {}),
        ...(a.queued !== null ? { queued: a.queued } : {}),
        ...(a.online !== null ? { online: a.online } : {}),
      };
      const text = JSON.stringify(fields);
      const last = this.reported.get(a.gateway);
      // a row when the account changed (at most every 5 s) and at least every `reportEveryMs`
      if (!force && last && now - last.at < (last.text === text ? this.o.reportEveryMs ?? 60_000 : 5000)) continue;
      this.reported.set(a.gateway, { text, at: now });
      rows.push({ measurement: MEASUREMENT.gatewayAccounting, tags: { site: this.o.siteId, gateway: a.gateway }, fields, time: now });
    }
    if (rows.length === 0) return;
    this.reporting = true;
    await this.o.storage.write(rows).catch((err: unknown) => {
      for (const r of rows) this.reported.delete(r.tags.gateway); // written again at the next tick
      this.o.log.debug({ err: String(err) }, 'gateway accounting not written; retrying');
    }).finally(() => { this.reporting = false; });
  }

  /** Stop asking (after a last report to storage); the accounting stays in the state database. */
  async stop(report = true): Promise<void> {
    clearInterval(this.timer);
    this.hideGauges?.();
    this.client = undefined;
    if (report) await this.report(true);
  }
}
