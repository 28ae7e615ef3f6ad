/**
 * A running collector with alerting for an alert test: an in-process aedes broker, an embedded store, the signing
 * webhook receiver, `startAlerts` with the options the test gives (once the folder and the receiver exist, so a
 * rules file can name the receiver) and a collector feeding it; a publisher stands in for the gateways.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startEmbeddedBroker } from '../../app/broker.ts';
import { startCollector, type RunningCollector } from '../../collector/runtime.ts';
import type { SiteModel } from '../../core/site/schema.ts';
import { openEmbeddedStorage } from '../../storage/embedded/store.ts';
import type { Storage } from '../../storage/port.ts';
import { startAlerts, type AlertsOptions, type RunningAlerts } from '../runtime.ts';
import { startReceiver, type Receiver, type ReceiverSecrets } from './receiver.ts';

export interface AlertRig {
  /** the test's folder (the collector's state is in `collector/`) */
  dir: string;
  brokerUrl: string;
  storage: Storage;
  receiver: Receiver;
  alerts: RunningAlerts;
  collector: RunningCollector;
  /** a client publishing as the gateways */
  pub: MqttClient;
  stop(): Promise<void>;
}

/** Start the rig; `alertOptions` gets the folder and the receiver and returns what `startAlerts` needs beyond the site and folder. */
export async function startAlertRig(name: string, site: SiteModel, secrets: ReceiverSecrets,
  alertOptions: (dir: string, receiver: Receiver, brokerUrl: string) => Omit<AlertsOptions, 'site' | 'dataDir'>): Promise<AlertRig> {
  const dir = mkdtempSync(join(tmpdir(), `jieneng-${name}-`));
  const broker = await startEmbeddedBroker(0, '127.0.0.1');
  const storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
  const receiver = await startReceiver(secrets);
  const alerts = startAlerts({ site, dataDir: join(dir, 'collector'), ...alertOptions(dir, receiver, broker.url) });
  const collector = await startCollector({ site, mqttUrl: broker.url, storage, dataDir: join(dir, 'collector'), clientId: name, alerts: alerts.evaluator });
  const pub = await mqtt.connectAsync(broker.url, { clientId: `${name}-gateway` });
  return {
    dir, brokerUrl: broker.url, storage, receiver, alerts, collector, pub,
    async stop() {
      await pub.endAsync();
      await collector.stop();
      await alerts.stop();
      await broker.stop();
      await storage.close();
      await receiver.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
