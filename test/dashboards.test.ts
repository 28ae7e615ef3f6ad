/**
 * Every panel of every board, run as Grafana runs it (test/harness/board-runner.ts, grafana-influxql.ts) against
 * real InfluxDB 1.6.7 holding a backfilled demo week: three buildings of the demo site (offices with water and
 * gas, the PV roof, the contract building) and their HVAC controllers, fed through the collector's ingestion
 * (simulators/backfill.ts, decision 0502) with one counter reset, then the daily KPI write-back over it. Each panel
 * must return plausible numbers, and the key figures must equal what the API answers for the same period.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deadLetterRows } from '../collector/dead-letters.ts';
import { createIngestor } from '../collector/ingest.ts';
import { MEASUREMENT } from '../core/measurements.ts';
import { loadSite } from '../core/site/load.ts';
import { zonedTime } from '../core/time.ts';
import { startApi } from '../api/server.ts';
import { testKeys } from '../api/testing/fixture.ts';
import { BOARDS } from '../dashboards/src/index.ts';
import { kpiSources, writeDailyKpis } from '../jobs/kpi-writeback.ts';
import { backfill } from '../simulators/backfill.ts';
import { parseFaultSpec } from '../simulators/fault-spec.ts';
import type { ValueFault } from '../simulators/physics/faults.ts';
import { openStorage } from '../storage/index.ts';
import type { Storage } from '../storage/port.ts';
import { numbers, runBoard, target, total, type BoardJson, type PanelRun } from './harness/board-runner.ts';
import { feedStatesAndAlerts, type FedStates } from './harness/board-states.ts';
import { createDatabase } from './harness/influxd.ts';

const TZ = 'Asia/Shanghai';
const DAY = 86_400_000;
/** Monday 9 March 2026, noon in Shanghai: the boards' "now"; their default range is Mon 2 … Sun 8 March. */
const NOW = zonedTime(TZ, 2026, 3, 9, 12);
const FROM = zonedTime(TZ, 2026, 3, 1);
const BUILDINGS = ['centre-b1', 'zhongshan-e290', 'jiwei'];

const site = loadSite('config/demo-site.yaml');
site.buildings = site.buildings.filter((b) => BUILDINGS.includes(b.id));
site.devices = site.devices.filter((d) => BUILDINGS.includes(d.building));
site.gateways = site.gateways.filter((g) => site.devices.some((d) => d.gateway === g.id));
// The demo contract verifies half a year; here a baseline of four working days and a reporting period after it.
site.contracts = site.contracts!.map((c) => ({ ...c, baseline: { from: '2026-03-02', to: '2026-03-05' }, reporting: { from: '2026-03-06', to: '2026-06-30' } }));

const dir = mkdtempSync(join(tmpdir(), 'jieneng-boards-'));
const keys = testKeys();
const database = `boards_${process.pid}`;
let url = '';
let storage: Storage;
let api = '';
let stopApi: () => Promise<void> = async () => {};
let fed: FedStates;
const boards = new Map<string, BoardJson>(BOARDS.map((b) => [b.file, JSON.parse(readFileSync(join('dashboards/boards', b.file), 'utf8')) as BoardJson]));
const runs = new Map<string, PanelRun[]>();
const board = (file: string) => boards.get(file)!;
const panel = (file: string, title: string, repeatValue?: string) => {
  const r = runs.get(file)!.find((x) => x.panel.title.startsWith(title) && (repeatValue === undefined || x.repeatValue === repeatValue));
  if (!r) throw new Error(`${file}: no panel '${title}'`);
  return r;
};
const apiGet = async (path: string) => {
  const res = await fetch(`${api}/api/v1${path}`, { headers: keys.headers() });
  const body = await res.json() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON read by the test
  expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(200);
  return body;
};

