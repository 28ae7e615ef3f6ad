/**
 * The rule kinds that watch the collector itself and the inverters' state, on the real ingest path (embedded
 * store): estimated share of a meter's day (its gap bridged by the energy accumulator), inverter fault state, and
 * sequence gaps of a gateway from the collector's seq accounting. The clock is the test's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIngestor, type Ingestor } from '../../collector/ingest.ts';
import type { DeviceReading } from '../../core/contract/v1.ts';
import { openEmbeddedStorage } from '../../storage/embedded/store.ts';
import type { Storage } from '../../storage/port.ts';
import { checkAlertRules } from '../rules/load.ts';
import { AlertStore } from '../store.ts';
import { kpiTestSite } from '../testing/kpi-site.ts';
import { AlertEvaluator, type GatewayGaps } from './evaluator.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 4, 16, 0); // 00:00 on 5 January in Shanghai
const site = kpiTestSite();
const rules = checkAlertRules({
  version: 1,
  rules: [
    { id: 'estimated', kind: 'estimated_share', name: '估算电量占比过高', severity: 'minor', scope: { device: ['main'] }, above_pct: 10, keep_firing_for: '0s' },
    { id: 'inv-fault', kind: 'inverter_fault', name: '逆变器故障', severity: 'critical', keep_firing_for: '0s' },
    { id: 'gaps', kind: 'sequence_gap', name: '网关数据缺失', severity: 'major', gateways: ['gw1'], open_for: '2m', keep_firing_for: '5m' },
  ],
}, site, 'rules.yaml');

let dir: string;
let storage: Storage;
let ingestor: Ingestor;
let store: AlertStore;
let evaluator: AlertEvaluator;
let clock = T0;
let seq = 0;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jieneng-alerts-'));
  storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
  clock = T0;
  store = new AlertStore(join(dir, 'alerts'));
  evaluator = new AlertEvaluator({ config: rules, site, store, now: () => clock });
  ingestor = createIngestor({ site, storage, stateDir: join(dir, 'state'), now: () => clock, observer: evaluator });
});
afterEach(async () => {
  evaluator.stop();
  await ingestor.close();
  store.close();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

async function send(readings: DeviceReading[]) {
  clock = Math.max(clock, ...readings.map((r) => r.ts));
  const result = await ingestor.ingest({ v: 1, site: site.site.id, gateway: 'gw1', seq: seq++, sent_ts: clock, readings });
  expect(result.rejected).toEqual([]);
}
const events = (rule: string) => store.events().reverse().filter((e) => e.rule === rule).map((e) => [e.device, e.transition, (e.at_ms - T0) / MIN, e.value === undefined ? null : Math.round(e.value * 100) / 100]);

describe('pipeline rules', () => {
  it("estimated share: a meter's day with a 2-hour gap bridged by an estimate fires, and resolves as measured energy outweighs it", async () => {
    // 10 kW, read every 5 minutes, nothing between 08:00 and 10:00 (the accumulator spreads those 20 kWh as an estimate)
    for (let m = 0; m <= 24 * 60; m += 5) {
      if (m > 8 * 60 && m < 10 * 60) continue;
      await send([{ device: 'main', ts: T0 + m * MIN, points: { energy_import_kwh: { value: 1000 + (10 * m) / 60, quality: 'good' } } }]);
    }
    const e = events('estimated');
    // at 10:00, 20 of 100 kWh are estimated (20 %); below 10 % once the day holds 200 kWh (20:00)
    expect(e[0]).toEqual(['main', 'firing', 600, 20]);
    expect(e[1][0]).toBe('main');
    expect(e[1][1]).toBe('resolved');
    expect(e[1][2]).toBeGreaterThan(19 * 60);
    expect(e[1][2]).toBeLessThanOrEqual(20 * 60);
    expect(store.events().reverse().find((x) => x.rule === 'estimated')!.message).toBe('【次要告警】一号楼 总表：当日估算能耗占比 20 %（阈值 10 %）— 估算电量占比过高');
  });

  it('inverter fault: SunSpec state 7 fires at once, MPPT (4) resolves', async () => {
    for (const [m, st] of [[0, 4], [1, 7], [2, 7], [3, 4]] as const) {
      await send([{ device: 'pv-inv', ts: T0 + m * MIN, points: { inverter_state: { value: st, quality: 'good' } } }]);
    }
    expect(events('inv-fault')).toEqual([['pv-inv', 'firing', 1, 7], ['pv-inv', 'resolved', 3, 4]]);
    expect(store.events().find((x) => x.transition === 'firing')!.message).toBe('【严重告警】一号楼 光伏逆变器：逆变器故障（状态码 7）— 逆变器故障');
  });

  it('sequence gaps: a gap open past `open_for` fires, batches counted lost keep it firing; resolved when all is accounted', () => {
    let accounts: GatewayGaps[] = [{ gateway: 'gw1', lost: 0, gaps: [] }];
    evaluator.watchGateways(() => accounts);
    const at = (m: number) => { clock = T0 + m * MIN; evaluator.tick(); };
    at(0);
    accounts = [{ gateway: 'gw1', lost: 0, gaps: [{ from_seq: 10, to_seq: 14, opened_ms: T0 + MIN }] }];
    at(2); // open 1 minute: the resend requests may still bring them
    at(3); // open 2 minutes: fires
    accounts = [{ gateway: 'gw1', lost: 5, gaps: [] }]; // the gateway no longer had them
    at(4);
    at(5); // nothing open, nothing newly lost: clear, resolves 5 minutes later
    at(9);
    at(10);
    expect(events('gaps')).toEqual([['gw1', 'firing', 3, 5], ['gw1', 'resolved', 10, 5]]);
    expect(store.events().find((x) => x.transition === 'firing')!.message).toBe('【重要告警】网关 gw1：5 批数据缺失未补传 — 网关数据缺失');
  });
});
