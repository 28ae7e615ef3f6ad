/**
 * `npm run bench:api`: latency of the analytics API over a mix of KPI queries, on both stores, in one run.
 * Fills a year (2025) of 15-minute and daily rollups for BENCH_METERS meters (default 100: 20 buildings × a root
 * meter and four sub-item meters) into the embedded store and into an InfluxDB 1.x it starts itself (or INFLUX_URL),
 * then runs the same seeded query mix against an API on each (on InfluxDB once it has snapshotted and compacted the
 * fill, as a store written over a year has). Prints per query kind the median and p95, beside
 * the floors measured in the same run (a bare HTTP route; the store's own building-year aggregate) and the site and
 * portfolio kinds read again from the building totals (without the site totals, decision 0407), and ends with
 *   p95_ms=<worse of the two> p95_ms_embedded=<n> p95_ms_influx=<n> p50_ms=<worse of the two> queries=<n>
 * Sizes: BENCH_METERS (100, a multiple of 5), BENCH_DAYS (365), BENCH_QUERIES per store (270).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startApi } from '../api/server.ts';
import { openSecurityStore } from '../api/security/store.ts';
import { forgetSiteSince } from '../api/site-since.ts';
import { checkSite } from '../core/site/load.ts';
import type { SiteModel } from '../core/site/schema.ts';
import { zonedTime } from '../core/time.ts';
import { openStorage } from '../storage/index.ts';
import type { Storage, StoredPoint } from '../storage/port.ts';
import { createDatabase, startInfluxd, type InfluxServer } from '../test/harness/influxd.ts';
import { pidOf, settle } from './process-cpu.ts';

const METERS = Number(process.env.BENCH_METERS ?? 100);
const DAYS = Number(process.env.BENCH_DAYS ?? 365);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 270);
const BUILDINGS = Math.max(1, Math.floor(METERS / 5));
const TZ = 'Asia/Shanghai';
const YEAR0 = zonedTime(TZ, 2025, 1, 1);
const Q = 15 * 60_000;
const SUBITEMS = ['01A00', '01B00', '01C00', '01D00'];

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];
const ms = (n: number) => n.toFixed(1);

/** Deterministic PRNG (mulberry32) so both stores get the same query sequence. */
function prng(seed: number): () => number {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function benchSite(): SiteModel {
  const buildings = Array.from({ length: BUILDINGS }, (_, b) => ({
    id: `b${b}`, name: `楼${b}`, floor_area_m2: 5000 + 500 * b, building_class: 'A-government-office',
    years: [{ year: 2024, headcount: 200 + b }, { year: 2025, headcount: 190 + b }],
  }));
  const address = { protocol: 'modbus-tcp', host: '127.0.0.1', port: 15999, unit_id: 1 };
  const devices = buildings.flatMap((b) => [
    { id: `${b.id}-main`, name: `${b.name}总进线`, kind: 'meter', medium: 'electricity', category: '01000', building: b.id, gateway: 'gw', template: 'acrel-dtsd1352', address },
    ...SUBITEMS.map((c) => ({ id: `${b.id}-${c.toLowerCase()}`, name: `${b.name}${c}`, kind: 'meter', medium: 'electricity', category: c, building: b.id, gateway: 'gw', template: 'chint-dtsu666', parent: `${b.id}-main`, address })),
  ]);
  return checkSite({ version: 1, site: { id: 'bench', name: 'bench', timezone: TZ }, buildings, gateways: [{ id: 'gw' }], devices });
}

/** The provenance fields of a row adding up `intervals` measured quarter-hours (decision 0403). */
const provenance = (intervals: number) => ({ estimated: 0, estimated_kwh: 0, intervals, intervals_estimated: 0 });

/** A year of rollups, batch by batch: sub-items follow an office day; the root is their sum plus 10 % unmetered. */
function* yearBatches(): Generator<StoredPoint[]> {
  let batch: StoredPoint[] = [];
  // the site totals the collector writes beside them (decision 0407): the sum of the building totals
  const siteQuarters = new Float64Array(DAYS * 96);
  const siteDays = new Float64Array(DAYS);
  for (let b = 0; b < BUILDINGS; b++) {
    const shares = [0.3, 0.4, 0.15, 0.05];
    const series = [`b${b}-main`, ...SUBITEMS.map((c) => `b${b}-${c.toLowerCase()}`)];
    const daily = new Array<number>(series.length).fill(0);
    for (let day = 0; day < DAYS; day++) {
      daily.fill(0);
      const weekday = new Date(YEAR0 + day * 86_400_000 + 8 * 3_600_000).getUTCDay();
      const working = weekday >= 1 && weekday <= 5;
      for (let q = 0; q < 96; q++) {
        const hour = q / 4;
        const load = (working && hour >= 8 && hour < 18 ? 60 : 15) * (1 + b / 40) * (1 + 0.3 * Math.sin((2 * Math.PI * (day - 100)) / 365) ** 2);
        const kwh = [load, ...shares.map((s) => load * s)].map((v) => Math.round(v * 1000) / 1000);
        kwh.forEach((v, i) => {
          daily[i] += v;
          batch.push({ measurement: 'energy_15m', tags: { site: 'bench', building: `b${b}`, meter: series[i], medium: 'electricity', category: i === 0 ? '01000' : SUBITEMS[i - 1] }, fields: { energy_kwh: v, ...provenance(1) }, time: YEAR0 + day * 86_400_000 + q * Q });
        });
        // the building total the collector writes beside them (the root meter's quarter-hour; decision 0404)
        batch.push({ measurement: 'energy_building_15m', tags: { site: 'bench', building: `b${b}`, medium: 'electricity', category: '01000' }, fields: { energy_kwh: kwh[0], ...provenance(1) }, time: YEAR0 + day * 86_400_000 + q * Q });
        siteQuarters[day * 96 + q] += kwh[0];
        if (batch.length >= 5000) { yield batch; batch = []; }
      }
      daily.forEach((v, i) => batch.push({ measurement: 'energy_1d', tags: { site: 'bench', building: `b${b}`, meter: series[i], medium: 'electricity', category: i === 0 ? '01000' : SUBITEMS[i - 1] }, fields: { energy_kwh: Math.round(v * 1000) / 1000, ...provenance(96) }, time: YEAR0 + day * 86_400_000 }));
      batch.push({ measurement: 'energy_building_1d', tags: { site: 'bench', building: `b${b}`, medium: 'electricity', category: '01000' }, fields: { energy_kwh: Math.round(daily[0] * 1000) / 1000, ...provenance(96) }, time: YEAR0 + day * 86_400_000 });
      siteDays[day] += Math.round(daily[0] * 1000) / 1000;
    }
  }
  const siteTags = { site: 'bench', medium: 'electricity', category: '01000', partition: '0/1' };
  for (let day = 0; day < DAYS; day++) {
    for (let q = 0; q < 96; q++) {
      batch.push({ measurement: 'energy_site_15m', tags: siteTags, fields: { energy_kwh: siteQuarters[day * 96 + q], ...provenance(BUILDINGS) }, time: YEAR0 + day * 86_400_000 + q * Q });
    }
    batch.push({ measurement: 'energy_site_1d', tags: siteTags, fields: { energy_kwh: siteDays[day], ...provenance(96 * BUILDINGS) }, time: YEAR0 + day * 86_400_000 });
    if (batch.length >= 5000) { yield batch; batch = []; }
  }
  if (batch.length) yield batch;
}

async function fill(storage: Storage): Promise<{ rows: number; seconds: number }> {
  const t0 = performance.now();
  let rows = 0, n = 0;
  for (const batch of yearBatches()) {
    await storage.write(batch);
    rows += batch.length;
    if (++n % 10 === 0) await storage.flush();
  }
  await storage.flush();
  return { rows, seconds: (performance.now() - t0) / 1000 };
}

const day = (d: number) => new Date(YEAR0 + d * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10);
const monthStart = (m: number) => `2025-${String(m).padStart(2, '0')}-01`;
const monthEnd = (m: number) => (m === 12 ? '2026-01-01' : monthStart(m + 1));

/** The query mix: one generator per kind, drawing buildings and periods from the seeded PRNG. */
const KINDS: Record<string, (r: () => number) => string> = {
  'energy 1d, building-year': (r) => `/api/v1/buildings/b${Math.floor(r() * BUILDINGS)}/energy?from=2025-01-01&to=2026-01-01&interval=1d`,
  'energy 1h, building-week': (r) => { const d = Math.floor(r() * (DAYS - 7)); return `/api/v1/buildings/b${Math.floor(r() * BUILDINGS)}/energy?from=${day(d)}&to=${day(d + 7)}&interval=1h`; },
  'energy 15m, building-day': (r) => { const d = Math.floor(r() * (DAYS - 1)); return `/api/v1/buildings/b${Math.floor(r() * BUILDINGS)}/energy?from=${day(d)}&to=${day(d + 1)}&interval=15m`; },
  'comprehensive, building-year by month': (r) => `/api/v1/kpi/comprehensive-energy?scope=building&id=b${Math.floor(r() * BUILDINGS)}&from=2025-01-01&to=2026-01-01&granularity=month`,
  'comprehensive, site-year by month': () => '/api/v1/kpi/comprehensive-energy?scope=site&from=2025-01-01&to=2026-01-01&granularity=month',
  'intensity + 同比/环比, building-month': (r) => { const m = 1 + Math.floor(r() * 12); return `/api/v1/kpi/intensity?scope=building&id=b${Math.floor(r() * BUILDINGS)}&from=${monthStart(m)}&to=${monthEnd(m)}`; },
  'intensity, portfolio half-year': () => '/api/v1/kpi/intensity?scope=portfolio&from=2025-01-01&to=2025-07-01',
  'breakdown, building-month': (r) => { const m = 1 + Math.floor(r() * 12); return `/api/v1/buildings/b${Math.floor(r() * BUILDINGS)}/breakdown?from=${monthStart(m)}&to=${monthEnd(m)}`; },
  'TOU cost, building-month': (r) => { const m = 1 + Math.floor(r() * 12); return `/api/v1/buildings/b${Math.floor(r() * BUILDINGS)}/cost?from=${monthStart(m)}&to=${monthEnd(m)}`; },
};

/** The bench's own viewer key: every measured request is authenticated, as in production (issue #13). */
const security = openSecurityStore(':memory:');
const auth = { headers: { authorization: `Bearer ${security.keys.create({ name: 'bench', role: 'viewer', expires_at: null }).token}` } };

async function timeGet(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, auth);
  await res.arrayBuffer();
  const took = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return took;
}