beforeAll(async () => {
  url = inject('influxUrl');
  await createDatabase(url, database);
  storage = await openStorage({ kind: 'influxdb', url, version: 1, database });
  // gateway and device states and alerts through the broker, the collector and the alerts runtime (decision 0409)
  fed = await feedStatesAndAlerts(site, storage, NOW, join(dir, 'states'));
  const ingestor = createIngestor({ site, storage, stateDir: join(dir, 'state'), now: () => NOW, maxAgeMs: 10 * DAY });
  const faults = new Map<string, ValueFault[]>();
  const reset = parseFaultSpec('centre-b1-lighting:counter_reset:at=2026-03-09T08:05:00+08:00');
  if ('value' in reset) faults.set(reset.device, [reset.value]);
  try {
    const r = await backfill({ site, days: (NOW - FROM) / DAY, toMs: NOW, seed: 1, hvac: true, faults, ingest: (b) => ingestor.ingest(b) });
    expect(r.rejected).toEqual({});
    // a gateway sending a device the site does not have: rejected, and counted as the collector's runtime counts
    // its dead letters
    const bad = await ingestor.ingest({ v: 1, site: site.site.id, gateway: 'gw-centre', seq: 10_000, sent_ts: NOW - 3_600_000, readings: [{ device: 'no-such-meter', ts: NOW - 3_600_000, points: { power_kw: { value: 1, quality: 'good' } } }] });
    expect(bad.rejected.map((x) => x.reason)).toEqual(['unknown_device']);
    await storage.write(deadLetterRows(site.site.id, `jieneng/v1/${site.site.id}/gw-centre/readings`, bad.rejected, NOW - 3_600_000));
    await ingestor.flush();
  } finally {
    await ingestor.close();
  }
  // The collector's seq accounting (collector/sequence/tracker.ts) runs with its MQTT runtime, not in a
  // backfill: rows of the tracker's shape, one per gateway and hour.
  await storage.write(site.gateways.flatMap((g) => Array.from({ length: 24 }, (_, h) => ({
    measurement: MEASUREMENT.gatewayAccounting, tags: { site: site.site.id, gateway: g.id },
    fields: { last_seq: 100 + h, gap_batches: 0, recovered: 0, lost: 0, duplicates: 0, stored: 100 + h, restarts: 1, queued: 0, online: 1 },
    time: NOW - (24 - h) * 3_600_000,
  }))));
  await writeDailyKpis(kpiSources(site, storage), FROM, zonedTime(TZ, 2026, 3, 10));
  const started = await startApi({ site, storage, port: 0, now: () => NOW, security: keys.security });
  api = `http://127.0.0.1:${started.port}`;
  stopApi = started.stop;
  // the building board for the offices with water and gas; every other board with its defaults
  for (const [file, b] of boards) {
    const select = file.endsWith('building.json') ? { building: ['centre-b1'] } : undefined;
    runs.set(file, (await runBoard(b, { url, db: database, now: NOW, select })).runs);
  }
}, 120_000);

