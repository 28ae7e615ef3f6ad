/**
 * `npm run bench:gateway` (issue 3): 200 simulated meters in a separate process; in the same run
 *   (a) the limit: bare modbus-serial clients, one per simulator port, polling the gateway's planned reads back to
 *       back with no decoding, before and after (b), the better of the two counting, and
 *   (b) one gateway process doing the real job (planning, decoding, quality checks, disk queue, MQTT QoS 1 to a
 *       real Mosquitto), polling back to back, run as the installed command runs it: bundled (decision 0004), with
 *       the runtime settings docker-compose.yml gives the gateway services, no simulator, broker or subscriber in it;
 * points/s are medians of one-second bins, and count only points of `good` quality (issue 18: a gateway reading
 * nothing but `bad` points must not look fast). Each phase also prints the CPU seconds of every process in its
 * measured window, and per point (good points for the gateway's). rss_mb is the gateway process's peak resident
 * set (VmHWM).
 * Prints, last:
 *   reads_per_cycle=<n> minimal_reads=<n> points_per_s=<n> raw_points_per_s=<n> ratio=<n> rss_mb=<n>
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import ModbusSerial from 'modbus-serial';
import type { ModbusRTU } from 'modbus-serial/ModbusRTU.js';
import mqtt from 'mqtt';
import { bundleToFile } from '../bin/bundle.js';
import type { ReadingBatch } from '../core/contract/v1.ts';
import { compileTemplate } from '../gateway/protocols/modbus/device-map.ts';
import { minimalReadCount } from '../gateway/protocols/modbus/planner.ts';
import { startMosquitto } from '../test/harness/mosquitto.ts';
import { deployedRuntime, describeRuntime } from './deployed-runtime.ts';
import { cpuSeconds, pidOf } from './process-cpu.ts';
import { FLEET_PORTS, METERS_PER_PORT, fleetTemplate } from './gateway-fleet.ts';

const MEASURE_S = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_S = 3;
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 20);
const ModbusClient = ModbusSerial as unknown as new () => ModbusRTU;

function tsx(script: string, args: string[] = []): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } });
}

/** The gateway child bundled as the installed command bundles the CLI, started with the deployed runtime settings. */
async function bundledGateway(args: string[]): Promise<{ child: ChildProcess; runtime: Record<string, string> }> {
  const file = await bundleToFile(join(import.meta.dirname, 'gateway-run.ts'));
  const runtime = deployedRuntime('gateway-demo');
  const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '', ...runtime, LOG_LEVEL: 'warn' } });
  child.once('exit', () => rmSync(file, { force: true }));
  return { child, runtime };
}

