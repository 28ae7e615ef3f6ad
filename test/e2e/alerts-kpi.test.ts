/**
 * The scheduled KPI and pipeline rule kinds along the whole path (issue 14). Two days of history backfilled by the
 * simulators through the collector's ingest (as `jieneng sim backfill` does, with a six-hour hole in the main
 * meter's readings yesterday), then live: simulators → Modbus TCP (SunSpec) → gateway → MQTT (aedes) → collector
 * with alerting → a real SMTP server and the signed-webhook receiver. Yesterday's base load and peak demand are
 * judged by the KPI schedule at start; the hole's estimated share fired as it was backfilled; an inverter fault
 * state forced in the simulator (the `set` fault) fires within seconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../../app/broker.ts';
import { periodStart } from '../../api/domain/index.ts';
import { startAlerts } from '../../alerts/runtime.ts';
import type { Receiver } from '../../alerts/testing/receiver.ts';
import { startDeliveryTargets } from '../../alerts/testing/targets.ts';
import { createIngestor } from '../../collector/ingest.ts';
import { startCollector } from '../../collector/runtime.ts';
import type { DeviceReading } from '../../core/contract/v1.ts';
import { startGateway } from '../../gateway/runtime.ts';
import { backfill } from '../../simulators/backfill.ts';
import { startSiteSimulators, type SiteSimulators } from '../../simulators/fleet.ts';
import { openEmbeddedStorage } from '../../storage/embedded/store.ts';
import mqtt from 'mqtt';
import { topics } from '../../core/contract/v1.ts';
import type { SiteModel } from '../../core/site/schema.ts';
import type { GatewayAccount } from '../../collector/sequence/ledger.ts';
import { waitFor } from '../harness/ports.ts';
import { testSite } from '../harness/site.ts';

const SECRETS = { wecomKey: 'k', dingtalkToken: 't', dingtalkSecret: 's', feishuHook: 'f', feishuSecret: 'f', webhookSecret: 'e2e-kpi-secret' };
const HOUR = 3_600_000;
const TZ = 'Asia/Shanghai';

describe('KPI and pipeline alert rules, end to end', () => {
  const stops: (() => Promise<void>)[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-e2e-kpi-'));
  let mails: string[] = [];
  let receiver: Receiver;
  let sims: SiteSimulators;
  let site: SiteModel;
  let brokerUrl = '';
  let accounts: () => GatewayAccount[];
  const today = periodStart(Date.now(), TZ, 'day');
  const yesterday = periodStart(today - HOUR * 12, TZ, 'day');

  beforeAll(async () => {
    site = await testSite({ buildings: ['zhongshan-e290'], devices: ['zhongshan-e290-main', 'zhongshan-e290-pv-inv1'], pollIntervalS: 1 });
    const targets = await startDeliveryTargets(SECRETS);
    stops.push(() => targets.close());
    ({ receiver, mails } = targets);
    const config = targets.config(site, [
      { id: 'base', kind: 'base_load', name: '夜间基础负荷过高', severity: 'major', above_kw: 0.5 },
      { id: 'demand', kind: 'peak_demand', name: '超合同最大需量', severity: 'major', scope: { device: ['zhongshan-e290-main'] }, contracted_kw: 1, notify: ['hook', 'mail'] },
      { id: 'estimated', kind: 'estimated_share', name: '估算电量占比过高', severity: 'minor', scope: { device: ['zhongshan-e290-main'] }, above_pct: 10 },
      { id: 'inv-fault', kind: 'inverter_fault', name: '逆变器故障', severity: 'critical', notify: ['hook', 'mail'], keep_firing_for: '0s' },
      { id: 'gaps', kind: 'sequence_gap', name: '网关数据批次缺失', severity: 'major', scope: { device: ['zhongshan-e290-main'] } },
    ]);

    const storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
    stops.push(() => storage.close());
    const alerts = startAlerts({ site, config, dataDir: join(dir, 'collector'), storage, tickMs: 200, pollMs: 200, kpiDelayMs: 0 });
    stops.push(() => alerts.stop());
    // history: the collector's own ingest, into its state folder, with the evaluator watching (as a backfill of a
    // running collector's data would be); the main meter silent from 02:00 to 08:00 yesterday
    const ingestor = createIngestor({ site, storage, stateDir: join(dir, 'collector'), observer: alerts.evaluator, maxAgeMs: 5 * 24 * HOUR });
    const hole = (r: DeviceReading) => r.device === 'zhongshan-e290-main' && r.ts > yesterday + 2 * HOUR && r.ts < yesterday + 8 * HOUR;
    await backfill({
      site, days: (Date.now() - (yesterday - 24 * HOUR)) / (24 * HOUR), toMs: Date.now() - 60_000, seed: 7,
      ingest: (batch) => ingestor.ingest({ ...batch, readings: batch.readings.filter((r) => !hole(r)) }),
    });
    await ingestor.close();
    await alerts.kpi!.check(); // the schedule's first look, as at a start: yesterday is judged

    const broker = await startEmbeddedBroker(0);
    stops.push(() => broker.stop());
    sims = await startSiteSimulators({ site, seed: 7 });
    stops.push(() => sims.stop());
    const collector = await startCollector({ site, mqttUrl: broker.url, storage, dataDir: join(dir, 'collector'), clientId: `e2e-kpi-${process.pid}`, alerts: alerts.evaluator });
    stops.push(() => collector.stop());
    alerts.evaluator.watchGateways(() => collector.gateways());
    accounts = () => collector.gateways();
    brokerUrl = broker.url;
    for (const g of site.gateways) {
      const gateway = await startGateway({ site, gatewayId: g.id, mqttUrl: broker.url, dataDir: join(dir, 'gateway', g.id) });
      stops.push(() => gateway.stop());
    }
  }, 120_000);

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  type Hook = { rule: string; device: string; state: string; message: string; value: number };
  const hooks = () => receiver.received.map((r) => r.body as Hook);

  it("yesterday's base load and peak demand, judged at start, reach the webhook and (demand) the mailbox", async () => {
    await waitFor('the KPI alerts', () => ['base', 'demand'].every((id) => hooks().some((b) => b.rule === id)), 20_000, 200);
    const date = new Date(yesterday + 8 * HOUR).toISOString().slice(0, 10);
    expect(hooks().find((b) => b.rule === 'base')).toMatchObject({ device: 'zhongshan-e290', state: 'firing', message: expect.stringContaining(`${date} 夜间基础负荷`) });
    const demand = hooks().find((b) => b.rule === 'demand')!;
    expect(demand).toMatchObject({ device: 'zhongshan-e290-main', state: 'firing', message: expect.stringMatching(/最大需量 [\d.]+ kW，超过 1 kW/) });
    await waitFor('the demand e-mail', () => mails.some((m) => m.includes('tech@example.org')), 10_000, 100);
    expect(receiver.refused).toEqual([]);
  }, 40_000);

  it("the main meter's six silent hours, bridged by an estimate, fired the estimated-share rule as they were backfilled", async () => {
    await waitFor('the estimated-share alert', () => hooks().some((b) => b.rule === 'estimated'), 20_000, 200);
    const fired = hooks().find((b) => b.rule === 'estimated' && b.state === 'firing')!;
    expect(fired.device).toBe('zhongshan-e290-main');
    expect(fired.value).toBeGreaterThan(10);
  }, 30_000);

  it('an inverter forced into SunSpec state 7 (fault) fires at once by webhook and e-mail; back to normal resolves it', async () => {
    const mailsBefore = mails.length;
    sims.setValueFaults('zhongshan-e290-pv-inv1', [{ kind: 'set', from: Date.now(), points: ['inverter_state'], value: 7 }]);
    await waitFor('the inverter fault alert', () => hooks().some((b) => b.rule === 'inv-fault' && b.state === 'firing'), 30_000, 200);
    expect(hooks().find((b) => b.rule === 'inv-fault')).toMatchObject({ device: 'zhongshan-e290-pv-inv1', value: 7, message: expect.stringContaining('逆变器故障（状态码 7）') });
    await waitFor('the fault e-mail', () => mails.length > mailsBefore, 10_000, 100);
    expect(mails.at(-1)).toMatch(/To: tech@example\.org/);
    sims.setValueFaults('zhongshan-e290-pv-inv1', []);
    await waitFor('the inverter fault resolved', () => hooks().some((b) => b.rule === 'inv-fault' && b.state === 'resolved'), 30_000, 200);
  }, 80_000);

  it("a batch numbered far ahead of its gateway's sequence: the range between is asked for, the gateway no longer holds it, the alert fires", async () => {
    const gw = site.devices.find((d) => d.id === 'zhongshan-e290-main')!.gateway;
    await waitFor('batches of the gateway', () => (accounts().find((a) => a.gateway === gw)?.last_seq ?? null) !== null, 20_000, 200);
    const last = accounts().find((a) => a.gateway === gw)!.last_seq!;
    // as a gateway whose numbering jumped (a restored disk image, a clock-less restart): 500 batches never sent
    const client = await mqtt.connectAsync(brokerUrl, { clientId: `e2e-kpi-jump-${process.pid}` });
    const ts = Date.now();
    await client.publishAsync(topics.readings(site.site.id, gw), JSON.stringify({
      v: 1, site: site.site.id, gateway: gw, seq: last + 501, sent_ts: ts,
      readings: [{ device: 'zhongshan-e290-main', ts, points: { power_kw: { value: 10, quality: 'good' } } }],
    }), { qos: 1 });
    await client.endAsync();
    await waitFor('the sequence-gap alert', () => hooks().some((b) => b.rule === 'gaps' && b.state === 'firing'), 30_000, 200);
    const fired = hooks().find((b) => b.rule === 'gaps')!;
    expect(fired.device).toBe(gw);
    expect(fired.value).toBeGreaterThan(0);
    expect(accounts().find((a) => a.gateway === gw)!.lost).toBeGreaterThan(0);
  }, 40_000);
});
