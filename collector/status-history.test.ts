/**
 * Status transitions stored by a running collector (decision 0409) over the in-process aedes broker into the
 * embedded store: a device's changes once each (not its re-publications), a gateway's birth and its last will
 * published by the broker, bad status payloads dead-lettered and counted, and no duplicate rows when a restarted
 * collector receives the retained statuses again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../app/broker.ts';
import { topics, type DeadLetter, type DeviceStatus, type GatewayStatus } from '../core/contract/v1.ts';
import { MEASUREMENT } from '../core/measurements.ts';
import { openEmbeddedStorage } from '../storage/embedded/store.ts';
import { waitFor } from '../test/harness/ports.ts';
import { startCollector } from './runtime.ts';
import { collectorTestSite } from './testing/site.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

describe('status transitions in storage', () => {
  it('stores device and gateway transitions once, the last will included, and dead-letters bad statuses', async () => {
    const SITE = 'status-hist';
    const site = collectorTestSite(SITE);
    const broker = await startEmbeddedBroker(0);
    cleanups.push(() => broker.stop());
    const dir = mkdtempSync(join(tmpdir(), 'jieneng-status-hist-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
    cleanups.push(() => storage.close());
    const start = () => startCollector({ site, mqttUrl: broker.url, storage, dataDir: join(dir, 'collector'), clientId: 'status-hist' });
    let collector = await start();

    const watcher = await mqtt.connectAsync(broker.url, { clientId: 'status-hist-watch' });
    cleanups.push(() => watcher.endAsync());
    const dead: DeadLetter[] = [];
    await watcher.subscribeAsync(topics.deadLetter(SITE), { qos: 1 });
    watcher.on('message', (_t, m) => dead.push(JSON.parse(m.toString()) as DeadLetter));

    // the "gateway": a client with the retained offline will, as gateway/publisher.ts connects
    const t0 = Date.now() - 60_000;
    const will: GatewayStatus = { v: 1, online: false, ts: t0 };
    const gw = await mqtt.connectAsync(broker.url, { clientId: 'status-hist-gw1', reconnectPeriod: 0, will: { topic: topics.gatewayStatus(SITE, 'gw1'), payload: Buffer.from(JSON.stringify(will)), qos: 1, retain: true } });
    const pub = (topic: string, body: unknown) => gw.publishAsync(topic, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1, retain: true });
    await pub(topics.gatewayStatus(SITE, 'gw1'), { v: 1, online: true, ts: t0 + 1000, heartbeat_s: 60 } satisfies GatewayStatus);
    await pub(topics.gatewayStatus(SITE, 'gw1'), { v: 1, online: true, ts: t0 + 2000, heartbeat_s: 60 } satisfies GatewayStatus); // heartbeat
    const main = topics.deviceStatus(SITE, 'gw1', 'main');
    await pub(main, { v: 1, online: true, state: 'online', ts: t0 + 1000 } satisfies DeviceStatus);
    const degraded: DeviceStatus = { v: 1, online: true, state: 'degraded', ts: t0 + 5000, error: 'every point bad' };
    await pub(main, degraded);
    await pub(main, degraded); // published again on a reconnect: no new row
    await pub(topics.deviceStatus(SITE, 'gw1', 'lighting'), 'not json');
    await pub(topics.deviceStatus(SITE, 'gw1', 'ghost'), { v: 1, online: true, ts: t0 });
    await pub(topics.deviceStatus(SITE, 'gw1', 'hvac'), { v: 1, online: 'yes', ts: t0 });
    await pub(topics.deviceStatus(SITE, 'gw1', 'lighting'), ''); // clearing a retained topic: nothing

    const rows = async (measurement: string) => storage.raw({ measurement, from: t0 - 1000, to: Date.now() + 1000 });
    await waitFor('two device rows', async () => (await rows(MEASUREMENT.deviceStatus)).length === 2, 10_000);
    await waitFor('three dead letters', () => dead.length === 3, 10_000);
    expect(dead.map((d) => d.reason).sort()).toEqual(['not_json', 'schema', 'unknown_device']);
    const device = await rows(MEASUREMENT.deviceStatus);
    expect(device.map((r) => [r.time, r.tags.device, r.tags.building, r.fields.state_code, r.fields.label, r.fields.reason]))
      .toEqual([[t0 + 1000, 'main', 'b1', 2, '在线', ''], [t0 + 5000, 'main', 'b1', 1, '降级', 'every point bad']]);
    await waitFor('dead letters counted by gateway', async () => (await rows(MEASUREMENT.deadLetter)).filter((r) => r.tags.gateway === 'gw1').length === 3, 10_000);

    // the gateway vanishes: the broker publishes its will, older than its birth
    gw.stream.destroy();
    await waitFor('the will stored', async () => (await rows(MEASUREMENT.gatewayStatus)).length === 2, 10_000);
    const gateway = await rows(MEASUREMENT.gatewayStatus);
    expect(gateway.map((r) => [r.tags.gateway, r.fields.state, r.fields.state_code, r.fields.reason]))
      .toEqual([['gw1', 'online', 2, ''], ['gw1', 'offline', 0, 'last_will']]);
    expect(gateway[0].time).toBe(t0 + 1000);
    gw.end(true);

    // restarted: the retained device statuses arrive again and rewrite the same rows
    await collector.stop();
    collector = await start();
    cleanups.push(() => collector.stop());
    await new Promise((r) => setTimeout(r, 500));
    await collector.flush();
    expect((await rows(MEASUREMENT.deviceStatus)).length).toBe(2);
  });
});
