/**
 * Alerting in a running collector over a real (in-process aedes) broker: readings published by a "gateway"
 * reach the evaluator through the collector's ingest path, retained device and gateway statuses drive the
 * device-state rule, and every transition reaches a local webhook receiver that checks its signature.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCollector } from '../collector/runtime.ts';
import { topics, type DeviceStatus, type GatewayStatus } from '../core/contract/v1.ts';
import { waitFor } from '../test/harness/ports.ts';
import { checkAlertRules } from './rules/load.ts';
import type { RunningAlerts } from './runtime.ts';
import { startAlertRig, type AlertRig } from './testing/collector-rig.ts';
import type { Receiver } from './testing/receiver.ts';
import { alertTestSite } from './testing/site.ts';

const SITE = 'alert-rt';
const site = alertTestSite(SITE);
const SECRETS = { wecomKey: 'k', dingtalkToken: 't', dingtalkSecret: 's', feishuHook: 'f', feishuSecret: 'f', webhookSecret: 'hook-secret' };

let rig: AlertRig;
let receiver: Receiver;
let alerts: RunningAlerts;
let collector: RunningCollector;
let pub: MqttClient;
let seq = 0;

beforeAll(async () => {
  rig = await startAlertRig(SITE, site, SECRETS, (_dir, r, brokerUrl) => ({
    config: checkAlertRules({
      version: 1,
      channels: [{ id: 'hook', type: 'webhook', url: r.urls.webhook, secret: SECRETS.webhookSecret }],
      default_channels: ['hook'],
      rules: [
        { id: 'hvac-power', kind: 'threshold', name: '空调功率过高', severity: 'major', scope: { device: ['hvac'] }, point: 'power_kw', above: 500 },
        { id: 'offline', kind: 'device_state', name: '设备离线', severity: 'critical', states: ['offline', 'degraded'], keep_firing_for: '0s' },
      ],
    }, site),
    mqttUrl: brokerUrl, tickMs: 100, pollMs: 100,
  }));
  ({ receiver, alerts, collector, pub } = rig);
});
afterAll(async () => { await rig.stop(); });

const bodies = () => receiver.received.map((r) => r.body as { rule: string; device: string; state: string; message: string });

describe('alerting in a running collector', () => {
  it('a reading above the threshold, published to the broker, reaches the webhook once', async () => {
    for (const kw of [100, 650, 700]) {
      const ts = Date.now();
      await pub.publishAsync(topics.readings(SITE, 'gw1'), JSON.stringify({
        v: 1, site: SITE, gateway: 'gw1', seq: seq++, sent_ts: ts, readings: [{ device: 'hvac', ts, points: { power_kw: { value: kw, quality: 'good' } } }],
      }), { qos: 1 });
    }
    await waitFor('the firing notification', () => bodies().some((b) => b.rule === 'hvac-power'));
    await collector.flush();
    expect(bodies().filter((b) => b.rule === 'hvac-power')).toEqual([expect.objectContaining({ device: 'hvac', state: 'firing', message: expect.stringContaining('650 kW') })]);
    expect(receiver.refused).toEqual([]);
  });

  it("a device the gateway reports offline, then its gateway's last will, fire the device-state rule", async () => {
    const device: DeviceStatus = { v: 1, online: false, state: 'offline', ts: Date.now(), error: 'no answer' };
    await pub.publishAsync(topics.deviceStatus(SITE, 'gw2', 'water'), JSON.stringify(device), { qos: 1, retain: true });
    await waitFor('water offline', () => bodies().some((b) => b.rule === 'offline' && b.device === 'water'));
    await pub.publishAsync(topics.deviceStatus(SITE, 'gw2', 'water'), JSON.stringify({ ...device, online: true, state: 'online' }), { qos: 1, retain: true });
    await waitFor('water resolved', () => bodies().some((b) => b.rule === 'offline' && b.device === 'water' && b.state === 'resolved'));

    const gateway: GatewayStatus = { v: 1, online: false, ts: Date.now() };
    await pub.publishAsync(topics.gatewayStatus(SITE, 'gw1'), JSON.stringify(gateway), { qos: 1, retain: true });
    await waitFor('gw1 devices offline', () => bodies().filter((b) => b.rule === 'offline' && b.state === 'firing').length === 4);
    expect(bodies().filter((b) => b.rule === 'offline' && b.state === 'firing').map((b) => b.device).sort()).toEqual(['hvac', 'lighting', 'main', 'water']);
    expect(bodies().find((b) => b.device === 'main')!.message).toBe('【严重告警】一号楼 总表：离线 — 设备离线');
  });
});
