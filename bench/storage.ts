/**
 * `npm run bench:storage`: write throughput and aggregate latency of both storage adapters, measured in one run
 * on this machine, medians printed. Starts its own InfluxDB 1.x (Debian's influxd) unless INFLUX_URL is set.
 *
 *   write  raw InfluxDB   line protocol POSTed to /write directly, 5 000-point batches, 2 in flight (the ceiling)
 *          adapter        Storage.write() in 5 000-point batches, flush() at the end (WriteApi batching)
 *          embedded       Storage.write() in 5 000-point batches (one transaction each, tier rollups kept)
 *   query  the year of 15-minute rows of BENCH_METERS meters (default 100) and a year of daily rows per meter,
 *          read as a building-year of days, the whole fleet summed per Shanghai day, per meter per day, etc.
 *
 * Sizes: BENCH_METERS (100), BENCH_DAYS (365), BENCH_WRITE_POINTS (300 000), BENCH_REPEAT (15).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startInfluxd, type InfluxServer } from '../test/harness/influxd.ts';
import { openEmbeddedStorage } from '../storage/embedded/store.ts';
import { openInfluxStorage } from '../storage/influx/open.ts';
import type { AggregateQuery, AggregateSeries, Storage, StoredPoint } from '../storage/port.ts';

const METERS = Number(process.env.BENCH_METERS ?? 100);
const DAYS = Number(process.env.BENCH_DAYS ?? 365);
const WRITE_POINTS = Number(process.env.BENCH_WRITE_POINTS ?? 300_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 15);
const BATCH = 5_000;
const H = 3_600_000, D = 24 * H, Q = 15 * 60_000;
const YEAR0 = Date.UTC(2024, 11, 31, 16); // 2025-01-01 00:00 Asia/Shanghai

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const p95 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Telemetry-like points for the write test: 20 points per device, one line each. */
function writePoints(n: number): StoredPoint[] {
  const out: StoredPoint[] = [];
  for (let i = 0; i < n; i++) {
    const device = i % 2000;
    out.push({ measurement: 'telemetry', tags: { site: 'demo', building: `b${device % 50}`, device: `dev${device}`, point: `p${Math.floor(i / 2000) % 20}`, quality: 'good' }, fields: { value: (i % 1000) / 10 }, time: YEAR0 + Math.floor(i / 40_000) * 1000 });
  }
  return out;
}

/** A year of 15-minute rows and daily rows for METERS meters in 4 buildings. */
function* yearBatches(): Generator<StoredPoint[]> {
  let batch: StoredPoint[] = [];
  for (let m = 0; m < METERS; m++) {
    const tags = { site: 'demo', building: `b${m % 4}`, meter: `m${m}`, medium: 'electricity', category: '01A00' };
    for (let day = 0; day < DAYS; day++) {
      let daily = 0;
      for (let q = 0; q < 96; q++) {
        const kwh = Math.round((2 + Math.sin((q / 96) * 2 * Math.PI) + (m % 7) / 10) * 1000) / 1000;
        daily += kwh;
        batch.push({ measurement: 'energy_15m', tags, fields: { energy_kwh: kwh, estimated: 0 }, time: YEAR0 + day * D + q * Q });
        if (batch.length >= BATCH) { yield batch; batch = []; }
      }
      batch.push({ measurement: 'energy_1d', tags, fields: { energy_kwh: Math.round(daily * 1000) / 1000, estimated: 0 }, time: YEAR0 + day * D });
    }
  }
  if (batch.length) yield batch;
}

async function rawInfluxWrite(url: string, db: string, points: StoredPoint[]): Promise<number> {
  const esc = (s: string): string => s.replace(/[ ,=]/g, (c) => `\\${c}`);
  const lines = points.map((p) => `${esc(p.measurement)},${Object.entries(p.tags).map(([k, v]) => `${esc(k)}=${esc(v)}`).join(',')} ${Object.entries(p.fields).map(([k, v]) => `${esc(k)}=${v}`).join(',')} ${p.time}`);
  const bodies: string[] = [];
  for (let i = 0; i < lines.length; i += BATCH) bodies.push(lines.slice(i, i + BATCH).join('\n'));
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const res = await fetch(`${url}/write?db=${db}&precision=ms`, { method: 'POST', body });
      if (res.status !== 204) throw new Error(`raw write: HTTP ${res.status} ${await res.text()}`);
    }
  };
  await Promise.all([worker(), worker()]); // 2 in flight
  return points.length / ((performance.now() - t0) / 1000);
}

async function adapterWrite(store: Storage, points: StoredPoint[]): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < points.length; i += BATCH) await store.write(points.slice(i, i + BATCH));
  await store.flush();
  return points.length / ((performance.now() - t0) / 1000);
}

async function fill(store: Storage): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  for (const b of yearBatches()) {
    await store.write(b);
    n += b.length;
  }
  await store.flush();
  return n / ((performance.now() - t0) / 1000);
}

