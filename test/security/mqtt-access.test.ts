/**
 * Issue 13, MQTT: the site's accounts (core/mqtt/access.ts) enforced by both brokers — the embedded aedes
 * (app/broker-auth.ts) and a real Mosquitto 2 reading the password and ACL files `jieneng mqtt credentials`
 * writes (so the `$7$` hashes are checked by Mosquitto itself). The same cases run against each: anonymous and
 * wrong passwords refused, a gateway cannot publish as another nor read another's commands, the API reads only
 * statuses, only automation may publish device writes (the collector's writes are refused by broker or gateway), and collector and gateways work end to end with their credentials.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedTotal } from '../../app/broker-auth.ts';
import { startEmbeddedBroker } from '../../app/broker.ts';
import { ensureSiteCredentials, type SiteCredentials } from '../../app/mqtt-credentials.ts';
import { startCollector } from '../../collector/runtime.ts';
import { collectorTestSite } from '../../collector/testing/site.ts';
import { ReadingStream } from '../../collector/testing/stream.ts';
import { topics, type DeadLetter } from '../../core/contract/v1.ts';
import { logger } from '../../core/log.ts';
import { openEmbeddedStorage } from '../../storage/embedded/store.ts';
import { startMosquitto } from '../harness/mosquitto.ts';
import { waitFor } from '../harness/ports.ts';
import { startStreamGateway } from '../harness/stream-gateway.ts';

const dir = mkdtempSync(join(tmpdir(), 'jieneng-mqtt-access-'));
const cleanups: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

interface Broker { kind: 'aedes' | 'mosquitto'; url: string; creds: SiteCredentials; site: string }

async function start(kind: Broker['kind']): Promise<Broker> {
  const site = collectorTestSite(`acl-${kind}-${process.pid}`);
  const creds = ensureSiteCredentials(site, join(dir, kind));
  if (kind === 'aedes') {
    const b = await startEmbeddedBroker(0, '127.0.0.1', { auth: { site: site.site.id, accounts: creds.accounts, passwordHashes: creds.hashes, log: logger('broker') } });
    cleanups.push(() => b.stop());
    return { kind, url: b.url, creds, site: site.site.id };
  }
  const b = await startMosquitto({ extraConfig: ['allow_anonymous false', `password_file ${join(creds.dir, 'passwd')}`, `acl_file ${join(creds.dir, 'acl')}`] });
  cleanups.push(() => b.destroy());
  return { kind, url: b.url, creds, site: site.site.id };
}

const as = (b: Broker, username: string, extra: IClientOptions = {}): IClientOptions => ({
  username, password: b.creds.passwords.get(username), reconnectPeriod: 0, connectTimeout: 5000, ...extra,
});

async function connect(b: Broker, opts: IClientOptions): Promise<MqttClient> {
  const c = await mqtt.connectAsync(b.url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  cleanups.push(() => c.endAsync(true));
  return c;
}

/** Messages a client receives on a filter, collected. */
async function watch(b: Broker, username: string, filter: string): Promise<{ topic: string; payload: string }[]> {
  const seen: { topic: string; payload: string }[] = [];
  const c = await connect(b, as(b, username, { clientId: `watch-${username}-${Math.random().toString(16).slice(2, 8)}` }));
  c.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
  const [g] = await c.subscribeAsync(filter, { qos: 1 });
  expect(g.qos, `${username} may subscribe to ${filter}`).toBeLessThan(3);
  return seen;
}

const refusedCount = async (action: string, username: string) =>
  (await refusedTotal.get()).values.find((v) => v.labels.action === action && v.labels.username === username)?.value ?? 0;