/**
 * Fill a store with the year, then time the query mix. `settled` waits for the store's background work on the fill
 * (InfluxDB's snapshots and compactions of a year loaded in seconds), which a store written over a year has long
 * finished and which would otherwise be timed with the first queries.
 */
async function runStore(name: string, storage: Storage, site: SiteModel, settled: () => Promise<void> = async () => {}): Promise<{ all: number[]; byKind: Map<string, number[]> }> {
  const f = await fill(storage);
  process.stderr.write(`${name}: filled ${f.rows.toLocaleString('en-US')} rows in ${f.seconds.toFixed(1)} s\n`);
  const t0 = performance.now();
  await settled();
  process.stderr.write(`${name}: settled after ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const api = await startApi({ site, storage, port: 0, security });
  const base = `http://127.0.0.1:${api.port}`;
  try {
    const kinds = Object.keys(KINDS);
    for (const k of kinds) await timeGet(base + KINDS[k](prng(1))); // warm-up: one of each
    // Floors in the same run: a route that touches no store, and the store's own building-year aggregate.
    const http: number[] = [], store: number[] = [];
    for (let i = 0; i < 20; i++) http.push(await timeGet(`${base}/api/v1/buildings`));
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await storage.aggregate({ measurement: 'energy_1d', field: 'energy_kwh', fn: 'sum', from: YEAR0, to: YEAR0 + 365 * 86_400_000, every_ms: 86_400_000, offset_ms: -8 * 3_600_000, where: { site: 'bench', meter: `b${i % BUILDINGS}-main` } });
      store.push(performance.now() - t0);
    }
    // The site totals are complete from the start of the year (as a collector says at start, decision 0407).
    const declare = async (partition: string) => {
      await storage.write([{ measurement: 'energy_site_since', tags: { site: 'bench', partition }, fields: { written_at: Date.now() }, time: YEAR0 }]);
      await storage.flush();
      forgetSiteSince(storage);
    };
    await declare('0/1');
    const r = prng(42);
    const all: number[] = [];
    const byKind = new Map<string, number[]>(kinds.map((k) => [k, []]));
    for (let i = 0; i < QUERIES; i++) {
      const k = kinds[i % kinds.length];
      const t = await timeGet(base + KINDS[k](r));
      all.push(t);
      byKind.get(k)?.push(t);
    }
    // The same run's baseline, after the mix (so that the store's work after the fill weighs on the mix, not on
    // it): the kinds that read site totals, on the building totals as before decision 0407 — a row of a second
    // partition layout makes the API fall back to them.
    await declare('0/2');
    const siteKinds = kinds.filter((k) => /site|portfolio/.test(k));
    const baseline = new Map<string, number[]>(siteKinds.map((k) => [k, []]));
    const rb = prng(42);
    for (let i = 0; i < QUERIES; i++) {
      const k = kinds[i % kinds.length];
      const url = base + KINDS[k](rb);
      if (siteKinds.includes(k)) baseline.get(k)?.push(await timeGet(url));
    }
    process.stdout.write(`\n${name}: ${QUERIES} queries, median ${ms(median(all))} ms, p95 ${ms(p95(all))} ms`
      + `  (floors this run: HTTP route without storage median ${ms(median(http))} ms; store building-year aggregate median ${ms(median(store))} ms)\n`);
    for (const [k, ts] of byKind) process.stdout.write(`  ${k.padEnd(40)} median ${ms(median(ts)).padStart(7)} ms   p95 ${ms(p95(ts)).padStart(7)} ms\n`);
    for (const [k, ts] of baseline) process.stdout.write(`  ${(k + ', building totals').padEnd(40)} median ${ms(median(ts)).padStart(7)} ms   p95 ${ms(p95(ts)).padStart(7)} ms  (same run, without the site totals)\n`);
    return { all, byKind };
  } finally {
    await api.stop();
  }
}

async function main(): Promise<void> {
  const site = benchSite();
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-bench-api-'));
  let influx: InfluxServer | undefined;
  try {
    const embedded = await openStorage({ kind: 'embedded', path: join(dir, 'bench.sqlite') });
    const e = await runStore('embedded', embedded, site);
    await embedded.close();

    let url = process.env.INFLUX_URL;
    if (!url) { influx = await startInfluxd(); url = influx.url; }
    const database = `bench_api_${Date.now()}`;
    await createDatabase(url, database);
    const influxStore = await openStorage({ kind: 'influxdb', url, version: 1, database });
    const i = await runStore(`InfluxDB (${url})`, influxStore, site, () => settle(influx ? pidOf('influxd', influx.dir) : undefined));
    await influxStore.close();

    const pe = p95(e.all), pi = p95(i.all);
    process.stdout.write(`\np95_ms=${ms(Math.max(pe, pi))} p95_ms_embedded=${ms(pe)} p95_ms_influx=${ms(pi)} p50_ms=${ms(Math.max(median(e.all), median(i.all)))} queries=${e.all.length + i.all.length}\n`);
  } finally {
    await influx?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:api failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
