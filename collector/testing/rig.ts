/**
 * A collector on an in-process aedes broker, writing to a fresh embedded store, with a publisher that also
 * listens to the dead-letter topic: the real path of a message (MQTT, acknowledgement, commit, storage).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startEmbeddedBroker } from '../../app/broker.ts';
import { topics, type DeadLetter, type ReadingBatch } from '../../core/contract/v1.ts';
import type { SiteModel } from '../../core/site/schema.ts';
import { openEmbeddedStorage } from '../../storage/embedded/store.ts';
import type { Storage } from '../../storage/port.ts';
import { startCollector, type CollectorOptions, type RunningCollector } from '../runtime.ts';
import { collectorTestSite } from './site.ts';

/** A running rig; `stop()` ends everything it started and removes its files. */
export interface CollectorRig {
  site: SiteModel;
  storage: Storage;
  collector: RunningCollector;
  /** the collector's state directory */
  dataDir: string;
  pub: MqttClient;
  /** dead letters received so far */
  dead: DeadLetter[];
  /** publish (QoS 1) a batch or raw text on a gateway's readings topic */
  publish(gateway: string, payload: ReadingBatch | string | Buffer): Promise<void>;
  stop(): Promise<void>;
}

/** Start a rig for site `siteId` (`collectorTestSite`), with collector ingestion options. */
export async function startCollectorRig(siteId: string, ingest?: CollectorOptions['ingest'], brokerOptions?: { maxMessageBytes?: number }): Promise<CollectorRig> {
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-rig-'));
  const broker = await startEmbeddedBroker(0, '127.0.0.1', brokerOptions);
  const storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
  const site = collectorTestSite(siteId);
  const dataDir = join(dir, 'collector');
  const collector = await startCollector({ site, mqttUrl: broker.url, storage, dataDir, clientId: `rig-${siteId}`, ingest });
  const pub = await mqtt.connectAsync(broker.url, { clientId: `rig-pub-${siteId}` });
  const dead: DeadLetter[] = [];
  await pub.subscribeAsync(topics.deadLetter(siteId), { qos: 1 });
  pub.on('message', (_t, m) => dead.push(JSON.parse(m.toString()) as DeadLetter));
  return {
    site, storage, collector, dataDir, pub, dead,
    async publish(gateway, payload) {
      const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
      await pub.publishAsync(topics.readings(siteId, gateway), body, { qos: 1 });
    },
    async stop() {
      await pub.endAsync();
      await collector.stop();
      await broker.stop();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
