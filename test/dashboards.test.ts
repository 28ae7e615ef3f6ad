/**
 * The energy managers' board reads the collector's building totals (energy_building_*, decision 0404), so a
 * building's energy is its root meters' sum and a sub-item its topmost meters', never a main meter and its
 * sub-meters added together. Each energy panel's InfluxQL runs against real InfluxDB 1.6.7 holding what the
 * collector wrote for a small meter tree; the expected kWh are the counters' advances, worked in the comments.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, inject, it } from 'vitest';
import { checkSite } from '../core/site/load.ts';
import { createIngestor } from '../collector/ingest.ts';
import { openStorage } from '../storage/index.ts';
import { createDatabase } from './harness/influxd.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 2, 0); // 10:00 in Shanghai, on the 15-minute grid
const dir = mkdtempSync(join(tmpdir(), 'jieneng-boards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const meter = (id: string, category: string, parent?: string) => ({
  id, name: id, kind: 'meter', medium: 'electricity', category, building: 'b1', gateway: 'gw1', template: 'chint-dtsu666', ct_ratio: 100,
  address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: 15999, unit_id: 1 }, ...(parent ? { parent } : {}),
});
/** main (01000) over a feeder that also carries 01000 and a lighting meter (01A00) over a lighting sub-meter (01A00). */
const site = checkSite({
  version: 1,
  site: { id: 'boards', name: 'boards', timezone: 'Asia/Shanghai' },
  buildings: [{ id: 'b1', name: '一号楼', floor_area_m2: 1000 }],
  gateways: [{ id: 'gw1', poll_interval_s: 60 }],
  devices: [meter('main', '01000'), meter('feeder', '01000', 'main'), meter('light', '01A00', 'main'), meter('light2', '01A00', 'light')],
});

/** Every InfluxQL query of the board with its panel title. */
function boardQueries(): { title: string; query: string }[] {
  const board = JSON.parse(readFileSync('dashboards/boards/能源管理/overview.json', 'utf8')) as { panels: { title: string; targets?: { query?: string }[] }[] };
  return board.panels.flatMap((p) => (p.targets ?? []).filter((t) => t.query).map((t) => ({ title: p.title, query: t.query as string })));
}

it('charts building and sub-item energy from the building totals', async () => {
  const url = inject('influxUrl');
  const database = `boards_${process.pid}`;
  await createDatabase(url, database);
  const storage = await openStorage({ kind: 'influxdb', url, version: 1, database });
  const ingestor = createIngestor({ site, storage, stateDir: join(dir, 'state'), now: () => T0 + 3_600_000 });
  try {
    // main 1000 → 1012 → 1030: 12 + 18 = 30 kWh; feeder 500 → 510 → 520 (inside main); light 200 → 203 → 207: 7;
    // light2 100 → 101 → 102 (inside light)
    const values: Record<string, number[]> = { main: [1000, 1012, 1030], feeder: [500, 510, 520], light: [200, 203, 207], light2: [100, 101, 102] };
    for (let i = 0; i < 3; i++) {
      const r = await ingestor.ingest({
        v: 1, site: 'boards', gateway: 'gw1', seq: i, sent_ts: T0 + i * 15 * MIN,
        readings: Object.entries(values).map(([device, v]) => ({ device, ts: T0 + i * 15 * MIN, points: { energy_import_kwh: { value: v[i], quality: 'good' as const } } })),
      });
      expect(r.rejected).toEqual([]);
    }
    await ingestor.flush();
  } finally {
    await ingestor.close();
    await storage.close();
  }

  const run = async (query: string) => {
    const q = query.replaceAll('$building', 'b1').replaceAll('$timeFilter', `time >= ${T0 - 86_400_000}ms AND time < ${T0 + 86_400_000}ms`).replaceAll('$__interval', '15m');
    const res = await fetch(`${url}/query?${new URLSearchParams({ db: database, q, epoch: 'ms' })}`);
    const body = (await res.json()) as { results: { series?: { tags?: Record<string, string>; values: [number, number | string | null][] }[]; error?: string }[] };
    if (body.results[0].error) throw new Error(`${q}: ${body.results[0].error}`);
    return body.results[0].series ?? [];
  };
  const total = (series: Awaited<ReturnType<typeof run>>) => series.flatMap((s) => s.values).reduce((a, [, v]) => a + (typeof v === 'number' ? v : 0), 0);
  const queries = boardQueries();
  const energy = queries.filter((q) => /energy_/.test(q.query));
  expect(energy.length).toBeGreaterThan(0);
  for (const { title, query } of energy) {
    // every energy panel reads the building totals, never the per-meter rows (whose parents and children overlap)
    expect(query, title).toMatch(/"energy_building_(15m|1d)"/);
    if (query.startsWith('SHOW')) {
      expect((await run(query))[0].values.map(([, v]) => v), title).toEqual(['b1']);
    } else if (query.includes("'01000'")) {
      // the building: its root meter main, 30 kWh (main + feeder would be 50)
      expect(total(await run(query)), title).toBeCloseTo(30, 6);
    } else if (query.includes('01[A-D]00')) {
      // lighting: its topmost meter light, 7 kWh (light + light2 would be 9)
      const series = await run(query);
      expect(series.map((s) => [s.tags?.category, total([s])]), title).toEqual([['01A00', 7]]);
    }
  }
  // the quarter-hours: 12 and 18 kWh
  const quarter = energy.find((q) => q.query.includes('GROUP BY time(15m)'));
  expect((await run(quarter!.query))[0].values.filter(([, v]) => v !== null).map(([, v]) => v)).toEqual([12, 18]);
}, 60_000);
