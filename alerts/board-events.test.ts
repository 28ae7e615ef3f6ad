/**
 * Alert transitions copied to storage for the boards (decision 0409), through the real path: a device the gateway
 * reports offline over the in-process aedes broker fires the device-state rule, an acknowledgement is written to
 * the alerts' file by another handle (as the API process does), the device comes back; the embedded store then
 * holds firing, acknowledged and resolved rows with their Chinese summaries. A store that refuses writes neither
 * delays the notification nor loses a row: the failure is counted and the copy catches up once it can write.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../app/broker.ts';
import { topics, type DeviceStatus } from '../core/contract/v1.ts';
import { MEASUREMENT } from '../core/measurements.ts';
import { openEmbeddedStorage } from '../storage/embedded/store.ts';
import { waitFor } from '../test/harness/ports.ts';
import { BoardEvents, boardWriteFailures } from './board-events.ts';
import { checkAlertRules } from './rules/load.ts';
import { startAlerts } from './runtime.ts';
import { AlertStore } from './store.ts';
import { startReceiver, type Receiver } from './testing/receiver.ts';
import { alertTestSite } from './testing/site.ts';

const SITE = 'alert-board';
const site = alertTestSite(SITE);
const SECRETS = { wecomKey: 'k', dingtalkToken: 't', dingtalkSecret: 's', feishuHook: 'f', feishuSecret: 'f', webhookSecret: 'hook-secret' };

let dir: string;
let broker: Awaited<ReturnType<typeof startEmbeddedBroker>>;
let receiver: Receiver;
let pub: MqttClient;

const config = () => checkAlertRules({
  version: 1,
  channels: [{ id: 'hook', type: 'webhook', url: receiver.urls.webhook, secret: SECRETS.webhookSecret }],
  default_channels: ['hook'],
  rules: [{ id: 'offline', kind: 'device_state', name: '设备离线', severity: 'critical', states: ['offline'], keep_firing_for: '0s' }],
}, site);
const status = (device: string, gateway: string, online: boolean) => pub.publishAsync(topics.deviceStatus(SITE, gateway, device),
  JSON.stringify({ v: 1, online, state: online ? 'online' : 'offline', ts: Date.now() } satisfies DeviceStatus), { qos: 1, retain: true });
const bodies = () => receiver.received.map((r) => r.body as { rule: string; device: string; state: string });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jieneng-alert-board-'));
  broker = await startEmbeddedBroker(0, '127.0.0.1');
  receiver = await startReceiver(SECRETS);
  pub = await mqtt.connectAsync(broker.url, { clientId: 'alert-board-gateway' });
});
afterAll(async () => {
  await pub.endAsync();
  await broker.stop();
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('alert transitions on the boards', () => {
  it('stores firing, acknowledged and resolved rows with the Chinese summary', async () => {
    const storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
    const alerts = startAlerts({ site, config: config(), dataDir: join(dir, 'a'), mqttUrl: broker.url, storage, tickMs: 100, pollMs: 100, boardEveryMs: 100 });
    try {
      const t0 = Date.now() - 1000;
      await status('water', 'gw2', false);
      await waitFor('the firing notification', () => bodies().some((b) => b.device === 'water' && b.state === 'firing'));
      const api = new AlertStore(join(dir, 'a', 'alerts')); // the API's handle on the same file
      api.acknowledge(api.firingNow()[0].id, 'tech-wang', '已派人', Date.now());
      api.close();
      await status('water', 'gw2', true);
      const rows = async () => storage.raw({ measurement: MEASUREMENT.alertEvent, from: t0, to: Date.now() + 1000 });
      await waitFor('three rows', async () => (await rows()).length === 3, 10_000);
      const got = await rows();
      expect(got.map((r) => r.fields.state).sort()).toEqual(['acknowledged', 'firing', 'resolved']);
      const firing = got.find((r) => r.fields.state === 'firing')!;
      expect(firing.tags).toEqual({ site: SITE, rule: 'offline', severity: 'critical', building: 'b2', device: 'water' });
      expect(firing.fields.summary).toBe('【严重告警】二号楼 水表：离线 — 设备离线');
      expect(firing.fields.state_code).toBe(2);
      expect(got.find((r) => r.fields.state === 'acknowledged')!.fields.summary).toMatch(/^【已确认】【严重告警】.*（tech-wang：已派人）$/);
      // nothing new: a round writes nothing again
      expect(await alerts.board!.round()).toBe(0);

      // acknowledged only after it resolved: the acknowledgement's row says resolved (0), so it is not "firing now"
      await status('hvac', 'gw1', false);
      await waitFor('hvac firing', () => bodies().some((b) => b.device === 'hvac' && b.state === 'firing'));
      await status('hvac', 'gw1', true);
      await waitFor('hvac resolved', () => bodies().some((b) => b.device === 'hvac' && b.state === 'resolved'));
      const late = new AlertStore(join(dir, 'a', 'alerts'));
      late.acknowledge(late.findEvents({ transition: 'firing' }).find((e) => e.device === 'hvac')!.id, 'tech-li', '', Date.now() + 1000);
      late.close();
      await waitFor('six rows', async () => (await rows()).length === 6, 10_000);
      const hvac = (await rows()).filter((r) => r.tags.device === 'hvac');
      expect(hvac.map((r) => [r.fields.state, r.fields.state_code])).toEqual([['firing', 2], ['resolved', 0], ['acknowledged', 0]]);
    } finally {
      await alerts.stop();
      await storage.close();
    }
  });

  it('a store that refuses writes: the notification goes out, the failure is counted, the copy catches up later', async () => {
    const broken = openEmbeddedStorage({ path: join(dir, 'broken.sqlite') });
    await broken.close(); // every write now fails
    const before = (await boardWriteFailures.get()).values[0]?.value ?? 0;
    const alerts = startAlerts({ site, config: config(), dataDir: join(dir, 'b'), mqttUrl: broker.url, storage: broken, tickMs: 100, pollMs: 100, boardEveryMs: 100 });
    const t0 = Date.now() - 1000;
    try {
      await status('main', 'gw1', false);
      await waitFor('the firing notification', () => bodies().some((b) => b.device === 'main' && b.state === 'firing'));
      await waitFor('failures counted', async () => ((await boardWriteFailures.get()).values[0]?.value ?? 0) > before, 10_000);
    } finally {
      await alerts.stop();
    }
    // storage back: the next copier over the same file writes what the failed rounds could not
    const storage = openEmbeddedStorage({ path: join(dir, 'store-b.sqlite') });
    const store = new AlertStore(join(dir, 'b', 'alerts'));
    try {
      expect(await new BoardEvents({ store, storage, site: SITE }).round()).toBe(1);
      const rows = await storage.raw({ measurement: MEASUREMENT.alertEvent, from: t0, to: Date.now() + 1000 });
      expect(rows.map((r) => [r.tags.device, r.fields.state])).toEqual([['main', 'firing']]);
    } finally {
      store.close();
      await storage.close();
      await status('main', 'gw1', true);
    }
  });
});
