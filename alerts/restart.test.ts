/**
 * From a reading to a technician's robot, across restarts: the collector's ingestor with the evaluator as its
 * observer, the notifier and a local DingTalk-like receiver that checks the signature. A restart mid-alert loses
 * nothing and repeats nothing; a flapping signal notifies once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIngestor, type Ingestor } from '../collector/ingest.ts';
import { openEmbeddedStorage } from '../storage/embedded/store.ts';
import type { Storage } from '../storage/port.ts';
import { createSender } from './channels/index.ts';
import { AlertEvaluator } from './engine/evaluator.ts';
import { Notifier } from './notifier.ts';
import { checkAlertRules, type AlertConfig } from './rules/load.ts';
import { AlertStore } from './store.ts';
import { startReceiver, type Receiver } from './testing/receiver.ts';
import { alertTestSite } from './testing/site.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 2, 0);
const site = alertTestSite('test-site');
const SECRETS = { wecomKey: 'k', dingtalkToken: 'tok', dingtalkSecret: 'SECrestart', feishuHook: 'f', feishuSecret: 'f', webhookSecret: 'w' };

let receiver: Receiver;
let config: AlertConfig;
let dir: string;
let storage: Storage;
let parts: { store: AlertStore; evaluator: AlertEvaluator; notifier: Notifier; ingestor: Ingestor } | undefined;
let clock = T0;
let seq = 0;

function start() {
  const store = new AlertStore(join(dir, 'alerts'));
  const notifier = new Notifier({ store, channels: config.channels, senders: new Map([...config.channels].map(([id, c]) => [id, createSender(c)])) });
  const evaluator = new AlertEvaluator({ config, site, store, now: () => clock });
  const ingestor = createIngestor({ site, storage, stateDir: join(dir, 'state'), now: () => clock, observer: evaluator });
  parts = { store, evaluator, notifier, ingestor };
  return parts;
}
async function stop() {
  if (!parts) return;
  await parts.notifier.stop();
  parts.evaluator.stop();
  await parts.ingestor.close();
  parts.store.close();
  parts = undefined;
}
async function power(second: number, kw: number) {
  clock = T0 + second * 1000;
  await parts!.ingestor.ingest({ v: 1, site: 'test-site', gateway: 'gw1', seq: seq++, sent_ts: clock, readings: [{ device: 'hvac', ts: clock, points: { power_kw: { value: kw, quality: 'good' } } }] });
}
const texts = () => receiver.received.map((r) => (r.body.markdown as { text: string }).text);

beforeAll(async () => {
  receiver = await startReceiver(SECRETS);
  config = checkAlertRules({
    version: 1,
    channels: [{ id: 'ops', type: 'dingtalk', url: receiver.urls.dingtalk, secret: SECRETS.dingtalkSecret }],
    default_channels: ['ops'],
    rules: [{ id: 'hvac-power', kind: 'threshold', name: '空调功率过高', severity: 'major', scope: { device: ['hvac'] }, point: 'power_kw', above: 500, recover: 450, keep_firing_for: '1m' }],
  }, site);
});
afterAll(() => receiver.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jieneng-alert-restart-'));
  storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
  receiver.received.length = 0;
  clock = T0;
});
afterEach(async () => {
  await stop();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('alerts across restarts', () => {
  it('a restart mid-alert neither loses the firing alert nor notifies it twice', async () => {
    let p = start();
    await power(0, 600);
    await p.notifier.drain();
    expect(texts()).toEqual([expect.stringContaining('【重要告警】一号楼 空调：power_kw = 600 kW')]);
    await stop();

    p = start();
    for (let s = 60; s <= 120; s += 30) await power(s, 620); // still above: the same alert
    await p.notifier.drain();
    expect(receiver.received).toHaveLength(1);
    await power(150, 100);
    await power(210, 100); // clear for 1 min: resolved
    await p.notifier.drain();
    expect(texts()).toHaveLength(2);
    expect(texts()[1]).toContain('【重要恢复】');
    expect(receiver.refused).toEqual([]);
  });

  it('a notification not yet delivered when the process stops is delivered once after the restart', async () => {
    start();
    await power(0, 600); // firing; the notifier never ran
    await stop();
    expect(receiver.received).toHaveLength(0);
    const p = start();
    await p.notifier.drain();
    await p.notifier.drain();
    expect(receiver.received).toHaveLength(1);
    expect(p.store.notificationCounts()).toEqual({ sent: 1 });
  });

  it('a signal crossing its threshold 50 times in 10 minutes notifies once', async () => {
    const p = start();
    for (let k = 0; k < 50; k++) {
      await power(k * 12, 600);
      await power(k * 12 + 6, 300);
    }
    await p.notifier.drain();
    expect(texts()).toHaveLength(1);
    expect(texts()[0]).toContain('【重要告警】');
  });
});
