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
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { topics, type DeadLetter } from '../core/contract/v1.ts';
import { StartupError } from '../core/errors.ts';
import { logger, type Logger } from '../core/log.ts';
import type { SiteModel } from '../core/site/schema.ts';
import type { Storage } from '../storage/port.ts';
import { createIngestor, type IngestResult, type Ingestor, type IngestorOptions } from './ingest.ts';
import { collectorMetrics as metrics } from './metrics.ts';
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
  /** MQTT username and password, when the broker asks for them */
  username?: string;
  password?: string;
  /** how long start-up waits for the broker */
  connectTimeoutMs?: number;
}

/** A running collector. */
export interface RunningCollector {
  /** the ingestors (one alone; telemetry and energy with a share group), for tests and backfills */
  ingestors: Ingestor[];
  /** Resolves when everything received so far is written to storage. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

const DEAD_LETTER_MAX_PAYLOAD = 64 * 1024;

/** Connect, subscribe and ingest until stopped. Throws StartupError when the broker cannot be reached. */
export async function startCollector(opts: CollectorOptions): Promise<RunningCollector> {
  const log = logger('collector', { site: opts.site.site.id });
  const siteId = opts.site.site.id;
  const baseId = opts.clientId ?? `jieneng-collector-${siteId}${opts.partition ? `-p${opts.partition.index}` : ''}`;
  const links: Link[] = [];
  try {
    if (!opts.shareGroup) {
      links.push(await startLink(opts, log, {
        name: 'all', clientId: baseId, filters: [topics.allReadings(siteId)], deadLetters: true,
        ingestor: createIngestor({ ...opts.ingest, site: opts.site, storage: opts.storage, stateDir: opts.dataDir, log }),
      }));
    } else {
      const partition = opts.partition ?? { index: 0, count: 1 };
      const units = ownershipUnits(opts.site);
      const owned = opts.site.gateways.filter((g) => ownsGateway(partition, g.id, units)).map((g) => topics.readings(siteId, g.id));
      links.push(await startLink(opts, log, {
        name: 'telemetry', clientId: `${baseId}-t`, filters: [topics.allReadings(siteId, opts.shareGroup)], deadLetters: true,
        ingestor: createIngestor({ ...opts.ingest, site: opts.site, storage: opts.storage, stateDir: join(opts.dataDir, 'telemetry'), log, roles: { telemetry: true, energy: false } }),
      }));
      if (owned.length > 0) {
        links.push(await startLink(opts, log, {
          name: 'energy', clientId: `${baseId}-e`, filters: owned, deadLetters: false,
          ingestor: createIngestor({ ...opts.ingest, site: opts.site, storage: opts.storage, stateDir: join(opts.dataDir, 'energy'), log, roles: { telemetry: false, energy: true } }),
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
    async flush() {
      for (const l of links) await l.ingestor.flush();
    },
    async stop() {
      for (const l of links) await l.stop();
    },
  };
}

interface LinkSpec {
  name: string;
  clientId: string;
  filters: string[];
  deadLetters: boolean;
  ingestor: Ingestor;
}

interface Link {
  ingestor: Ingestor;
  stop(): Promise<void>;
}

/** One MQTT client feeding one ingestor. */
async function startLink(opts: CollectorOptions, parent: Logger, spec: LinkSpec): Promise<Link> {
  const log = parent.child({ link: spec.name, client_id: spec.clientId });
  const { ingestor } = spec;
  let stopping = false;
  const client = mqtt.connect(opts.mqttUrl, {
    clientId: spec.clientId,
    clean: false, // persistent session: QoS 1 messages wait at the broker while we are away
    protocolVersion: 4,
    reconnectPeriod: 1000,
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
    username: opts.username,
    password: opts.password,
    manualConnect: true,
  });

  // Acknowledge (PUBACK) only once the message is durably buffered: mqtt.js sends the PUBACK when the
  // handleMessage callback runs, and hands over the next message only after it.
  client.handleMessage = (packet: IPublishPacket, done: (err?: Error) => void) => {
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
        // The state database refused (disk full, I/O error): keep the message and try again, never drop it.
        log.error({ err: String(err) }, 'could not buffer a message; retrying');
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 30_000);
        continue;
      }
      if (spec.deadLetters && result.rejected.length > 0) deadLetter(packet.topic, payload, result.rejected);
      return;
    }
  }

  function deadLetter(topic: string, payload: Buffer, rejected: Rejection[]): void {
    const byReason = new Map<string, Rejection[]>();
    for (const r of rejected) byReason.set(r.reason, [...(byReason.get(r.reason) ?? []), r]);
    const text = payload.toString('utf8');
    for (const [reason, list] of byReason) {
      const detail = list.slice(0, 20).map((r) => [r.device, r.point, r.detail].filter(Boolean).join(': ')).join('; ')
        + (list.length > 20 ? `; … ${list.length - 20} more` : '');
      const dl: DeadLetter = {
        v: 1, reason, detail, topic, ts: Date.now(),
        payload: text.length > DEAD_LETTER_MAX_PAYLOAD ? text.slice(0, DEAD_LETTER_MAX_PAYLOAD) : text,
      };
      metrics.deadLettered.inc({ reason });
      client.publish(topics.deadLetter(opts.site.site.id), JSON.stringify(dl), { qos: 1 }, (err) => {
        if (err && !stopping) log.warn({ err: String(err), reason }, 'could not publish a dead letter');
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
    // A broker that lost our session (restarted without persistence) needs the subscriptions again.
    if (connectedOnce && !connack.sessionPresent) {
      client.subscribe(spec.filters, { qos: 1 }, (err) => {
        if (err && !stopping) log.error({ err: String(err), filters: spec.filters }, 'subscribe failed');
      });
    }
  });
  const lost = (why: string) => {
    metrics.brokerConnected.set(0);
    if (!connectedOnce || stopping) return;
    if (!outage) log.warn({ broker: opts.mqttUrl, why }, 'broker connection lost; reconnecting with backoff');
    outage = true;
    client.options.reconnectPeriod = Math.min((client.options.reconnectPeriod ?? 1000) * 2, 30_000);
  };
  client.on('offline', () => lost('offline'));
  client.on('close', () => lost('closed'));
  client.on('error', (err) => {
    if (connectedOnce && !outage && !stopping) log.warn({ err: String(err) }, 'broker error');
  });

  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => {
      client.removeListener('connect', ok);
      client.end(true);
      reject(new StartupError(`MQTT broker at ${opts.mqttUrl} is not reachable (${err.message}): start the broker or point --mqtt / MQTT_URL at it`, { cause: err }));
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
    await ingestor.close();
    throw err;
  });
  // Subscribe before returning, so that nothing published after start-up is missed on a fresh session.
  try {
    const granted = await client.subscribeAsync(spec.filters, { qos: 1 });
    const refused = granted.filter((g) => g.qos > 2);
    if (refused.length > 0) throw new Error(`the broker refused ${refused.map((g) => g.topic).join(', ')}`);
  } catch (err) {
    client.end(true);
    await ingestor.close();
    throw new StartupError(`MQTT broker at ${opts.mqttUrl} refused the subscription (${(err as Error).message}): check its ACL${opts.shareGroup ? ' and that it supports shared subscriptions ($share, not aedes)' : ''}`, { cause: err });
  }
  connectedOnce = true;
  log.info({ filters: spec.filters }, 'collector subscribed');

  return {
    ingestor,
    async stop() {
      if (stopping) return;
      stopping = true;
      // A graceful end sends the acknowledgements already due; a broker that is gone gets 2 s, then the socket closes.
      await Promise.race([client.endAsync(false).catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
      if (client.connected) client.end(true);
      await ingestor.close();
    },
  };
}