function firstLine(child: ChildProcess, match: (line: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => { if (match(line)) { rl.close(); resolve(line); } });
    child.once('exit', (code) => reject(new Error(`${String(child.spawnargs.at(-1))} exited with ${code}`)));
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Per-second bins of a counter over the measuring window. */
class Bins {
  private bins: number[] = [];
  constructor(private readonly start: number, private readonly seconds: number) {}
  add(n: number, at = Date.now()): void {
    const i = Math.floor((at - this.start) / 1000);
    if (i >= 0 && i < this.seconds) this.bins[i] = (this.bins[i] ?? 0) + n;
  }
  median(): number { return median(Array.from({ length: this.seconds }, (_, i) => this.bins[i] ?? 0)); }
}

/** CPU seconds of named processes over a window: `start()` at its beginning, `text(points)` at its end. */
class CpuShares {
  private from = new Map<string, number>();
  constructor(private readonly pids: Record<string, number | undefined>) {}
  start(): void {
    for (const [name, pid] of Object.entries(this.pids)) this.from.set(name, this.cpu(pid));
  }
  /** Each process's CPU seconds in the window and per point (µs), as one line. */
  text(points: number): string {
    return Object.entries(this.pids).map(([name, pid]) => {
      const s = this.cpu(pid) - (this.from.get(name) ?? NaN);
      return `${name} ${s.toFixed(1)} s (${((s * 1e6) / points).toFixed(1)} µs/point)`;
    }).join(', ');
  }
  /** this process's own CPU from Node (every thread), another's from /proc */
  private cpu(pid: number | undefined): number {
    if (pid === process.pid) { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; }
    return pid ? cpuSeconds(pid) : NaN;
  }
}

const plans = Array.from({ length: FLEET_PORTS * METERS_PER_PORT }, (_, i) => compileTemplate(fleetTemplate(i)));
const pointsOf = plans.map((p) => p.rows.filter((r) => r.row.publish !== false && r.row.type !== 'string').length);
const readsPerCycle = plans.reduce((n, p) => n + p.reads.length, 0);
const minimalReads = plans.reduce((n, p) => n + minimalReadCount(p.spans, p.limits), 0);

/** Median points per second of bare modbus-serial clients, one per port, polling the plans' reads back to back with no decoding. */
async function barePollPointsPerS(ports: number[]): Promise<number> {
  const clients = await Promise.all(ports.map(async (port) => {
    const c = new ModbusClient();
    await c.connectTCP('127.0.0.1', { port });
    c.setTimeout(2000);
    return c;
  }));
  let stop = false;
  const rawStart = Date.now() + 1000;
  const raw = new Bins(rawStart, MEASURE_S);
  const cpu = new CpuShares({ simulators: sim.pid, 'bare clients (bench)': process.pid });
  let points = 0;
  setTimeout(() => cpu.start(), rawStart - Date.now());
  await Promise.all(clients.map(async (c, p) => {
    while (!stop) {
      for (let u = 0; u < METERS_PER_PORT; u++) {
        const i = p * METERS_PER_PORT + u;
        c.setID(u + 1);
        for (const r of plans[i].reads) {
          if (r.register === 'input') await c.readInputRegisters(r.address, r.count);
          else await c.readHoldingRegisters(r.address, r.count);
        }
        raw.add(pointsOf[i]);
        if (Date.now() >= rawStart) points += pointsOf[i];
      }
      if (Date.now() > rawStart + MEASURE_S * 1000) stop = true;
    }
  }));
  console.log(`    CPU in the measured ${MEASURE_S} s: ${cpu.text(points)}`);
  await Promise.all(clients.map((c) => new Promise<void>((r) => c.close(() => r()))));
  return raw.median();
}

const sim = tsx('bench/gateway-sim.ts');
const dataDir = mkdtempSync(join(tmpdir(), 'jieneng-bench-gw-'));
let broker: Awaited<ReturnType<typeof startMosquitto>> | undefined;
let gateway: ChildProcess | undefined;
try {
  const { ports } = JSON.parse(await firstLine(sim, (l) => l.startsWith('{'))) as { ports: number[] };
  console.log(`fleet: ${plans.length} meters on ${ports.length} Modbus TCP ports, ${pointsOf.reduce((a, b) => a + b, 0)} points and ${readsPerCycle} reads per cycle`);

  // (a) the limit, before the gateway's phase and again after it: the better of the two counts, so that one slow
  // phase on the shared machine cannot flatter the ratio
  const rawBefore = await barePollPointsPerS(ports);
  console.log(`(a) bare modbus-serial: median ${rawBefore.toFixed(0)} points/s (${(rawBefore / (pointsOf.reduce((a, b) => a + b, 0) / plans.length)).toFixed(0)} meters/s)`);

  // (b) one gateway process doing the real job, publishing to a real Mosquitto
  broker = await startMosquitto();
  const sub = await mqtt.connectAsync(broker.url);
  let gwStart = Infinity;
  const got = { points: 0, good: 0, batches: 0, bins: undefined as Bins | undefined };
  sub.on('message', (_topic, payload) => {
    const b = JSON.parse(payload.toString()) as ReadingBatch;
    got.batches++;
    let n = 0;
    let good = 0;
    for (const r of b.readings) for (const p of Object.values(r.points)) { n++; if (p.quality === 'good') good++; }
    got.points += n;
    got.good += good;
    got.bins?.add(good);
  });
  await sub.subscribeAsync('jieneng/v1/bench/gw-bench/readings', { qos: 1 });
  const started = await bundledGateway([broker.url, dataDir, JSON.stringify(ports), String(POLL_MS)]);
  gateway = started.child;
  console.log(`gateway runtime settings (docker-compose.yml): ${describeRuntime(started.runtime)}`);
  await firstLine(gateway, (l) => l === 'ready');
  gwStart = Date.now() + WARMUP_S * 1000;
  got.bins = new Bins(gwStart, MEASURE_S);
  const cpu = new CpuShares({ gateway: gateway.pid, simulators: sim.pid, Mosquitto: pidOf('mosquitto', broker.dir), 'subscriber (bench)': process.pid });
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
  const good0 = got.good;
  cpu.start();
  await new Promise((r) => setTimeout(r, MEASURE_S * 1000));
  const cpuText = cpu.text(got.good - good0);
  await new Promise((r) => setTimeout(r, 500));
  const statsLine = firstLine(gateway, (l) => l.startsWith('{'));
  gateway.kill('SIGTERM');
  const { stats, peak_rss_mb } = JSON.parse(await statsLine) as { stats: { batches: number; readings: number; dropped: number; queued: number }; peak_rss_mb: number };
  await sub.endAsync();
  const pointsPerS = got.bins.median();
  console.log(`(b) gateway: median ${pointsPerS.toFixed(0)} good points/s received by a subscriber; ${got.batches} batches, `
    + `${got.good}/${got.points} points good; gateway stats ${JSON.stringify(stats)}; peak RSS ${peak_rss_mb.toFixed(0)} MB`);
  console.log(`    CPU in the measured ${MEASURE_S} s: ${cpuText}`);
  const rawAfter = await barePollPointsPerS(ports);
  console.log(`(a) bare modbus-serial again: median ${rawAfter.toFixed(0)} points/s`);
  const rawPointsPerS = Math.max(rawBefore, rawAfter);
  console.log(`reads_per_cycle=${readsPerCycle} minimal_reads=${minimalReads} points_per_s=${pointsPerS.toFixed(0)} `
    + `raw_points_per_s=${rawPointsPerS.toFixed(0)} ratio=${(pointsPerS / rawPointsPerS).toFixed(2)} rss_mb=${peak_rss_mb.toFixed(0)}`);
} finally {
  gateway?.kill('SIGKILL');
  sim.kill('SIGTERM');
  await broker?.destroy();
  rmSync(dataDir, { recursive: true, force: true });
}
