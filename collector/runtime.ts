/**
 * The collector as an MQTT client (DESIGN.md D3, D7): QoS 1 subscriptions on a persistent session, each message
 * acknowledged only after its points and counter state are committed to the state database, bad messages
 * published to the dead-letter topic with their reason, broker outages logged once and retried with backoff.
 *
 * Alone (no share group) one client does everything. With a share group (Mosquitto, EMQX) the work splits in
 * two (decision 0301): telemetry through the shared subscription `$share/<group>/…`, which spreads messages
 * over every collector of the group; energy through a plain subscription to the gateways this collector's
 * partition owns, so one meter's counter state lives in exactly one collector.
 */
import { join } from 'node:path';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { topics } from '../core/contract/v1.ts';
import { StartupError } from '../core/errors.ts';
import { logger, type Logger } from '../core/log.ts';
import { redactUrl } from '../core/secrets.ts';
import type { SiteModel } from '../core/site/schema.ts';
import type { Storage } from '../storage/port.ts';
import { deadLetterRows, deadLetters } from './dead-letters.ts';
import { createIngestor, StateStoreError, type IngestObserver, type IngestResult, type Ingestor, type IngestorOptions } from './ingest.ts';
import type { GatewayAccount } from './sequence/ledger.ts';
import { LostShareRecovery } from './sequence/lost-share.ts';
import { SequenceTracker } from './sequence/tracker.ts';
import { collectorMetrics as metrics } from './metrics.ts';
import { rebuildMissingMeterState } from './state-rebuild.ts';
import { StatusHistory } from './status-history.ts';
import { ownershipUnits, ownsGateway, type Partition } from './partition.ts';
import type { Rejection } from './validate.ts';

/** Options of `startCollector`. */
export interface CollectorOptions {
  site: SiteModel;
  mqttUrl: string;
  storage: Storage;
  /** the collector's own files (state database and on-disk buffer) */
  dataDir: string;
  /** stable MQTT client id (a persistent session is bound to it); default `jieneng-collector-<site>[-p<k>]` */
  clientId?: string;
  /** MQTT shared-subscription group: several collectors share the telemetry load (not on aedes) */
  shareGroup?: string;
  /** with a share group: which gateways' energy this collector owns; default all (0/1) */
  partition?: Partition;
  /** ingestion settings (clock, limits) */
  ingest?: Partial<Omit<IngestorOptions, 'site' | 'storage' | 'stateDir' | 'roles'>>;
  /** credentials and TLS material (core/mqtt/connection.ts) */
  mqttOptions?: IClientOptions;
  /** how long start-up waits for the broker */
  connectTimeoutMs?: number;
  /**
   * with a share group: the broker keeps a telemetry member's session this long after its connection broke, then
   * its share goes to the others and they ask the gateways to resend what it held (decision 0310); default 30 s
   */
  shareSessionExpiryS?: number;
  /** the reconnect back-off doubles up to this, default 5 s: a broker back without our session must see us soon (#12.5) */
  maxReconnectMs?: number;
  /** told of every batch the energy-owning ingestor commits: alert evaluation (alerts/runtime.ts, decision 0800) */
  alerts?: IngestObserver;
  /** resend requests and accounting of the gateways' seq (collector/sequence/); tests shorten the timing */
  sequence?: { askAfterMs?: number; answerTimeoutMs?: number; maxAttempts?: number; tickMs?: number };
}

/** A running collector. */
export interface RunningCollector {
  /** the ingestors (one alone; telemetry and energy with a share group), for tests and backfills */
  ingestors: Ingestor[];
  /** Resolves when everything received so far is written to storage. */
  flush(): Promise<void>;
  /** The seq accounting of the gateways this collector accounts for (decision 0309). */
  gateways(): GatewayAccount[];
  stop(): Promise<void>;
}

