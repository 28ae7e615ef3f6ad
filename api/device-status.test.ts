/**
 * Device state in the API comes from the gateway's retained statuses, with telemetry age only as a fallback
 * (issue 12 defect 7): statuses published as a gateway publishes them, through a real broker (aedes) to the API's
 * status feed, and end to end from a real gateway polling a Modbus simulator. Responses checked against OpenAPI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../app/broker.ts';
import { topics, type DeviceStatus, type GatewayStatus } from '../core/contract/v1.ts';
import { checkSite } from '../core/site/load.ts';
import { loadTemplate } from '../gateway/devices/templates.ts';
import type { ModbusTemplate } from '../gateway/protocols/modbus/template.ts';
import { startGateway } from '../gateway/runtime.ts';
import { fixedDevice, sampleValues } from '../simulators/modbus/fixed-device.ts';
import { startModbusSimulator } from '../simulators/modbus/server.ts';
import { openStorage } from '../storage/index.ts';
import type { Storage } from '../storage/port.ts';
import { waitFor } from '../test/harness/ports.ts';
import { assertMatchesOpenApi } from './openapi-check.ts';
import { startApi } from './server.ts';
import { startStatusFeed, type StatusFeed } from './status-feed.ts';
import { fixtureSite, testKeys } from './testing/fixture.ts';

const keys = testKeys();

interface DeviceBody { id: string; online: boolean; status: string; status_source: string; status_reason?: string; status_since?: string }

describe('device state from the gateway status', () => {
  let broker: EmbeddedBroker;
  let storage: Storage;
  let dir: string;
  let feed: StatusFeed;
  let base = '';
  let stopApi: () => Promise<void> = async () => {};
  let gw: MqttClient;
  const site = fixtureSite();
  const publish = async (topic: string, msg: GatewayStatus | DeviceStatus) => { await gw.publishAsync(topic, JSON.stringify(msg), { qos: 1, retain: true }); };
  const gwTopic = topics.gatewayStatus(site.site.id, 'gw1');
  const devTopic = (id: string) => topics.deviceStatus(site.site.id, 'gw1', id);

  beforeAll(async () => {
    broker = await startEmbeddedBroker(0);
    dir = mkdtempSync(join(tmpdir(), 'jieneng-api-status-'));
    storage = await openStorage({ kind: 'embedded', path: join(dir, 'store.sqlite') });
    const now = Date.now();
    // m1 reported 10 s ago; hvac1 (all COV, nothing changed) has not reported for an hour; m3 reported 10 s ago
    await storage.write(['m1', 'm3'].map((device) => ({
      measurement: 'telemetry', tags: { site: site.site.id, building: 'b1', gateway: 'gw1', device, point: 'power_kw', quality: 'good' }, fields: { value: 1 }, time: now - 10_000,
    })));
    await storage.flush();
    gw = await mqtt.connectAsync(broker.url, { clientId: 'as-a-gateway' });
    feed = startStatusFeed({ url: broker.url, site: site.site.id });
    const api = await startApi({ site, storage, port: 0, statusFeed: feed, security: keys.security });
    base = `http://127.0.0.1:${api.port}`;
    stopApi = api.stop;
  });
  afterAll(async () => {
    await stopApi();
    await feed?.stop();
    await gw?.endAsync();
    await storage?.close();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function devices(): Promise<Map<string, DeviceBody>> {
    const res = await fetch(`${base}/api/v1/devices`, { headers: keys.headers('technician') });
    const body = await res.json() as DeviceBody[];
    assertMatchesOpenApi('get', '/api/v1/devices', res.status, body);
    return new Map(body.map((d) => [d.id, d]));
  }

  it('a quiet device the gateway says online is online; a dead one is offline at once; degraded carries its reason', async () => {
    const t = Date.now();
    await publish(gwTopic, { v: 1, online: true, ts: t, heartbeat_s: 60 });
    await publish(devTopic('hvac1'), { v: 1, online: true, state: 'online', ts: t - 3_600_000 });
    await publish(devTopic('m1'), { v: 1, online: false, state: 'offline', ts: t - 2000, error: 'no answer from unit 1 on 127.0.0.1:15021' });
    await publish(devTopic('m2'), { v: 1, online: true, state: 'degraded', ts: t - 5000, error: 'every point bad (12 of 12): ILLEGAL DATA ADDRESS' });
    await waitFor('the feed', () => feed.device('gw1', 'm2') !== undefined && feed.device('gw1', 'm1') !== undefined && feed.device('gw1', 'hvac1') !== undefined);
    const d = await devices();
    expect(d.get('hvac1')).toMatchObject({ online: true, status: 'online', status_source: 'gateway' });
    expect(d.get('m1')).toMatchObject({ online: false, status: 'offline', status_source: 'gateway', status_reason: 'no answer from unit 1 on 127.0.0.1:15021' });
    expect(d.get('m2')).toMatchObject({ online: true, status: 'degraded', status_source: 'gateway', status_reason: 'every point bad (12 of 12): ILLEGAL DATA ADDRESS' });
    expect(d.get('m2')!.status_since).toMatch(/\+08:00$/);
    // no device status from the gateway: telemetry age decides (10 s old: online)
    expect(d.get('m3')).toMatchObject({ online: true, status: 'online', status_source: 'telemetry' });

    const res = await fetch(`${base}/api/v1/devices/m1/latest`, { headers: keys.headers('technician') });
    const latest = await res.json() as DeviceBody & { points: unknown[] };
    assertMatchesOpenApi('get', '/api/v1/devices/{id}/latest', res.status, latest);
    expect(latest).toMatchObject({ online: false, status: 'offline', status_source: 'gateway' });
    expect(latest.points).toHaveLength(1);
  });

  it('a stale heartbeat falls back to telemetry age; an offline gateway makes its devices offline', async () => {
    const t = Date.now();
    await publish(gwTopic, { v: 1, online: true, ts: t - 10 * 60_000, heartbeat_s: 60 });
    await waitFor('stale status', () => feed.gateway('gw1')!.status.ts < t - 60_000);
    let d = await devices();
    expect(d.get('m1')).toMatchObject({ online: true, status_source: 'telemetry' });
    expect(d.get('hvac1')).toMatchObject({ online: false, status_source: 'telemetry' });

    await publish(gwTopic, { v: 1, online: false, ts: t });
    await waitFor('offline gateway', () => feed.gateway('gw1')!.status.online === false);
    d = await devices();
    for (const id of ['m1', 'm2', 'm3', 'hvac1']) expect(d.get(id)).toMatchObject({ online: false, status: 'offline', status_source: 'gateway', status_reason: 'gateway gw1 offline' });
  });

  it('without the broker the feed is not current: telemetry age decides', async () => {
    await publish(gwTopic, { v: 1, online: true, ts: Date.now(), heartbeat_s: 60 });
    await waitFor('online gateway', () => feed.gateway('gw1')!.status.online);
    expect((await devices()).get('m1')!.status_source).toBe('gateway');
    await broker.stop();
    await waitFor('feed down', () => !feed.connected());
    const d = await devices();
    expect(d.get('m1')).toMatchObject({ online: true, status: 'online', status_source: 'telemetry' });
    expect(d.get('hvac1')).toMatchObject({ online: false, status_source: 'telemetry' });
  });
});

describe('device state end to end from a real gateway', () => {
  it('a meter answering every read with an exception is degraded in the API, with the reason', async () => {
    const chint = loadTemplate('chint-dtsu666') as ModbusTemplate;
    const sim = await startModbusSimulator({ units: new Map([
      [1, { template: chint, device: fixedDevice('ok', sampleValues(chint)) }],
      [2, { template: chint, device: fixedDevice('bad', sampleValues(chint)) }],
    ]) });
    sim.setFault(2, { kind: 'exception', code: 2 });
    const broker = await startEmbeddedBroker(0);
    const dir = mkdtempSync(join(tmpdir(), 'jieneng-api-e2e-status-'));
    const meter = (id: string, unit: number) => ({ id, name: id, kind: 'meter', medium: 'electricity', building: 'b1', gateway: 'gw1',
      template: chint.id, address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unit_id: unit } });
    const site = checkSite({
      version: 1, site: { id: 'e2e-status', name: 't', timezone: 'Asia/Shanghai' }, buildings: [{ id: 'b1', name: 'B', floor_area_m2: 1 }],
      gateways: [{ id: 'gw1', poll_interval_s: 1 }], devices: [meter('ok', 1), meter('bad', 2)],
    });
    const storage = await openStorage({ kind: 'embedded', path: join(dir, 'store.sqlite') });
    const feed = startStatusFeed({ url: broker.url, site: 'e2e-status' });
    const api = await startApi({ site, storage, port: 0, statusFeed: feed, security: keys.security });
    const gateway = await startGateway({ site, gatewayId: 'gw1', mqttUrl: broker.url, dataDir: join(dir, 'gw') });
    try {
      let body: DeviceBody[] = [];
      await waitFor('both devices judged by the gateway', async () => {
        const res = await fetch(`http://127.0.0.1:${api.port}/api/v1/devices`, { headers: keys.headers('technician') });
        body = await res.json() as DeviceBody[];
        assertMatchesOpenApi('get', '/api/v1/devices', res.status, body);
        return body.every((d) => d.status_source === 'gateway');
      }, 15_000);
      expect(body.find((d) => d.id === 'ok')).toMatchObject({ online: true, status: 'online' });
      expect(body.find((d) => d.id === 'bad')).toMatchObject({ online: true, status: 'degraded' });
      expect(body.find((d) => d.id === 'bad')!.status_reason).toMatch(/^every point bad \(\d+ of \d+\): ILLEGAL DATA ADDRESS$/);
    } finally {
      await gateway.stop();
      await api.stop();
      await feed.stop();
      await storage.close();
      await broker.stop();
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