function queries(): [string, AggregateQuery][] {
  const from = YEAR0, to = YEAR0 + DAYS * D;
  const shDay = { every_ms: D, offset_ms: -8 * H };
  return [
    ['building-year of daily rows, per day', { measurement: 'energy_1d', field: 'energy_kwh', fn: 'sum', from, to, ...shDay, where: { building: 'b1' } }],
    ['building-year of daily rows, per meter total', { measurement: 'energy_1d', field: 'energy_kwh', fn: 'sum', from, to, where: { building: 'b1' }, group_by: ['meter'] }],
    [`${METERS} meters × year of 15-min rows, summed per day`, { measurement: 'energy_15m', field: 'energy_kwh', fn: 'sum', from, to, ...shDay }],
    [`${METERS} meters × year of 15-min rows, per building per day`, { measurement: 'energy_15m', field: 'energy_kwh', fn: 'sum', from, to, ...shDay, group_by: ['building'] }],
    [`${METERS} meters × year of 15-min rows, per meter per day`, { measurement: 'energy_15m', field: 'energy_kwh', fn: 'sum', from, to, ...shDay, group_by: ['meter'] }],
    ['one building, a month of 15-min rows, per hour', { measurement: 'energy_15m', field: 'energy_kwh', fn: 'sum', from: from + 31 * D, to: from + 59 * D, every_ms: H, where: { building: 'b2' } }],
    ['one meter, a day of 15-min rows (unaligned range)', { measurement: 'energy_15m', field: 'energy_kwh', fn: 'max', from: from + 100 * D + 7 * 60_000, to: from + 101 * D, every_ms: Q, where: { meter: 'm3' } }],
  ];
}

/** Largest relative difference between two answers of the same shape (Infinity if the shapes differ). */
function maxRelDiff(a: AggregateSeries[], b: AggregateSeries[]): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  a.forEach((s, i) => {
    if (JSON.stringify(s.tags) !== JSON.stringify(b[i].tags) || s.points.length !== b[i].points.length) worst = Infinity;
    s.points.forEach((p, j) => {
      const q = b[i].points[j];
      if (!q || p.time !== q.time) worst = Infinity;
      else if (p.value !== q.value) worst = Math.max(worst, Math.abs(p.value - q.value) / Math.max(Math.abs(p.value), Math.abs(q.value)));
    });
  });
  return worst;
}

async function time(store: Storage, q: AggregateQuery): Promise<number[]> {
  await store.aggregate(q); // warm-up
  const out: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    await store.aggregate(q);
    out.push(performance.now() - t0);
  }
  return out;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-bench-storage-'));
  let server: InfluxServer | undefined;
  const url = process.env.INFLUX_URL ?? (server = await startInfluxd()).url;
  const db = `bench_${Date.now()}`;
  const stores: Storage[] = [];
  // Ctrl-C: stop the InfluxDB this run started and delete its data.
  let stopping = false;
  const interrupted = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await server?.destroy();
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  // stdout closed early (e.g. piped into `head`): stop cleanly rather than die on EPIPE and leave influxd running
  process.stdout.on('error', () => void interrupted());
  try {
    const influx = await openInfluxStorage({ kind: 'influxdb', url, database: db });
    const embedded = openEmbeddedStorage({ path: join(dir, 'jieneng.sqlite') });
    stores.push(influx, embedded);
    await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE "${db}_raw"` }) });

    const pts = writePoints(WRITE_POINTS);
    console.log(`write throughput, ${fmt(WRITE_POINTS)} telemetry points in ${BATCH}-point batches (3 runs, median):`);
    const raw: number[] = [], viaAdapter: number[] = [], emb: number[] = [];
    for (let run = 0; run < 3; run++) {
      // each run writes new instants, so nothing is an overwrite
      const shifted = pts.map((p) => ({ ...p, time: p.time + run * 10 * D }));
      raw.push(await rawInfluxWrite(url, `${db}_raw`, shifted));
      viaAdapter.push(await adapterWrite(influx, shifted));
      emb.push(await adapterWrite(embedded, shifted));
    }
    console.log(`  raw InfluxDB /write, 2 in flight   ${fmt(median(raw)).padStart(9)} points/s   (the limit)`);
    console.log(`  InfluxDB adapter                   ${fmt(median(viaAdapter)).padStart(9)} points/s   ratio ${(median(viaAdapter) / median(raw)).toFixed(2)}`);
    console.log(`  embedded adapter                   ${fmt(median(emb)).padStart(9)} points/s`);

    console.log(`\nfilling a year: ${METERS} meters × ${DAYS} days of 15-min rows + daily rows (${fmt(METERS * DAYS * 97)} points)`);
    const [fi, fe] = [await fill(influx), await fill(embedded)];
    console.log(`  InfluxDB ${fmt(fi)} points/s, embedded ${fmt(fe)} points/s`);

    console.log(`\naggregate latency, ms (median / p95 of ${REPEAT}):`);
    console.log(`  ${'query'.padEnd(58)} ${'embedded'.padStart(16)} ${'InfluxDB'.padStart(18)}   answers`);
    for (const [name, q] of queries()) {
      const [a, b] = [await time(embedded, q), await time(influx, q)];
      const [ra, rb] = [await embedded.aggregate(q), await influx.aggregate(q)];
      const same = JSON.stringify(ra) === JSON.stringify(rb) ? 'identical' : `max rel. diff ${maxRelDiff(ra, rb).toExponential(1)}`;
      console.log(`  ${name.padEnd(58)} ${`${median(a).toFixed(1)} / ${p95(a).toFixed(1)}`.padStart(16)} ${`${median(b).toFixed(1)} / ${p95(b).toFixed(1)}`.padStart(18)}   ${same}`);
    }
  } finally {
    for (const s of stores) await s.close().catch(() => undefined);
    await server?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