afterAll(async () => {
  await stopApi();
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Panels whose range has no data by design: 同比 needs a year of history before the demo week. */
const EMPTY_BY_DESIGN = new Set(['综合能耗 同比基准（去年同期）']);

/** Plausible ranges by Grafana unit; contracts' savings may be negative. */
function plausible(unit: string | undefined, v: number, file: string): boolean {
  if (!Number.isFinite(v)) return false;
  if (file.includes('contracts')) return Math.abs(v) < 1e7;
  switch (unit) {
    case 'percent': return v >= 0 && v <= 100;
    case 'percentunit': return v >= 0 && v <= 1.5;
    case 'celsius': return v > -30 && v < 100;
    default: return v >= -1e-9 && v < 1e8;
  }
}

describe('boards', () => {
  it('shows names and queries ids: the building variable lists 区行政中心1号楼 for centre-b1', async () => {
    const { vars } = await runBoard(board('能源管理/building.json'), { url, db: database, now: NOW, select: { building: ['centre-b1'] } });
    expect(vars.get('building')!.options).toContainEqual({ value: 'centre-b1', text: '区行政中心1号楼' });
    expect(vars.get('site')!.texts).toEqual(['松江区机关事务管理局（演示站点）']);
    expect(vars.get('meter')!.options.map((o) => o.text)).toContain('区行政中心1号楼总水表');
    expect(vars.get('meter')!.options.every((o) => o.value.startsWith('centre-b1-'))).toBe(true);
  });

  for (const { file } of BOARDS) {
    it(`${file}: every panel returns plausible numbers`, () => {
      const list = runs.get(file)!;
      expect(list.length).toBeGreaterThan(3);
      for (const run of list) {
        const name = `${run.panel.title}${run.repeatValue ? ` [${run.repeatValue}]` : ''}`;
        const values = run.targets.flatMap((t) => numbers(t.series));
        if (EMPTY_BY_DESIGN.has(run.panel.title)) { expect(values, name).toEqual([]); continue; }
        expect(values.length, `${name}: no numbers from ${run.targets.map((t) => t.query).join(' ; ')}`).toBeGreaterThan(0);
        const unit = run.panel.fieldConfig?.defaults?.unit;
        for (const v of values) expect(plausible(unit, v, file), `${name}: ${v} ${unit}`).toBe(true);
      }
    });
  }
});

describe('数据质量与设备: states and alerts as fed through the broker', () => {
  const file = '运维/technicians.json';
  const rowsOf = (title: string) => panel(file, title).targets[0].series.flatMap((x) => x.values.map((v) => ({ ...x.tags, ...Object.fromEntries(x.columns.map((c, i) => [c, v[i]])) })));

  it('设备状态: the latest state of each device, with the time it began and the reason', () => {
    const rows = rowsOf('设备状态');
    expect(rows).toHaveLength(site.devices.length);
    expect(rows.find((r) => r.device === fed.offline)).toMatchObject({ state_code: 0, reason: 'no answer (timeout)', time: NOW - 3 * 3_600_000 });
    expect(rows.find((r) => r.device === fed.degraded)).toMatchObject({ state_code: 1 });
    expect(rows.find((r) => r.device === fed.recovered)).toMatchObject({ state_code: 2, time: NOW - 4 * 3_600_000 });
    expect(rowsOf('网关状态').map((r) => r.state_code)).toEqual(site.gateways.map(() => 2));
  });

  it('正在告警 lists the acknowledged alert still firing, not the resolved one; 告警历史 every transition', () => {
    const firing = rowsOf('正在告警');
    expect(firing).toHaveLength(1);
    expect(firing[0]).toMatchObject({ 状态: 1, severity: 'critical' });
    expect(String(firing[0].摘要)).toMatch(/^【已确认】【严重告警】.*离线 — 设备离线（tech-wang：已派人检查）$/);
    expect(rowsOf('告警历史').map((r) => r.状态)).toEqual([1, 2, 0, 2]);
  });
});

describe('boards agree with the API for the same period (Mon 2 … Sun 8 March)', () => {
  const range = 'from=2026-03-02&to=2026-03-09';

  it('能耗总览: comprehensive energy of all buildings = GET /kpi/comprehensive-energy of the site', async () => {
    const body = await apiGet(`/kpi/comprehensive-energy?scope=site&${range}`);
    expect(total(target(panel('能源管理/overview.json', '综合能耗'), '综合能耗').series)).toBeCloseTo(body.total.total_kgce, 2);
  });

  it('能耗总览: the electricity intensity of a building and its pro-rated limit = GET /kpi/intensity', async () => {
    const body = await apiGet(`/kpi/intensity?scope=building&id=centre-b1&${range}`);
    const table = panel('能源管理/overview.json', '建筑排名').targets[0].series.find((x) => x.tags?.id === 'centre-b1')!;
    const column = (name: string) => table.values[0][table.columns.indexOf(name)] as number;
    expect(column('单位面积用电 kWh/m²')).toBeCloseTo(body.current.electricity_kwh_per_m2, 4);
    expect(column('约束值 kWh/m²')).toBeCloseTo(body.rating.limit_for_period, 4);
  });

  it('能耗总览: cost of one building = GET /buildings/{id}/cost', async () => {
    const { runs: only } = await runBoard(board('能源管理/overview.json'), { url, db: database, now: NOW, select: { building: ['centre-b1'] } });
    const body = await apiGet(`/buildings/centre-b1/cost?${range}`);
    const cost = only.find((r) => r.panel.title === '费用')!;
    expect(total(target(cost, '费用').series)).toBeCloseTo(body.total_cny, 1);
  });

  it('建筑: the total line = GET /buildings/{id}/energy, and the stacked sub-items stay below it', async () => {
    const body = await apiGet(`/buildings/centre-b1/energy?${range}&interval=1d`);
    const run = panel('能源管理/building.json', '分类分项用电');
    const totalKwh = total(target(run, '总用电（总表）').series);
    expect(totalKwh).toBeCloseTo(body.points.reduce((a: number, p: { energy_kwh: number }) => a + p.energy_kwh, 0), 1);
    const parts = run.targets.filter((t) => t.alias !== '总用电（总表）').reduce((a, t) => a + total(t.series), 0);
    expect(parts).toBeGreaterThan(0.5 * totalKwh);
    expect(parts).toBeLessThanOrEqual(totalKwh * 1.0001);
    // the 15-minute profile is the same energy as kW: Σ kW / 4 = kWh
    expect(total(target(panel('能源管理/building.json', '15 分钟负荷曲线'), '负荷').series) / 4).toBeCloseTo(totalKwh, 1);
    // the heat map's 24 hours of each day add up to the day
    expect(total(panel('能源管理/building.json', '逐日逐时用电热力图').targets[0].series)).toBeCloseTo(totalKwh, 1);
  });

  it('光伏: yield and daily PR = GET /pv-systems/{id}/performance', async () => {
    const body = await apiGet(`/pv-systems/zhongshan-e290-pv/performance?${range}&granularity=day`);
    expect(total(target(panel('能源管理/pv.json', '发电量'), '发电量').series)).toBeCloseTo(body.total.ac_energy_kwh, 1);
    const pr = panel('能源管理/pv.json', '每日 PR').targets[0].series[0];
    const prColumn = pr.columns.indexOf('PR');
    expect(pr.values.map((row) => row[prColumn])).toEqual(body.periods.map((p: { performance_ratio: number | null }) => p.performance_ratio));
  });

  it('合同能源管理: cumulative savings and their uncertainty = GET /contracts/{id}/savings to the range end', async () => {
    const body = await apiGet('/contracts/jiwei-hot-water-emc/savings?to=2026-03-09');
    expect(body.savings.avoided).toBeGreaterThan(0); // the working-day baseline against a reporting period with a weekend
    const last = (title: string) => numbers(panel('能源管理/contracts.json', title).targets[0].series).at(-1);
    expect(last('累计节能量')).toBeCloseTo(body.savings.avoided, 2);
    const band = panel('能源管理/contracts.json', '累计节能量及不确定度').targets[0].series[0];
    const row = band.values.at(-1)!;
    expect((row[band.columns.indexOf('上限')] as number) - (row[band.columns.indexOf('累计节能量')] as number)).toBeCloseTo(body.savings.uncertainty, 2);
    expect(last('节能服务公司分成')).toBeCloseTo(body.split.esco_cny, 2);
  });
});
