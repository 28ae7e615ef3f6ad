/**
 * The alert kinds that depend on time, along the whole path (issue 14): simulator faults (simulators/fault-spec.ts)
 * → Modbus TCP → gateway → MQTT (aedes) → collector with alerting → the signed-webhook receiver and a real SMTP
 * server. Staleness: a meter that stops answering has no data after `after`, and resolves when it answers again.
 * Rate of change: a spike of a meter's power. Flapping: a power forced above and below its threshold by 50
 * alternating `set` windows of 300 ms notifies once. The gateway polls every 100 ms so the test takes seconds;
 * the waits are generous for a loaded machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../../app/broker.ts';
import { startAlerts } from '../../alerts/runtime.ts';
import type { Receiver } from '../../alerts/testing/receiver.ts';
import { startDeliveryTargets } from '../../alerts/testing/targets.ts';
import { startCollector } from '../../collector/runtime.ts';
import { startGateway } from '../../gateway/runtime.ts';
import { startSiteSimulators, type SiteSimulators } from '../../simulators/fleet.ts';
import type { ValueFault } from '../../simulators/physics/faults.ts';
import { openEmbeddedStorage } from '../../storage/embedded/store.ts';
import { waitFor } from '../harness/ports.ts';
import { testSite } from '../harness/site.ts';

const SECRETS = { wecomKey: 'k', dingtalkToken: 't', dingtalkSecret: 's', feishuHook: 'f', feishuSecret: 'f', webhookSecret: 'e2e-hook-secret' };
const FLAP_KW = 50;

describe('staleness, rate of change and flapping from simulator faults, end to end', () => {
  const stops: (() => Promise<void>)[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-e2e-alert-dyn-'));
  let mails: string[] = [];
  let receiver: Receiver;
  let sims: SiteSimulators;
  /** centre-b2-power's power_kw as the collector accepted it, in order: the crossings the evaluator saw */
  const flapSeen: { ts: number; v: number }[] = [];
  // the simulators' physics run from a working-day morning (10:00 Shanghai); the gateway stamps readings with the
  // real clock, which the evaluator keeps too
  const simStart = Date.UTC(2026, 11, 2, 2);
  const realStart = Date.now();
  const simNow = () => simStart + (Date.now() - realStart);

  beforeAll(async () => {
    const site = await testSite({ buildings: ['centre-b2'], devices: ['centre-b2-main', 'centre-b2-lighting', 'centre-b2-hvac', 'centre-b2-power'], pollIntervalS: 1 });
    const targets = await startDeliveryTargets(SECRETS);
    stops.push(() => targets.close());
    ({ receiver, mails } = targets);
    const config = targets.config(site, [
      { id: 'no-data', kind: 'stale', name: '照明表无数据', severity: 'major', scope: { device: ['centre-b2-lighting'] }, after: '3s', keep_firing_for: '0s', notify: ['hook', 'mail'] },
      { id: 'hvac-jump', kind: 'threshold', name: '空调功率突变', severity: 'minor', scope: { device: ['centre-b2-hvac'] }, point: 'power_kw', rate_per: '1s', above: 100 },
      // defaults of `for` (0) and keep_firing_for (2 min): the documented flapping case
      { id: 'power-flap', kind: 'threshold', name: '动力功率过高', severity: 'major', scope: { device: ['centre-b2-power'] }, point: 'power_kw', above: FLAP_KW },
    ]);

    const broker = await startEmbeddedBroker(0);
    stops.push(() => broker.stop());
    const storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
    stops.push(() => storage.close());
    sims = await startSiteSimulators({ site, seed: 7, now: simNow });
    stops.push(() => sims.stop());
    // the power meter low until the flapping test forces it
    sims.setValueFaults('centre-b2-power', [{ kind: 'set', from: 0, points: ['power_kw'], value: 10 }]);
    const alerts = startAlerts({ site, config, dataDir: join(dir, 'collector'), mqttUrl: broker.url, tickMs: 200, pollMs: 200 });
    stops.push(() => alerts.stop());
    const observer: typeof alerts.evaluator = Object.create(alerts.evaluator);
    observer.committed = (accepted, energy) => {
      for (const r of accepted) {
        const v = r.points.power_kw?.value;
        if (r.device.device.id === 'centre-b2-power' && typeof v === 'number') flapSeen.push({ ts: r.ts, v });
      }
      alerts.evaluator.committed(accepted, energy);
    };
    const collector = await startCollector({ site, mqttUrl: broker.url, storage, dataDir: join(dir, 'collector'), clientId: `e2e-alert-dyn-${process.pid}`, alerts: observer });
    stops.push(() => collector.stop());
    const gateway = await startGateway({ site, gatewayId: site.gateways[0].id, mqttUrl: broker.url, dataDir: join(dir, 'gateway'), pollIntervalMs: 100, batchWindowMs: 50 });
    stops.push(() => gateway.stop());
  }, 60_000);

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const hooks = () => receiver.received.map((r) => r.body as { rule: string; device: string; state: string; message: string });
  const states = (rule: string) => hooks().filter((b) => b.rule === rule).map((b) => b.state);

  it('a meter that stops answering has no data: webhook and e-mail; answering again resolves it', async () => {
    await waitFor('the first readings', () => flapSeen.length > 5, 30_000, 100);
    expect(states('no-data')).toEqual([]);
    sims.setProtocolFault('centre-b2-lighting', { kind: 'offline' });
    await waitFor('the no-data alert', () => states('no-data').includes('firing'), 40_000, 100);
    sims.setProtocolFault('centre-b2-lighting', null);
    await waitFor('the no-data e-mail', () => mails.length > 0, 20_000, 100);
    expect(mails[0]).toMatch(/To: tech@example\.org/);
    // a unit suspended after its misses is probed again after 5 s, then 10 s
    await waitFor('the no-data alert resolved', () => states('no-data').includes('resolved'), 60_000, 200);
    expect(states('no-data')).toEqual(['firing', 'resolved']);
    expect(hooks().find((b) => b.rule === 'no-data')!.message).toContain('无数据');
  }, 150_000);

  it("a spike of a meter's power fires the rate-of-change rule", async () => {
    expect(states('hvac-jump')).toEqual([]); // the load's own changes stay well under 100 kW a second
    const from = simNow() + 500;
    sims.setValueFaults('centre-b2-hvac', [{ kind: 'spike', from, to: from + 3000, factor: 4, points: ['power_kw'] }]);
    await waitFor('the rate alert', () => states('hvac-jump').includes('firing'), 30_000, 100);
    expect(hooks().find((b) => b.rule === 'hvac-jump')!.message).toMatch(/kW\/1s/);
  }, 40_000);

  it('a power crossing its threshold 50 times notifies once', async () => {
    const from = simNow() + 500;
    const W = 300;
    const windows: ValueFault[] = Array.from({ length: 50 }, (_, i) => (
      { kind: 'set', from: from + i * W, to: from + (i + 1) * W, points: ['power_kw'], value: i % 2 === 0 ? 80 : 10 }));
    const seenBefore = flapSeen.length;
    sims.setValueFaults('centre-b2-power', [...windows, { kind: 'set', from: from + 50 * W, points: ['power_kw'], value: 10 }]);
    const endReal = realStart + (from + 50 * W - simStart); // the readings are stamped with the real clock
    await waitFor('readings after the last window', () => flapSeen.at(-1)!.ts > endReal + 1000, 60_000, 200);
    await new Promise((r) => setTimeout(r, 2000)); // time to deliver anything that transitioned
    const seen = flapSeen.slice(seenBefore).map((x) => x.v);
    const crossings = seen.filter((v, i) => i > 0 && (v > FLAP_KW) !== (seen[i - 1] > FLAP_KW)).length;
    // most of the 50 crossings were read (46 on a quiet machine): a poll delayed past a window merges its neighbours
    expect(crossings).toBeGreaterThanOrEqual(30);
    expect(states('power-flap')).toEqual(['firing']);
  }, 60_000);
});
