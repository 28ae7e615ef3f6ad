/**
 * The scheduled KPI rules on data stored by the collector's real ingest path (embedded store): six weeks of a
 * main meter read every 15 minutes with a working-day profile, the National Day holiday and its 调休 Saturday of
 * the reference calendar, a PV system and a guaranteed-savings contract. The schedule's clock is the test's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestor, type Ingestor } from '../../collector/ingest.ts';
import type { DeviceReading } from '../../core/contract/v1.ts';
import { zonedTime } from '../../core/time.ts';
import { loadReferenceData } from '../../api/reference.ts';
import { SiteIndex } from '../../api/site-index.ts';
import { isWorkingDay, workCalendar } from '../../api/domain/index.ts';
import { openEmbeddedStorage } from '../../storage/embedded/store.ts';
import type { Storage } from '../../storage/port.ts';
import { AlertEvaluator } from '../engine/evaluator.ts';
import { checkAlertRules } from '../rules/load.ts';
import { AlertStore } from '../store.ts';
import { kpiTestSite } from '../testing/kpi-site.ts';
import { startAlerts } from '../runtime.ts';
import { KpiSchedule } from './schedule.ts';

const TZ = 'Asia/Shanghai';
const Q = 15 * 60_000;
const site = kpiTestSite();
const reference = loadReferenceData();
const calendar = workCalendar(reference.holidays.years);
const day = (d: string) => zonedTime(TZ, Number(d.slice(0, 4)), Number(d.slice(5, 7)), Number(d.slice(8, 10)));
const MONDAY = day('2025-10-13');

/** The main meter's power: 100 kW in working hours of working days, a 10 kW base load otherwise; the faults of the test. */
function mainKw(t: number): number {
  const h = new Date(t + 8 * 3_600_000).getUTCHours();
  const working = isWorkingDay(t, TZ, calendar).working;
  if (t >= day('2025-10-02') && t < day('2025-10-03')) return 40; // a holiday with the air conditioning left on
  if (t >= MONDAY) {
    if (t >= MONDAY + 10 * 3_600_000 && t < MONDAY + 10 * 3_600_000 + Q) return 500; // one 15-minute peak
    return h >= 8 && h < 18 ? 200 : 40;
  }
  return working && h >= 8 && h < 18 ? 100 : 10;
}
/** PV: 800 W/m² from 08:00 to 16:00; the inverter delivers PR 0.85 on Saturday, then 0.5 (a soiled or failed string). */
const sunny = (t: number) => { const h = new Date(t + 8 * 3_600_000).getUTCHours(); return h >= 8 && h < 16; };
const pr = (t: number) => (t < day('2025-10-12') ? 0.85 : 0.5);

const rules = checkAlertRules({
  version: 1,
  rules: [
    { id: 'day-high', kind: 'daily_energy', name: '日用电异常偏高', severity: 'minor', scope: { building: ['b1'] }, weeks: 4, above_pct: 30 },
    // two weeks back from 13 October: 6 October (a holiday, 240 kWh) and 29 September; with the holiday the median
    // would be 690 kWh and the Monday would fire; without it one working Monday is left, too few to judge
    { id: 'day-2w', kind: 'daily_energy', name: '日用电异常偏高（两周）', severity: 'minor', scope: { building: ['b1'] }, weeks: 2, above_pct: 30 },
    { id: 'base', kind: 'base_load', name: '夜间及节假日基础负荷过高', severity: 'major', scope: { building: ['b1'] }, above_kw: 25 },
    { id: 'demand', kind: 'peak_demand', name: '超合同最大需量', severity: 'major', scope: { device: ['main'] }, contracted_kw: 300 },
    { id: 'pv-pr', kind: 'pv_performance', name: '光伏性能比偏低', severity: 'minor', below: 0.7, days: 2 },
    { id: 'savings', kind: 'contract_savings', name: '节能量落后于保证值', severity: 'major' },
  ],
}, site, 'kpi-rules.yaml');

