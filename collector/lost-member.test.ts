/**
 * Issue #12.11: of two collector processes sharing the telemetry through Mosquitto, one is killed (SIGKILL) and
 * never comes back. Its share reaches the survivor within a bounded time — the broker ends its MQTT 5 session
 * after the expiry, sends its will, and the survivor has the gateways resend what the dead one held (decision
 * 0310) — and nothing is lost: every point published before and after the kill is in InfluxDB.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, expect, inject, it } from 'vitest';
import { topics, type CollectorLost } from '../core/contract/v1.ts';
import { openEmbeddedStorage } from '../storage/embedded/store.ts';
import { createDatabase } from '../test/harness/influxd.ts';
import { waitFor } from '../test/harness/ports.ts';
import type { OwnedProcess } from '../test/harness/process.ts';
import { startStreamGateway } from '../test/harness/stream-gateway.ts';
import { influxScalar } from './testing/influx.ts';
import { startCollector } from './runtime.ts';
import { startCollectorProcess, writeSiteFile } from './testing/process.ts';
import { collectorTestSite } from './testing/site.ts';
import { ReadingStream } from './testing/stream.ts';

const SITE = `lost-member-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'jieneng-lost-member-'));
const cleanups: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

const EXPIRY_S = 3;

it('a killed collector\'s share of the telemetry reaches the survivor, and nothing is lost', async () => {
  const influx = inject('influxUrl');
  const mqttUrl = inject('mosquittoUrl');
  const db = `lost_member_${process.pid}`;
  await createDatabase(influx, db);
  const siteFile = writeSiteFile(dir, collectorTestSite(SITE));
  const procs: OwnedProcess[] = [];
  for (const k of [0, 1]) {
    procs.push(await startCollectorProcess([
      '--site', siteFile, '--mqtt', mqttUrl, '--data', join(dir, `c${k}`), '--share', `lm${process.pid}`, '--partition', `${k}/2`,
      '--client-id', `lost-member-${process.pid}-${k}`, '--share-session-expiry', String(EXPIRY_S),
    ], { INFLUX_URL: influx, INFLUX_DB: db }, join(dir, `c${k}.log`), 2));
    cleanups.push(() => procs[k].stop());
  }
  const gateways = new Map(['gw1', 'gw2'].map((g) => [g, startStreamGateway({ mqttUrl, site: SITE, gateway: g, dir: join(dir, 'gateway') })]));
  for (const g of gateways.values()) cleanups.push(() => g.stop());

  const stream = new ReadingStream(Math.floor(Date.now() / 900_000) * 900_000 - 4 * 3_600_000, 15_000, SITE);
  let steps = 0;
  const poll = setInterval(() => { for (const b of stream.step(steps++)) gateways.get(b.gateway)!.send(b); }, 50);
  cleanups.push(() => clearInterval(poll));
  const count = () => influxScalar(influx, db, 'SELECT COUNT(value) FROM telemetry');

  await waitFor('telemetry flowing', async () => (await count()) > 100, 15_000, 200);
  await procs[1].kill(); // SIGKILL: no DISCONNECT, its session and what it held stay at the broker until the expiry
  const killedAt = Date.now();
  await new Promise((r) => setTimeout(r, (EXPIRY_S + 5) * 1000));
  clearInterval(poll);
  const published = stream.points;
  const storedAtEnd = await count();
  const endedAt = Date.now();

  // everything, including what the dead collector held and its share since, is stored by the survivor
  await waitFor('every point in InfluxDB', async () => (await count()) === published, 30_000, 250);
  expect(await count()).toBe(published);
  // the survivor heard the dead one's will and asked the gateways for its share
  expect(readFileSync(join(dir, 'c0.log'), 'utf8')).toContain('a collector of the group is gone: asking the gateways to resend its share');
  console.log(JSON.stringify({
    points: published, stored_when_polling_stopped: storedAtEnd, polling_after_kill_s: Math.round((endedAt - killedAt) / 100) / 10,
    all_stored_after_polling_stopped_s: Math.round((Date.now() - endedAt) / 100) / 10,
  }));
}, 120_000);

it('a collector stopped cleanly hands its share over at once: it says so before it disconnects', async () => {
  const mqttUrl = inject('mosquittoUrl');
  const site = `lost-member-stop-${process.pid}`;
  const storage = openEmbeddedStorage({ path: join(dir, 'stop.sqlite') });
  cleanups.push(() => storage.close());
  const start = (k: number) => startCollector({
    site: collectorTestSite(site), mqttUrl, storage, dataDir: join(dir, `stop${k}`), shareGroup: `lms${process.pid}`,
    partition: { index: k, count: 2 }, clientId: `lms-${process.pid}-${k}`, shareSessionExpiryS: 600,
  });
  const [a, b] = [await start(0), await start(1)];
  cleanups.push(() => b.stop());
  const wills: CollectorLost[] = [];
  const watcher = await mqtt.connectAsync(mqttUrl, { clientId: `lms-watch-${process.pid}` });
  cleanups.push(() => watcher.endAsync(true));
  watcher.on('message', (_t, p) => wills.push(JSON.parse(p.toString()) as CollectorLost));
  await watcher.subscribeAsync(topics.allCollectorsLost(site), { qos: 1 });
  const stoppedAt = Date.now();
  await a.stop();
  await waitFor('the stopped collector\'s notice', () => wills.length === 1, 5000, 20);
  expect(wills[0]).toMatchObject({ v: 1, member: `lms-${process.pid}-0-t`, session_expiry_s: 0 });
  expect(Date.now() - stoppedAt).toBeLessThan(60_000); // not the 600 s expiry (the span includes the whole stop)
});
