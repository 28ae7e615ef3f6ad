/**
 * `npm run bench:collector`: the collector's sustained end-to-end throughput against the raw InfluxDB write
 * rate, measured in the same run on the same machine (issue 5).
 *
 *   (a) raw: the same telemetry rows, as line protocol, POSTed straight to InfluxDB `/write` in requests of the
 *       collector's size (its writer's `writePoints`) with 2 in flight, as its InfluxDB adapter keeps them — the
 *       ceiling of the store on this machine for the same requests; the request bodies are built before the
 *       phase is timed, so that the bench's own work cannot lower the ceiling; measured before and after (b),
 *       the better of the two counting;
 *   (b) collector: a real collector process (`jieneng collector run`) subscribed to a real Mosquitto at QoS 1,
 *       fed realistic per-gateway poll batches, with every check on (contract schema, site model, ranges,
 *       counter energy, rollups, on-disk buffer) — timed from the first publish until InfluxDB has acknowledged
 *       the write of every telemetry point (then counted in InfluxDB). It also writes its energy rows; those are not counted.
 * InfluxDB spends less CPU per point on larger requests, so a ceiling written in smaller requests than the
 * collector's would flatter the ratio (issue 18).
 *
 * Prints, last: `collector_pts_s=<n> raw_influx_pts_s=<n> ratio=<collector/raw> rss_mb=<peak>` for the run whose
 * ratio is the median, where rss_mb is the collector process's peak resident set (VmHWM) over all runs. `BENCH_CYCLES` and `BENCH_RUNS` change the size; `BENCH_KEEP=1` keeps the collector logs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { topics, type ReadingBatch } from '../core/contract/v1.ts';
import { benchBatches, benchSite, GATEWAYS, METERS_PER_GATEWAY, POINTS, POLL_MS } from './collector-data.ts';
import { OUTBOX_WRITER_DEFAULTS } from '../collector/outbox-writer.ts';
import { startCollectorProcess, writeSiteFile } from '../collector/testing/process.ts';
import { influxScalar } from '../collector/testing/influx.ts';
import { createDatabase, startInfluxd } from '../test/harness/influxd.ts';
import { startMosquitto } from '../test/harness/mosquitto.ts';
import { deployedRuntime, describeRuntime } from './deployed-runtime.ts';
import { cpuSeconds, cpuTimes, pidOf, settle } from './process-cpu.ts';
import { freePort } from '../test/harness/ports.ts';

const CYCLES = Number(process.env.BENCH_CYCLES ?? 80);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** The telemetry rows the collector would write, as InfluxDB line protocol (ms precision). */
function lines(all: ReadingBatch[][]): string[] {
  const out: string[] = [];
  for (const cycle of all) {
    for (const b of cycle) {
      for (const r of b.readings) {
        for (const [point, pv] of Object.entries(r.points)) {
          out.push(`telemetry,building=b${b.gateway.slice(2)},device=${r.device},gateway=${b.gateway},point=${point},quality=good,site=bench value=${pv.value} ${r.ts}`);
        }
      }
    }
  }
  return out;
}

/** Lines per request of the raw phases that set the ceiling: the collector's own request size (issue 18). */
const RAW_BATCH = OUTBOX_WRITER_DEFAULTS.writePoints;

/**
 * The raw phase's requests, built before it is timed: each `batch` lines as one body of bytes, so that the phase
 * costs this process a send per request and nothing else. (Slicing and joining an array of millions of strings
 * while timing, with the garbage collector walking them, took this process more than a core at 600 cycles and
 * capped the "ceiling" at what the bench could send, not what InfluxDB could take.)
 */
function requestBodies(rows: string[], batch = RAW_BATCH): RawRequest[] {
  const utf8 = new TextEncoder();
  const out: RawRequest[] = [];
  for (let i = 0; i < rows.length; i += batch) {
    const chunk = rows.slice(i, i + batch);
    out.push({ body: utf8.encode(chunk.join('\n')), lines: chunk.length });
  }
  return out;
}