let dir: string;
let storage: Storage;
let ingestor: Ingestor;
let store: AlertStore;
let evaluator: AlertEvaluator;
let clock = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jieneng-kpi-'));
  storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
  ingestor = createIngestor({ site, storage, stateDir: join(dir, 'state'), now: () => clock });
  let kwh = 1000, yieldKwh = 5000, seq = 0;
  const end = day('2025-10-14');
  for (let d = day('2025-09-01'); d <= end; d += 96 * Q) {
    const readings: DeviceReading[] = [];
    for (let t = d; t < d + 96 * Q && t <= end; t += Q) { // up to 00:00 on Tuesday, which closes Monday's last quarter
      readings.push({ device: 'main', ts: t, points: { energy_import_kwh: { value: kwh, quality: 'good' } } });
      kwh += mainKw(t) * 0.25;
      if (t >= day('2025-10-11')) {
        const g = sunny(t) ? 800 : 0;
        readings.push({ device: 'pv-sun', ts: t, points: { irradiance_w_m2: { value: g, quality: 'good' } } });
        readings.push({ device: 'pv-inv', ts: t, points: { energy_yield_kwh: { value: yieldKwh, quality: 'good' } } });
        yieldKwh += 100 * (g / 1000) * pr(t) * 0.25;
      }
    }
    clock = d + 96 * Q;
    const r = await ingestor.ingest({ v: 1, site: site.site.id, gateway: 'gw1', seq: seq++, sent_ts: clock, readings });
    expect(r.rejected).toEqual([]);
  }
  await ingestor.flush();
  store = new AlertStore(join(dir, 'alerts'));
  evaluator = new AlertEvaluator({ config: rules, site, store, now: () => clock });
}, 60_000);
afterAll(async () => {
  evaluator.stop();
  await ingestor.close();
  store.close();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const schedule = () => new KpiSchedule({ config: rules, evaluator, store, ctx: { index: new SiteIndex(site), storage, reference, now: () => clock } });
const transitions = (rule: string) => store.events().reverse().filter((e) => e.rule === rule).map((e) => `${e.rule} ${e.device} ${e.transition}`);

describe('scheduled KPI rules', () => {
  it('base load on a public holiday is the whole day; on a 调休 working Saturday only the night', async () => {
    await schedule().runDay(day('2025-10-02'));
    const fired = store.events().find((e) => e.rule === 'base')!;
    expect(fired.message).toBe('【重要告警】一号楼：2025-10-02 节假日基础负荷 40 kW（阈值 25 kW）— 夜间及节假日基础负荷过高');
    await schedule().runDay(day('2025-10-11'));
    expect(transitions('base')).toEqual(['base b1 firing', 'base b1 resolved']);
    expect(store.events().find((e) => e.rule === 'base')!.value).toBe(10);
    // two holidays at 40 kW against a baseline of working days: the contract is behind its guarantee already
    expect(store.events().find((e) => e.rule === 'savings')!.message).toMatch(/^【重要告警】一号楼照明节能改造（节能量保证型）：截至 2025-10-02 节能量 -?\d+(\.\d+)? kWh，落后于保证节能量 547\.945 kWh/);
  });

  it('after the Monday closed (15 min grace), every KPI rule judges it once', async () => {
    const s = schedule();
    clock = MONDAY + 24 * 3_600_000 + 10 * 60_000; // 00:10 on Tuesday: Sunday is the last day closed 15 minutes ago
    await s.check();
    expect(store.getMeta('kpi_last_day')).toBe(String(day('2025-10-12')));
    const before = store.events().length;
    clock += 10 * 60_000;
    await s.check();
    expect(store.getMeta('kpi_last_day')).toBe(String(MONDAY));
    const fired = store.events().filter((e) => e.transition === 'firing' && e.at_ms === clock);
    expect(Object.fromEntries(fired.map((e) => [e.rule, [e.device, Math.round(e.value! * 1000) / 1000]]))).toEqual({
      'day-high': ['b1', 200 * 10 + 40 * 14 + (500 - 200) * 0.25], // 10 h at 200 kW, 14 h at 40 kW, one quarter at 500
      base: ['b1', 40],
      demand: ['main', 500],
      'pv-pr': ['pv1', 0.5],
    });
    expect(evaluator.firing().map((i) => i.rule).sort()).toEqual(['base', 'day-high', 'demand', 'pv-pr', 'savings']);
    const byRule = new Map(fired.map((e) => [e.rule, e]));
    // the Mondays before but the holiday of 6 October: the median of three working Mondays, 1140 kWh
    expect(byRule.get('day-high')!.message).toBe('【次要告警】一号楼：2025-10-13 日用能 2635 kWh，超过近几周同星期中位数的 1482 kWh — 日用电异常偏高');
    expect(byRule.get('demand')!.message).toContain('最大需量 500 kW，超过 300 kW');
    await s.check(); // the same day is not judged twice, also by a new schedule on the same store
    await schedule().check();
    expect(store.events()).toHaveLength(before + 4);
  });

  it('a restart keeps the firing KPI alerts and judging the same day again announces nothing twice', async () => {
    const firing = evaluator.firing().map((i) => i.key).sort();
    const events = store.events().length;
    const notifications = store.notificationCounts();
    evaluator.stop();
    store.close();
    store = new AlertStore(join(dir, 'alerts'));
    evaluator = new AlertEvaluator({ config: rules, site, store, now: () => clock });
    expect(evaluator.firing().map((i) => i.key).sort()).toEqual(firing);
    await schedule().runDay(MONDAY);
    expect(store.events()).toHaveLength(events);
    expect(store.notificationCounts()).toEqual(notifications);
  });

  it('in a share group one collector judges them: startAlerts({ kpi: false }) runs no schedule', async () => {
    const d = mkdtempSync(join(tmpdir(), 'jieneng-kpi-share-'));
    const off = startAlerts({ site, config: rules, dataDir: d, storage, kpi: false });
    expect(off.kpi).toBeUndefined();
    await off.stop();
    const on = startAlerts({ site, config: rules, dataDir: d, storage });
    expect(on.kpi).toBeDefined();
    await on.stop();
    rmSync(d, { recursive: true, force: true });
  });

  it('a working Monday is not held against a holiday Monday: too few working Mondays in two weeks, not judged', () => {
    expect(store.events().filter((e) => e.rule === 'day-2w')).toEqual([]);
  });
});