describe.each(['aedes', 'mosquitto'] as const)('MQTT accounts on %s', (kind) => {
  let b: Broker;
  beforeAll(async () => { b = await start(kind); });

  it('refuses anonymous clients and wrong passwords; accepts each account', async () => {
    await expect(mqtt.connectAsync(b.url, { reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toThrow(/Not authorized|Bad username or password/i);
    await expect(mqtt.connectAsync(b.url, { username: 'gateway-gw1', password: 'not-the-password', reconnectPeriod: 0, connectTimeout: 5000 }))
      .rejects.toThrow(/Not authorized|Bad username or password/i);
    for (const a of b.creds.accounts) (await connect(b, as(b, a.username))).end(true);
  });

  it('a gateway publishing as another is refused; its own topics pass', async () => {
    const seen = await watch(b, 'monitor', `jieneng/v1/${b.site}/#`);
    const dead = await watch(b, 'monitor', topics.deadLetter(b.site));
    const before = await refusedCount('publish', 'gateway-gw1');
    const gw1 = await connect(b, as(b, 'gateway-gw1', { clientId: `gw1-${kind}` }));
    const forged = JSON.stringify({ v: 1, site: b.site, gateway: 'gw2', seq: 0, sent_ts: Date.now(), readings: [] });
    // aedes closes the connection of a refused publish; Mosquitto acknowledges and drops it (MQTT 3.1.1 has no NACK)
    const sent = gw1.publishAsync(topics.readings(b.site, 'gw2'), forged, { qos: 1 }).catch(() => undefined);
    if (kind === 'aedes') await waitFor('the impersonator disconnected', () => !gw1.connected, 5000);
    else await sent;
    const gw1again = kind === 'aedes' ? await connect(b, as(b, 'gateway-gw1', { clientId: `gw1b-${kind}` })) : gw1;
    await gw1again.publishAsync(topics.gatewayStatus(b.site, 'gw1'), '{"v":1,"online":true,"ts":1}', { qos: 1 });
    await waitFor('own status delivered', () => seen.some((m) => m.topic === topics.gatewayStatus(b.site, 'gw1')), 5000);
    expect(seen.filter((m) => m.topic === topics.readings(b.site, 'gw2'))).toEqual([]);
    if (kind === 'aedes') {
      expect(await refusedCount('publish', 'gateway-gw1')).toBe(before + 1);
      await waitFor('impersonation dead letter', () => dead.length > 0, 5000);
      expect(JSON.parse(dead[0].payload) as DeadLetter).toMatchObject({ reason: 'impersonation', topic: topics.readings(b.site, 'gw2'), payload: forged });
    }
  });

  it('subscriptions: a gateway receives only its command topic, the API only statuses', async () => {
    // aedes refuses a filter outside the account (SUBACK 0x80); Mosquitto 2.0 grants it and delivers only what
    // the ACL lets the account read: either way nothing outside the account arrives
    const received = async (username: string, filters: string[]) => {
      const c = await connect(b, as(b, username));
      const got: string[] = [];
      c.on('message', (topic) => got.push(topic));
      for (const f of filters) {
        const granted = await c.subscribeAsync(f, { qos: 1 }).then((g) => g[0].qos, () => 128);
        if (kind === 'aedes') expect(granted, `${username} subscribing to ${f}`).toBe(f === filters[0] ? 1 : 128);
      }
      return got;
    };
    const gw1 = await received('gateway-gw1', [topics.command(b.site, 'gw1'), topics.command(b.site, 'gw2'), topics.allReadings(b.site)]);
    const api = await received('api', [topics.allStatus(b.site)[0], topics.allReadings(b.site), '#']);
    const collector = await connect(b, as(b, 'collector'));
    const gw2 = await connect(b, as(b, 'gateway-gw2'));
    await collector.publishAsync(topics.command(b.site, 'gw2'), '{}', { qos: 1 });
    await gw2.publishAsync(topics.readings(b.site, 'gw2'), '{}', { qos: 1 });
    await gw2.publishAsync(topics.gatewayStatus(b.site, 'gw2'), '{"v":1,"online":true,"ts":2}', { qos: 1 });
    await collector.publishAsync(topics.command(b.site, 'gw1'), '{}', { qos: 1 });
    await waitFor('gw1 gets its own command, the API the status', () => gw1.length > 0 && api.length > 0, 5000);
    await new Promise((r) => setTimeout(r, 300));
    expect(gw1).toEqual([topics.command(b.site, 'gw1')]);
    expect(api).toEqual([topics.gatewayStatus(b.site, 'gw2')]);
  });

  it('automation writes to any gateway on the write topic and reads readings and results; it cannot publish readings', async () => {
    const gw1 = await connect(b, as(b, 'gateway-gw1'));
    const commands: string[] = [];
    gw1.on('message', (topic) => commands.push(topic));
    await gw1.subscribeAsync(topics.commandWrite(b.site, 'gw1'), { qos: 1 });
    const auto = await connect(b, as(b, 'automation', { clientId: `automation-${kind}` }));
    for (const f of [topics.allReadings(b.site), topics.allCommandResults(b.site)]) expect((await auto.subscribeAsync(f, { qos: 1 }))[0].qos).toBe(1);
    if (kind === 'aedes') expect(await auto.subscribeAsync('#', { qos: 1 }).then((g) => g[0].qos, () => 128)).toBe(128);
    await auto.publishAsync(topics.commandWrite(b.site, 'gw1'), '{"v":1,"type":"write"}', { qos: 1 });
    await waitFor('the gateway gets automation\'s command', () => commands.length === 1, 5000);
    if (kind === 'aedes') {
      const before = await refusedCount('publish', 'automation');
      // the broker closes the connection instead of acknowledging: do not wait for the PUBACK
      void auto.publishAsync(topics.readings(b.site, 'gw1'), '{}', { qos: 1 }).catch(() => undefined);
      await waitFor('the forged readings refused', async () => (await refusedCount('publish', 'automation')) === before + 1, 5000);
    }
  });

  it('the collector cannot write set-points: no publish on the write topic, a write on the command topic refused by the gateway', async () => {
    const status = await watch(b, 'monitor', topics.gatewayStatus(b.site, 'gw1'));
    const results = await watch(b, 'collector', topics.allCommandResults(b.site));
    const heard = await watch(b, 'monitor', `jieneng/v1/${b.site}/gw1/command/#`);
    const gw = startStreamGateway({ mqttUrl: b.url, site: b.site, gateway: 'gw1', dir: join(dir, `${kind}-write-gw`), mqttOptions: as(b, 'gateway-gw1', { clientId: `gw1-write-${kind}`, reconnectPeriod: 200 }) });
    cleanups.push(() => gw.stop());
    await waitFor('the gateway online', () => status.some((m) => (JSON.parse(m.payload) as { online?: boolean }).online === true), 10_000);
    await new Promise((r) => setTimeout(r, 300)); // its command subscriptions follow its birth status
    const write = (id: string) => JSON.stringify({ v: 1, type: 'write', id, device: 'ahu-1', point: 'supply_air_temp_setpoint_c', value: 12 });
    const collector = await connect(b, as(b, 'collector', { clientId: `collector-write-${kind}` }));
    const before = await refusedCount('publish', 'collector');
    // aedes closes the connection of a refused publish; Mosquitto acknowledges and drops it
    const sent = collector.publishAsync(topics.commandWrite(b.site, 'gw1'), write('forged-1'), { qos: 1 }).catch(() => undefined);
    if (kind === 'aedes') await waitFor('the collector disconnected', () => !collector.connected, 5000);
    else await sent;
    if (kind === 'aedes') expect(await refusedCount('publish', 'collector')).toBe(before + 1);
    const collector2 = kind === 'aedes' ? await connect(b, as(b, 'collector', { clientId: `collector-write2-${kind}` })) : collector;
    // the plain command topic is the collector's (resends): a write there reaches the gateway, which refuses it
    await collector2.publishAsync(topics.command(b.site, 'gw1'), write('forged-2'), { qos: 1 });
    await waitFor('the refusal', () => results.length > 0, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(results.map((r) => JSON.parse(r.payload) as object)).toEqual([expect.objectContaining({
      type: 'write', id: 'forged-2', outcome: 'refused', detail: 'writes are accepted only on the write topic',
    })]);
    expect(heard.map((m) => m.topic).filter((t) => t === topics.commandWrite(b.site, 'gw1'))).toEqual([]);
  });

  it.runIf(kind === 'aedes')('a client id held by another account cannot be taken over', async () => {
    const holder = await connect(b, as(b, 'collector', { clientId: `held-${kind}` }));
    await expect(mqtt.connectAsync(b.url, as(b, 'gateway-gw1', { clientId: `held-${kind}` }))).rejects.toThrow(/Not authorized/i);
    expect(holder.connected).toBe(true);
    expect(await refusedCount('connect', 'gateway-gw1')).toBeGreaterThan(0);
  });

  it('collector and gateways work end to end with their credentials', async () => {
    const storage = openEmbeddedStorage({ path: join(dir, `${kind}.sqlite`) });
    cleanups.push(() => storage.close());
    const collector = await startCollector({
      site: collectorTestSite(b.site), mqttUrl: b.url, mqttOptions: as(b, 'collector', { reconnectPeriod: 1000 }), storage,
      dataDir: join(dir, `${kind}-collector`), clientId: `collector-acl-${kind}`,
    });
    cleanups.push(() => collector.stop());
    const stream = new ReadingStream(Math.floor(Date.now() / 900_000) * 900_000 - 3_600_000, 15_000, b.site);
    const gws = new Map(['gw1', 'gw2'].map((g) => [g, startStreamGateway({
      mqttUrl: b.url, site: b.site, gateway: g, dir: join(dir, `${kind}-gw`), mqttOptions: as(b, `gateway-${g}`, { reconnectPeriod: 200 }),
    })]));
    for (const g of gws.values()) cleanups.push(() => g.stop());
    for (let i = 0; i < 10; i++) for (const batch of stream.step(i)) gws.get(batch.gateway)!.send(batch);
    await waitFor('every batch stored', () => collector.gateways().every((a) => a.last_seq === 9), 20_000, 100);
    await collector.flush();
    expect((await storage.raw({ measurement: 'telemetry', from: stream.start_ms, to: stream.start_ms + 10 * stream.step_ms })).length).toBe(stream.points);

    // on its own topic, a batch naming another gateway: the collector's topic check dead-letters it, nothing is stored
    const dead = await watch(b, 'monitor', topics.deadLetter(b.site));
    const gw1 = await connect(b, as(b, 'gateway-gw1', { clientId: `gw1-forge-${kind}` }));
    const forged = stream.step(10).find((x) => x.gateway === 'gw2')!;
    await gw1.publishAsync(topics.readings(b.site, 'gw1'), JSON.stringify({ ...forged, seq: 10 }), { qos: 1 });
    await waitFor('topic_mismatch dead letter', () => dead.some((d) => (JSON.parse(d.payload) as DeadLetter).reason === 'topic_mismatch'), 10_000);
    await collector.flush();
    expect(collector.gateways().find((a) => a.gateway === 'gw2')?.last_seq).toBe(9);
  });
});

describe('credentials folder', () => {
  it('keeps passwords across runs and writes owner-only secret files', () => {
    const site = collectorTestSite('acl-files');
    const first = ensureSiteCredentials(site, join(dir, 'files'));
    const again = ensureSiteCredentials(site, join(dir, 'files'));
    expect(again.created).toEqual([]);
    expect(again.passwords).toEqual(first.passwords);
    expect(readFileSync(join(dir, 'files', 'gateway-gw1.env'), 'utf8')).toBe(`MQTT_USERNAME=gateway-gw1\nMQTT_PASSWORD=${first.passwords.get('gateway-gw1')}\n`);
    expect(readFileSync(join(dir, 'files', 'acl'), 'utf8')).toContain('user gateway-gw1\ntopic write jieneng/v1/acl-files/gw1/readings\n');
  });
});