/** One request of a raw phase: its body and how many lines it holds. */
interface RawRequest { body: Uint8Array<ArrayBuffer>; lines: number }

async function rawWrite(url: string, db: string, requests: RawRequest[]): Promise<RawRate> {
  const total = requests.reduce((n, r) => n + r.lines, 0);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  let acknowledged = 0;
  const thirds: number[] = []; // when the first and the second third of the rows were acknowledged
  const worker = async () => {
    while (next < requests.length) {
      const { body, lines } = requests[next++];
      const res = await fetch(`${url}/write?db=${db}&precision=ms`, { method: 'POST', body });
      if (res.status !== 204) throw new Error(`raw write: HTTP ${res.status} ${await res.text()}`);
      acknowledged += lines;
      while (thirds.length < 2 && acknowledged >= ((thirds.length + 1) * total) / 3) thirds.push(performance.now());
    }
  };
  await Promise.all([worker(), worker()]);
  const end = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const third = total / 3;
  return {
    rate: total / ((end - t0) / 1000), firstThird: third / ((thirds[0] - t0) / 1000), lastThird: third / ((end - thirds[1]) / 1000),
    benchCpuS: (cpu.user + cpu.system) / 1e6, seconds: (end - t0) / 1000,
  };
}

/** Points per second of a raw phase, over all of it and over its first and last thirds of the points. */
interface RawRate { rate: number; firstThird: number; lastThird: number; benchCpuS: number; seconds: number }