/** Connect, subscribe and ingest until stopped. Throws StartupError when the broker cannot be reached. */
export async function startCollector(opts: CollectorOptions): Promise<RunningCollector> {
  const log = logger('collector', { site: opts.site.site.id });
  const siteId = opts.site.site.id;
  const baseId = opts.clientId ?? `jieneng-collector-${siteId}${opts.partition ? `-p${opts.partition.index}` : ''}`;
  const links: Link[] = [];
  try {
    if (!opts.shareGroup) {
      await rebuildMissingMeterState({ ...opts.ingest, site: opts.site, storage: opts.storage, stateDir: opts.dataDir, log });
      links.push(await startLink(opts, log, {
        name: 'all', clientId: baseId, filters: [topics.allReadings(siteId)], deadLetters: true, status: statusHistory(opts, log, opts.site.gateways.map((g) => g.id)),
        ...accountedIngestor(opts, log, baseId, opts.site.gateways.map((g) => g.id), { stateDir: opts.dataDir, observer: opts.alerts }),
      }));
    } else {
      const partition = opts.partition ?? { index: 0, count: 1 };
      const units = ownershipUnits(opts.site);
      const ownedIds = opts.site.gateways.filter((g) => ownsGateway(partition, g.id, units)).map((g) => g.id);
      const owned = ownedIds.map((g) => topics.readings(siteId, g));
      links.push(await startLink(opts, log, {
        name: 'telemetry', clientId: `${baseId}-t`, filters: [topics.allReadings(siteId, opts.shareGroup)], deadLetters: true,
        ingestor: createIngestor({ ...opts.ingest, site: opts.site, storage: opts.storage, stateDir: join(opts.dataDir, 'telemetry'), log, roles: { telemetry: true, energy: false } }),
        lostShare: new LostShareRecovery({
          siteId, gateways: opts.site.gateways.map((g) => g.id), member: `${baseId}-t`, sessionExpiryS: opts.shareSessionExpiryS ?? 30,
          stateDir: join(opts.dataDir, 'telemetry'), log,
        }),
      }));
      if (owned.length > 0) {
        await rebuildMissingMeterState({ ...opts.ingest, site: opts.site, storage: opts.storage, stateDir: join(opts.dataDir, 'energy'), log });
        // the owner of a gateway's energy receives every one of its batches: it keeps the seq accounting
        links.push(await startLink(opts, log, {
          name: 'energy', clientId: `${baseId}-e`, filters: owned, deadLetters: false, status: statusHistory(opts, log, ownedIds),
          ...accountedIngestor(opts, log, `${baseId}-e`, ownedIds, { stateDir: join(opts.dataDir, 'energy'), roles: { telemetry: false, energy: true }, observer: opts.alerts, partition: `${partition.index}/${partition.count}` }),
        }));
      }
      log.info({ share_group: opts.shareGroup, partition: `${partition.index}/${partition.count}`, owned_gateways: owned.length }, 'collector sharing the load');
    }
  } catch (err) {
    for (const l of links) await l.stop();
    throw err;
  }
  return {
    ingestors: links.map((l) => l.ingestor),
    gateways: () => links.flatMap((l) => l.sequence?.accounts() ?? []),
    async flush() {
      for (const l of links) await l.ingestor.flush();
    },
    async stop() {
      for (const l of links) await l.stop();
    },
  };
}

/**
 * An ingestor whose batches are accounted by seq (decision 0309): the tracker keeps its table in the ingestor's
 * state database, and the ingestor asks it about each batch and records each one in the batch's transaction.
 */
function accountedIngestor(opts: CollectorOptions, log: Logger, requester: string, gateways: string[],
  ingest: Pick<IngestorOptions, 'stateDir' | 'roles' | 'observer' | 'partition'>): { ingestor: Ingestor; sequence: SequenceTracker } {
  let tracker: SequenceTracker | undefined;
  const ingestor = createIngestor({
    ...opts.ingest, ...ingest, site: opts.site, storage: opts.storage, log,
    sequence: (db) => (tracker = new SequenceTracker({
      siteId: opts.site.site.id, gateways, db, requester, storage: opts.storage, log, tickMs: opts.sequence?.tickMs, ledger: opts.sequence,
    })),
  });
  if (!tracker) throw new Error('the ingestor did not open the seq accounting');
  return { ingestor, sequence: tracker };
}

/** The status transitions of these gateways, stored (decision 0409). */
function statusHistory(opts: CollectorOptions, log: Logger, gateways: string[]): StatusHistory {
  return new StatusHistory({ site: opts.site, gateways, storage: opts.storage, log, now: opts.ingest?.now });
}

interface LinkSpec {
  name: string;
  clientId: string;
  filters: string[];
  deadLetters: boolean;
  ingestor: Ingestor;
  /** seq accounting of the gateways whose every batch this link receives */
  sequence?: SequenceTracker;
  /** a shared telemetry link: MQTT 5, expiring session, will, resend of a lost member's share */
  lostShare?: LostShareRecovery;
  /** the gateways' status transitions of this link, stored */
  status?: StatusHistory;
}

interface Link {
  ingestor: Ingestor;
  sequence?: SequenceTracker;
  stop(): Promise<void>;
}

