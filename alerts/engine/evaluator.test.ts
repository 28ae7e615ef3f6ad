/**
 * Alert evaluation on the real ingest path: the collector's ingestor with the embedded store, the evaluator as
 * its observer and the alert state in SQLite. The clock is the test's; restarts reopen the same files.
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
import { alertTestSite } from '../testing/site.ts';
import { AlertEvaluator } from './evaluator.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 2, 0); // 10:00 in Shanghai
const site = alertTestSite('test-site');
const rules = checkAlertRules({
  version: 1,
  channels: [{ id: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/' }, { id: 'boss', type: 'webhook', url: 'http://127.0.0.1:9/boss' }],
  default_channels: ['hook'],
  rules: [
    { id: 'hvac-power', kind: 'threshold', name: '空调功率过高', severity: 'major', scope: { tag: ['hvac-plant'] }, point: 'power_kw', above: 500, recover: 450, for: '2m', keep_firing_for: '1m' },
    { id: 'hvac-ramp', kind: 'threshold', name: '空调功率突增', severity: 'minor', scope: { device: ['hvac'] }, point: 'power_kw', rate_per: '1m', above: 200, recover: 50, keep_firing_for: '0s' },
    { id: 'main-15m', kind: 'threshold', name: '总表15分钟能耗过高', severity: 'minor', scope: { device: ['main'] }, interval_energy: '15m', above: 30 },
    { id: 'counters', kind: 'counter', name: '计数器异常', severity: 'minor', scope: { building: ['b1'] }, events: ['reset', 'rollover'] },
    { id: 'water-stale', kind: 'stale', name: '水表无数据', severity: 'major', scope: { device: ['water'] }, after: '10m' },
    { id: 'offline', kind: 'device_state', name: '设备离线', severity: 'critical', scope: { building: ['b2'] }, states: ['offline'], for: '1m', keep_firing_for: '0s', escalate: { after: '10m', notify: ['boss'] } },
  ],
}, site, 'rules.yaml');

let dir: string;
let storage: Storage;
let ingestor: Ingestor;
let store: AlertStore;
let evaluator: AlertEvaluator;
let clock = T0;
let seq = 0;

function open() {
  store = new AlertStore(join(dir, 'alerts'));
  evaluator = new AlertEvaluator({ config: rules, site, store, now: () => clock });
  ingestor = createIngestor({ site, storage, stateDir: join(dir, 'state'), now: () => clock, observer: evaluator });
}
async function close() {
  evaluator.stop();
  await ingestor.close();
  store.close();
}
function reading(device: string, minute: number, points: Record<string, number>): DeviceReading {
  return { device, ts: T0 + minute * MIN, points: Object.fromEntries(Object.entries(points).map(([k, v]) => [k, { value: v, quality: 'good' as const }])) };
}
async function send(gateway: string, ...readings: DeviceReading[]) {
  clock = Math.max(clock, ...readings.map((r) => r.ts));
  const result = await ingestor.ingest({ v: 1, site: 'test-site', gateway, seq: seq++, sent_ts: clock, readings });
  expect(result.rejected).toEqual([]);
}
const events = (rule?: string) => store.events().reverse().filter((e) => !rule || e.rule === rule).map((e) => [e.rule, e.device, e.transition, (e.at_ms - T0) / MIN]);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jieneng-alerts-'));
  storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
  clock = T0;
  open();
});
afterEach(async () => {
  await close();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('alert evaluation on the ingest path', () => {
  it('a threshold with `for` and a recovery threshold: fires once, holds in the band, resolves below it', async () => {
    const power = [100, 600, 620, 610, 480, 470, 520, 460, 440, 430, 420, 410];
    for (let m = 0; m < power.length; m++) await send('gw1', reading('hvac', m, { power_kw: power[m] }));
    // above 500 from minute 1; firing at 3 (2 min); 480/470/460 are in the band; below 450 from 8; resolved at 9 (1 min)
    expect(events('hvac-power')).toEqual([['hvac-power', 'hvac', 'firing', 3], ['hvac-power', 'hvac', 'resolved', 9]]);
    const [resolved, firing] = store.events().filter((e) => e.rule === 'hvac-power');
    expect(firing.message).toBe('【重要告警】一号楼 空调：power_kw = 610 kW（阈值 500 kW）— 空调功率过高');
    expect(resolved.message).toContain('【重要恢复】');
    expect(store.notificationCounts()).toEqual({ pending: 4 }); // and the ramp rule's two, from 100 to 600 kW in a minute
  });

  it('a restart neither loses a firing alert nor announces it again', async () => {
    for (let m = 0; m <= 3; m++) await send('gw1', reading('hvac', m, { power_kw: 600 }));
    expect(events('hvac-power')).toEqual([['hvac-power', 'hvac', 'firing', 2]]);
    await close();
    open();
    expect(evaluator.firing().map((i) => i.key)).toEqual(['hvac-power|hvac|power_kw']);
    for (let m = 4; m <= 6; m++) await send('gw1', reading('hvac', m, { power_kw: 600 }));
    for (let m = 7; m <= 9; m++) await send('gw1', reading('hvac', m, { power_kw: 100 }));
    expect(events('hvac-power')).toEqual([['hvac-power', 'hvac', 'firing', 2], ['hvac-power', 'hvac', 'resolved', 8]]);
  });

  it('a rate of change: power rising 500 kW in a minute fires the ramp rule, and a steady value resolves it', async () => {
    for (const [m, kw] of [[0, 100], [1, 150], [2, 650], [3, 700], [4, 720]] as const) await send('gw1', reading('hvac', m, { power_kw: kw }));
    // +50/min, +500/min (fires), +50/min (≤ recover 50: clear, resolved at once), +20/min
    expect(events('hvac-ramp')).toEqual([['hvac-ramp', 'hvac', 'firing', 2], ['hvac-ramp', 'hvac', 'resolved', 3]]);
    expect(store.events().find((e) => e.rule === 'hvac-ramp' && e.transition === 'firing')!.message)
      .toBe('【次要告警】一号楼 空调：power_kw = 500 kW/1m（阈值 200 kW/1m）— 空调功率突增');
  });

  it('escalates a firing alert nobody acknowledged to the next contact group, once; an acknowledged one is not', () => {
    evaluator.deviceState('water', 'offline', T0);
    for (const m of [1, 5, 11, 12, 20]) {
      clock = T0 + m * MIN;
      evaluator.tick();
    }
    const escalations = () => store.dueNotifications(clock + 1).filter((n) => n.escalation);
    expect(escalations().map((n) => [n.channel, n.event.rule, n.event.transition])).toEqual([['boss', 'offline', 'firing']]);
    // resolved, fires again, acknowledged within the 10 minutes: no second escalation
    evaluator.deviceState('water', 'online', T0 + 21 * MIN);
    evaluator.deviceState('water', 'offline', T0 + 22 * MIN);
    clock = T0 + 23 * MIN;
    evaluator.tick();
    const refired = store.events().find((e) => e.rule === 'offline' && e.transition === 'firing')!;
    expect(store.acknowledge(refired.id, 'tech', '在修', clock)).toBeDefined();
    clock = T0 + 40 * MIN;
    evaluator.tick();
    expect(escalations()).toHaveLength(1);
  });

  it('counter roll-over and reset from the collector fire the counter rule', async () => {
    await send('gw1', reading('hvac', 0, { energy_import_kwh: 99_990 }), reading('main', 0, { energy_import_kwh: 5000 }));
    await send('gw1', reading('hvac', 1, { energy_import_kwh: 5 })); // wraps at 100 000: 15 kWh
    await send('gw1', reading('main', 2, { energy_import_kwh: 1 }), reading('main', 3, { energy_import_kwh: 2 })); // a reset, confirmed by the next reading
    expect(events('counters')).toEqual([['counters', 'hvac', 'firing', 1], ['counters', 'main', 'firing', 3]]);
    expect(store.events().find((e) => e.device === 'hvac')!.message).toBe('【次要告警】一号楼 空调：计数器翻转，读数 5 kWh — 计数器异常');
    clock = T0 + 70 * MIN;
    evaluator.tick();
    expect(events('counters').slice(2)).toEqual([['counters', 'hvac', 'resolved', 70], ['counters', 'main', 'resolved', 70]]);
  });

  it('15-minute interval energy is judged when the interval is complete', async () => {
    // 2.5 kWh a minute = 37.5 kWh per 15 minutes: above 30
    for (let m = 0; m <= 16; m++) await send('gw1', reading('main', m, { energy_import_kwh: 1000 + 2.5 * m }));
    expect(events()).toEqual([['main-15m', 'main', 'firing', 15]]);
    expect(store.events()[0].message).toBe('【次要告警】一号楼 总表：15分钟能耗 = 37.5 kWh（阈值 30 kWh）— 总表15分钟能耗过高');
  });

  it('no data: a device not heard from for `after` is stale, and its next reading clears it', async () => {
    await send('gw2', reading('water', 0, { water_m3: 10 }));
    clock = T0 + 10 * MIN;
    evaluator.tick();
    expect(events()).toEqual([]);
    clock = T0 + 11 * MIN;
    evaluator.tick();
    expect(events()).toEqual([['water-stale', 'water', 'firing', 11]]);
    await send('gw2', reading('water', 12, { water_m3: 10.5 }));
    for (const m of [13, 14]) {
      clock = T0 + m * MIN;
      evaluator.tick();
    }
    // clear from the tick at 13, resolved after keep_firing_for (2 min by default)
    expect(events()).toEqual([['water-stale', 'water', 'firing', 11]]);
    clock = T0 + 15 * MIN;
    evaluator.tick();
    expect(events()).toEqual([['water-stale', 'water', 'firing', 11], ['water-stale', 'water', 'resolved', 15]]);
  });

  it("device offline from the gateway's status, after `for`", () => {
    evaluator.deviceState('water', 'offline', T0);
    clock = T0 + 30_000;
    evaluator.tick();
    expect(events()).toEqual([]);
    clock = T0 + MIN;
    evaluator.tick();
    evaluator.deviceState('water', 'online', T0 + 2 * MIN);
    expect(events()).toEqual([['offline', 'water', 'firing', 1], ['offline', 'water', 'resolved', 2]]);
    expect(store.events()[1].message).toBe('【严重告警】二号楼 水表：离线 — 设备离线');
  });
});

describe('messages', () => {
  it('{link} is the rules file\'s board_url for the building and device', () => {
    const linked = checkAlertRules({
      version: 1, board_url: 'http://grafana.local/d/energy?var-building={building}&var-device={device}',
      rules: [{ id: 'off', kind: 'device_state', name: '离线', severity: 'major', states: ['offline'], scope: { device: ['water'] }, message: '{building_name}{device_name}离线，看板 {link}' }],
    }, site, 'linked.yaml');
    const ev = new AlertEvaluator({ config: linked, site, store, now: () => clock });
    ev.deviceState('water', 'offline', T0);
    expect(store.events()[0].message).toBe('二号楼水表离线，看板 http://grafana.local/d/energy?var-building=b2&var-device=water');
  });
});

describe('the hot path', () => {
  it('2 000 threshold rules on three meters cost microseconds per reading (slots stay fast objects)', async () => {
    const { siteIndex } = await import('../../collector/batch-judge.ts');
    const many = checkAlertRules({
      version: 1,
      rules: Array.from({ length: 2000 }, (_, i) => ({
        id: `r${i}`, kind: 'threshold', name: '规则', severity: 'minor', scope: { device: [['main', 'lighting', 'hvac'][i % 3]] },
        point: i % 2 ? 'power_kw' : 'voltage_l1_v', above: 1e9,
      })),
    }, site, 'many.yaml');
    const ev = new AlertEvaluator({ config: many, site, store, now: () => clock });
    const index = siteIndex(site);
    const accepted = ['main', 'lighting', 'hvac'].map((d) => ({
      device: index.devices.get(d)!, ts: T0, names: ['power_kw', 'voltage_l1_v'],
      points: { power_kw: { value: 100, quality: 'good' as const }, voltage_l1_v: { value: 230, quality: 'good' as const } },
    }));
    const started = performance.now();
    for (let k = 0; k < 2000; k++) ev.committed(accepted, undefined); // 6 000 readings × 667 rules each
    // about 20 ms on an idle machine, 85–140 ms at a load average of 10; the bound leaves room for a loaded one
    // (500 ms was passed once with 24 test files running at that load) and still fails the 2 s of dictionary slots
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('a reloaded file: a removed rule resolves its firing alert once and drops a pending one silently; a restart does not bring them back', async () => {
    await send('gw1', reading('hvac', 0, { power_kw: 600 }));
    await send('gw1', reading('hvac', 3, { power_kw: 600 })); // hvac-power: `for` 2m elapsed, firing
    evaluator.deviceState('water', 'offline'); // offline: pending for 1 min
    const without = { ...rules, rules: rules.rules.filter((r) => !['hvac-power', 'offline'].includes(r.rule.id)) };
    expect(evaluator.reload(without)).toBe(1);
    expect(events('hvac-power')).toEqual([['hvac-power', 'hvac', 'firing', 3], ['hvac-power', 'hvac', 'resolved', 3]]);
    expect(store.events()[0].message).toMatch(/（规则已删除）$/);
    expect(events('offline')).toEqual([]);
    clock += 5 * MIN;
    evaluator.tick();
    expect(events('offline')).toEqual([]);
    await close();
    open(); // the whole file again, after a restart: both start from normal
    expect(evaluator.firing()).toEqual([]);
    evaluator.tick();
    expect(events('hvac-power')).toHaveLength(2);
  });
});