function peakRssMb(pid: number, field = 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The machine's CPU time so far, in clock ticks: all of it, idle, and stolen by the hypervisor for other guests. */
function machineTimes(): { all: number; idle: number; steal: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  return { all: f.reduce((a, b) => a + b, 0), idle: f[3] + f[4], steal: f[7] };
}

/** Idle and stolen shares of the machine's CPU time since `t0`, as a short text. */
function machineShares(t0: ReturnType<typeof machineTimes>): string {
  const t = machineTimes();
  const all = t.all - t0.all || 1;
  return `idle ${Math.round((100 * (t.idle - t0.idle)) / all)} %, stolen by other guests ${Math.round((100 * (t.steal - t0.steal)) / all)} %`;
}

/**
 * How long to wait before asking the collector again: a third of the time the rest should take at the rate so
 * far, between 20 and 250 ms. The end is found within 20 ms, with a few dozen scrapes fewer than a fixed 50 ms
 * step (each scrape costs the collector and the bench CPU that the two cores would otherwise give the work).
 */
function pollDelayMs(written: number, total: number, elapsedMs: number): number {
  if (written <= 0) return 250;
  const restMs = ((total - written) / written) * elapsedMs;
  return Math.min(250, Math.max(20, restMs / 3));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-bench-collector-'));
  const [influxd, mosquitto] = await Promise.all([startInfluxd(), startMosquitto()]);
  try {
    const site = benchSite();
    const siteFile = writeSiteFile(dir, site);
    const pointsPerRun = CYCLES * GATEWAYS * METERS_PER_GATEWAY * POINTS.length;
    console.log(`site: ${GATEWAYS} gateways × ${METERS_PER_GATEWAY} meters × ${POINTS.length} points; ${CYCLES} poll cycles = ${pointsPerRun} points per run, ${RUNS} runs`);
    const runtime = deployedRuntime('collector');
    console.log(`collector runtime settings (docker-compose.yml): ${describeRuntime(runtime)}`);
    const rawRates: number[] = [];
    const colRates: number[] = [];
    let rss = 0;
    for (let run = 0; run < RUNS; run++) {
      // Each run its own history window (ending now) and databases, so nothing is idempotently skipped.
      const start = Math.floor(Date.now() / POLL_MS) * POLL_MS - (CYCLES + 1) * POLL_MS;
      // The same traffic for both phases, built before either is timed; the batch objects are dropped before
      // the collector's phase so that the publisher's own garbage collection stays out of its way.
      let all: ReadingBatch[][] | undefined = benchBatches(start, CYCLES);
      const payloads = all.map((cycle) => cycle.map((b) => [topics.readings('bench', b.gateway), Buffer.from(JSON.stringify(b))] as const));
      let requests: RawRequest[] | undefined = requestBodies(lines(all));
      all = undefined;
      const colDb = `col${run}`;
      await createDatabase(influxd.url, `raw${run}`);
      await createDatabase(influxd.url, `raw${run}b`);
      await createDatabase(influxd.url, colDb);

      const influxPid = pidOf('influxd', influxd.dir);
      await settle(influxPid);
      const influxCpu0 = influxPid ? cpuSeconds(influxPid) : NaN;
      const machine0 = machineTimes();
      const rawBefore = await rawWrite(influxd.url, `raw${run}`, requests);
      const rawMachine = machineShares(machine0);
      requests = undefined;
      const influxRawCpu = influxPid ? cpuSeconds(influxPid) - influxCpu0 : NaN;
      await settle(influxPid);

      const metricsPort = await freePort();
      const proc = await startCollectorProcess(
        ['--site', siteFile, '--mqtt', mosquitto.url, '--data', join(dir, `collector${run}`), '--client-id', `bench-collector-${run}`, '--metrics-port', String(metricsPort)],
        { INFLUX_URL: influxd.url, INFLUX_DB: colDb, NODE_OPTIONS: '', ...runtime }, join(dir, `collector${run}.log`));
      const pub = await mqtt.connectAsync(mosquitto.url, { clientId: `bench-pub-${run}` });
      const idleRss = peakRssMb(proc.child.pid!, 'VmRSS');
      const times0 = cpuTimes(proc.child.pid!);
      const cpu0 = times0.user + times0.system;
      const influxCpu1 = influxPid ? cpuSeconds(influxPid) : NaN;
      const mosquittoPid = pidOf('mosquitto', mosquitto.dir);
      const mosquittoCpu0 = mosquittoPid ? cpuSeconds(mosquittoPid) : NaN;
      const benchCpu0 = process.cpuUsage();
      const machine1 = machineTimes();
      const t0 = performance.now();
      const pending: Promise<unknown>[] = [];
      for (const cycle of payloads) {
        for (const [topic, payload] of cycle) pending.push(pub.publishAsync(topic, payload, { qos: 1 }));
        if (pending.length >= 100) await Promise.all(pending.splice(0));
      }
      await Promise.all(pending);
      // Done when InfluxDB has acknowledged the write of the last point, as for the raw phase: the collector's
      // counter of confirmed points says so without loading InfluxDB (a COUNT over the growing series every
      // 100 ms cost InfluxDB as much CPU as the writes). The count is checked in InfluxDB afterwards.
      let metrics = '';
      const metric = (name: string) => Number(/^(\S+) (\S+)$/m.exec(metrics.split('\n').filter((l) => l.startsWith(name)).join('\n'))?.[2] ?? NaN);
      for (;;) {
        metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        const written = metric('jieneng_collector_points_written_total{kind="telemetry"}');
        if (written >= pointsPerRun) break;
        const waited = performance.now() - t0;
        if (waited > 600_000) throw new Error(`the collector wrote ${written} of ${pointsPerRun} points in 10 min`);
        await new Promise((r) => setTimeout(r, pollDelayMs(written, pointsPerRun, waited)));
      }
      const elapsed = (performance.now() - t0) / 1000;
      const colMachine = machineShares(machine1);
      const times = cpuTimes(proc.child.pid!);
      const cpu = times.user + times.system - cpu0;
      const influxColCpu = influxPid ? cpuSeconds(influxPid) - influxCpu1 : NaN;
      const mosquittoCpu = mosquittoPid ? cpuSeconds(mosquittoPid) - mosquittoCpu0 : NaN;
      const benchCpu = process.cpuUsage(benchCpu0);
      const col = pointsPerRun / elapsed;
      const stored = await influxScalar(influxd.url, colDb, 'SELECT COUNT(value) FROM telemetry');
      if (stored !== pointsPerRun) throw new Error(`InfluxDB holds ${stored} telemetry points, not ${pointsPerRun}`);
      console.log(`  collector RSS: ${idleRss.toFixed(0)} MB subscribed and idle, peak ${peakRssMb(proc.child.pid!).toFixed(0)} MB`);
      console.log(`  collector CPU: ${cpu.toFixed(1)} s (${((cpu * 1e6) / pointsPerRun).toFixed(1)} µs per point; ${(times.user - times0.user).toFixed(1)} s user, ${(times.system - times0.system).toFixed(1)} s system)`);
      console.log(`  all CPU in ${elapsed.toFixed(1)} s on ${availableParallelism()} cores: collector ${cpu.toFixed(1)} s, InfluxDB ${influxColCpu.toFixed(1)} s, Mosquitto ${mosquittoCpu.toFixed(1)} s, publisher and bench ${((benchCpu.user + benchCpu.system) / 1e6).toFixed(1)} s`);
      console.log(`  machine: ${colMachine} in the collector's phase; ${rawMachine} in the first raw phase`);
      console.log(`  InfluxDB CPU: ${((influxRawCpu * 1e6) / pointsPerRun).toFixed(1)} µs per point written raw, ${((influxColCpu * 1e6) / pointsPerRun).toFixed(1)} µs per point from the collector (with its energy rows)`);
      console.log(`  storage writes: ${metric('jieneng_collector_storage_write_seconds_count')} taking ${metric('jieneng_collector_storage_write_seconds_sum').toFixed(1)} s of ${elapsed.toFixed(1)} s; energy rows written ${metric('jieneng_collector_points_written_total{kind="energy"}')}`);
      colRates.push(col);
      rss = Math.max(rss, peakRssMb(proc.child.pid!));
      await pub.endAsync();
      await proc.stop();
      // The raw phase again after the collector's, into a fresh database: the run's ceiling is the better of
      // the two, so that one slow raw phase (the machine is shared) cannot flatter the ratio.
      await settle(influxPid);
      const rawAfter = await rawWrite(influxd.url, `raw${run}b`, requestBodies(lines(benchBatches(start, CYCLES))));
      const raw = Math.max(rawBefore.rate, rawAfter.rate);
      rawRates.push(raw);
      const thirds = (r: RawRate) => `${Math.round(r.rate)} (first third of the points ${Math.round(r.firstThird)}, last third ${Math.round(r.lastThird)}; the bench's own CPU ${r.benchCpuS.toFixed(1)} s in ${r.seconds.toFixed(1)} s)`;
      console.log(`  raw InfluxDB writes in ${RAW_BATCH}-line requests, pts/s: ${thirds(rawBefore)} before the collector's phase, ${thirds(rawAfter)} after`);
      console.log(`run ${run + 1}: raw ${Math.round(raw)} pts/s, collector ${Math.round(col)} pts/s, ratio ${(col / raw).toFixed(2)}, collector peak RSS ${rss.toFixed(0)} MB`);
    }
    // The machine's speed moves between runs, so each ratio compares figures of one run; the line reports the
    // run whose ratio is the median (not the median collector rate over the median raw rate of other runs).
    const byRatio = colRates.map((c, i) => ({ c, r: rawRates[i] })).sort((a, b) => a.c / a.r - b.c / b.r);
    const { c, r } = byRatio[Math.floor(byRatio.length / 2)];
    console.log(`collector_pts_s=${Math.round(c)} raw_influx_pts_s=${Math.round(r)} ratio=${(c / r).toFixed(2)} rss_mb=${Math.round(rss)}`);
  } finally {
    await Promise.all([influxd.destroy(), mosquitto.destroy()]);
    if (process.env.BENCH_KEEP) console.log(`logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