/** One MQTT client feeding one ingestor. */
async function startLink(opts: CollectorOptions, parent: Logger, spec: LinkSpec): Promise<Link> {
  const log = parent.child({ link: spec.name, client_id: spec.clientId });
  const { ingestor, sequence, lostShare, status } = spec;
  const filters = [...new Set([...spec.filters, ...(sequence?.filters() ?? []), ...(lostShare?.filters() ?? []), ...(status?.filters() ?? [])])];
  const maxReconnectMs = opts.maxReconnectMs ?? 5000;
  let stopping = false;
  const client = mqtt.connect(opts.mqttUrl, {
    ...opts.mqttOptions,
    clientId: spec.clientId,
    clean: false, // persistent session: QoS 1 messages wait at the broker while we are away
    ...(lostShare?.connectOptions() ?? { protocolVersion: 4 }),
    reconnectPeriod: 1000,
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
    manualConnect: true,
  });

  // Acknowledge (PUBACK) only once the message is durably buffered: mqtt.js sends the PUBACK when the
  // handleMessage callback runs, and hands over the next message only after it.
  client.handleMessage = (packet: IPublishPacket, done: (err?: Error) => void) => {
    const statusTopic = status?.accepts(packet.topic) === true;
    if (statusTopic) onStatus(packet);
    const side = sequence?.accepts(packet.topic) ? sequence : lostShare?.accepts(packet.topic) ? lostShare : undefined;
    if (side) side.onMessage(packet.topic, typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload);
    if (side || statusTopic) {
      done();
      return;
    }
    metrics.messagesIn.inc();
    void handle(packet).then(() => done(), (err: unknown) => {
      // only when stopping: leave the message unacknowledged for redelivery
      log.debug({ err: String(err) }, 'message left unacknowledged');
    });
  };

  async function handle(packet: IPublishPacket): Promise<void> {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    let backoff = 500;
    for (;;) {
      if (stopping) throw new Error('stopping');
      let result: IngestResult;
      try {
        result = await ingestor.ingestMessage(packet.topic, payload);
      } catch (err) {
        if (stopping) throw err;
        if (err instanceof StateStoreError) {
          // The state database refused (disk full, I/O error): keep the message and try again, never drop it.
          log.error({ err: String(err) }, 'could not buffer a message; retrying');
          await new Promise((r) => setTimeout(r, backoff));
          backoff = Math.min(backoff * 2, 30_000);
          continue;
        }
        // Anything else is this message's doing or a bug: retrying would block every message behind it, and a
        // persistent session would bring it back after each restart (issue 12, defect 1). Dead-letter it, ack it.
        log.error({ err: err instanceof Error ? err.stack : String(err) }, 'a message could not be processed; dead-lettered as internal');
        metrics.rejected.inc({ reason: 'internal' });
        result = { accepted: 0, energyRows: 0, rejected: [{ reason: 'internal', detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }] };
      }
      if (spec.deadLetters && result.rejected.length > 0) {
        try {
          deadLetter(packet.topic, payload, result.rejected);
        } catch (err) { // never a reason to hold the acknowledgement back
          log.warn({ err: String(err) }, 'could not build a dead letter');
        }
      }
      return;
    }
  }

  /** A status: its transition stored; a bad one dead-lettered like a bad readings message, never a crash. */
  function onStatus(packet: IPublishPacket): void {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    try {
      const rejected = status!.onMessage(packet.topic, payload);
      for (const r of rejected) metrics.rejected.inc({ reason: r.reason });
      if (rejected.length > 0) deadLetter(packet.topic, payload, rejected);
    } catch (err) {
      log.warn({ err: String(err), topic: packet.topic }, 'could not handle a status message');
    }
  }

  function deadLetter(topic: string, payload: Buffer, rejected: Rejection[]): void {
    // counted in storage for the technicians' board (a lost row loses a count, never a message)
    opts.storage.write(deadLetterRows(opts.site.site.id, topic, rejected, Date.now()))
      .catch((err: unknown) => log.warn({ err: String(err) }, 'could not store a dead-letter count'));
    for (const dl of deadLetters(topic, payload, rejected, Date.now())) {
      metrics.deadLettered.inc({ reason: dl.reason });
      client.publish(topics.deadLetter(opts.site.site.id), JSON.stringify(dl), { qos: 1 }, (err) => {
        if (err && !stopping) log.warn({ err: String(err), reason: dl.reason }, 'could not publish a dead letter');
      });
    }
  }

  // Broker lost at run time: one warning per outage, reconnect with doubling backoff, no crash.
  let connectedOnce = false;
  let outage = false;
  client.on('connect', (connack) => {
    // Nagle's algorithm holds each small PUBACK back until the previous segment is acknowledged, which
    // caps a one-message-at-a-time subscriber at a few hundred messages per second.
    (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    metrics.brokerConnected.set(1);
    client.options.reconnectPeriod = 1000;
    if (outage) log.info('broker connection restored');
    outage = false;
    lostShare?.onConnect(client, connack.sessionPresent);
    // A broker that lost our session (restarted without persistence) needs the subscriptions again.
    if (connectedOnce && !connack.sessionPresent) {
      client.subscribe(filters, { qos: 1 }, (err) => {
        if (err && !stopping) log.error({ err: String(err), filters }, 'subscribe failed');
      });
    }
  });
  const lost = (why: string) => {
    metrics.brokerConnected.set(0);
    if (!connectedOnce || stopping) return;
    if (!outage) log.warn({ broker: redactUrl(opts.mqttUrl), why }, 'broker connection lost; reconnecting with backoff');
    outage = true;
    client.options.reconnectPeriod = Math.min((client.options.reconnectPeriod ?? 1000) * 2, maxReconnectMs);
  };
  client.on('offline', () => lost('offline'));
  client.on('close', () => lost('closed'));
  client.on('error', (err) => {
    if (connectedOnce && !outage && !stopping) log.warn({ err: String(err) }, 'broker error');
  });

  // A failed start ends the client for good. With manualConnect, mqtt.js's end() re-arms reconnection when the
  // socket's close comes after it, which kept a collector that could not start alive and retrying.
  const giveUp = () => {
    client.options.reconnectPeriod = 0;
    client.end(true);
  };
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => {
      client.removeListener('connect', ok);
      giveUp();
      reject(new StartupError(`MQTT broker at ${redactUrl(opts.mqttUrl)} is not reachable (${err.message}): start the broker or point --mqtt / MQTT_URL at it`, { cause: err }));
    };
    const ok = () => {
      client.removeListener('error', fail);
      resolve();
    };
    client.once('connect', ok);
    client.once('error', fail);
    const timer = setTimeout(() => fail(new Error(`no answer within ${opts.connectTimeoutMs ?? 10_000} ms`)), opts.connectTimeoutMs ?? 10_000);
    client.once('connect', () => clearTimeout(timer));
    client.once('error', () => clearTimeout(timer));
    client.connect();
  }).catch(async (err: unknown) => {
    await sequence?.stop(false);
    await ingestor.close();
    throw err;
  });
  // Subscribe before returning, so that nothing published after start-up is missed on a fresh session.
  try {
    const granted = await client.subscribeAsync(filters, { qos: 1 });
    const refused = granted.filter((g) => g.qos > 2);
    if (refused.length > 0) throw new Error(`the broker refused ${refused.map((g) => g.topic).join(', ')}`);
  } catch (err) {
    giveUp();
    await sequence?.stop(false);
    await ingestor.close();
    throw new StartupError(`MQTT broker at ${redactUrl(opts.mqttUrl)} refused the subscription (${(err as Error).message}): check its ACL${opts.shareGroup ? ' and that it supports shared subscriptions ($share, not aedes)' : ''}`, { cause: err });
  }
  connectedOnce = true;
  sequence?.start(client);
  lostShare?.start(client);
  log.info({ filters: spec.filters }, 'collector subscribed');

  return {
    ingestor,
    sequence,
    async stop() {
      if (stopping) return;
      stopping = true;
      // A graceful end sends the acknowledgements already due; a broker that is gone gets 2 s, then the socket closes.
      // A shared telemetry member leaves the group, says so, and ends its session (decision 0310): the others ask
      // the gateways for what it held instead of waiting for the expiry. (Mosquitto 2.0.11 holds a will back for
      // its delay even when DISCONNECT 0x04 ends the session, so the notice is published, not left to the will.)
      const leave = async () => {
        if (lostShare && client.connected) {
          await client.unsubscribeAsync(spec.filters);
          await lostShare.announceLeaving(client);
        }
        await client.endAsync(false, lostShare ? { reasonCode: 0, properties: { sessionExpiryInterval: 0 } } : undefined);
      };
      lostShare?.stop();
      await Promise.race([leave().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
      if (client.connected) client.end(true);
      await sequence?.stop();
      await ingestor.close();
    },
  };
}
