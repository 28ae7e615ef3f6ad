/**
 * `npx tsx bench/collector-e2e-cpu.ts`: the collector's CPU per point end to end without InfluxDB — a collector
 * process (`startCollector`, with docker-compose.yml's runtime settings) on a real Mosquitto at QoS 1, fed the
 * bench's per-gateway poll batches, writing to a store that accepts and forgets. Against
 * `bench/collector-ingest.ts` it adds what a running collector does beyond ingestion: MQTT receive and PUBACK per
 * message, the payload's Buffer handling, the seq accounting, and the outbox writer's timing as deployed. The
 * collector process reports its own CPU (every thread) from the first publish until everything it received is
 * handed to the store; the machine is shared, so CPU, not wall time, is the figure.
 *
 * `BENCH_CYCLES` (default 80), `BENCH_RUNS` (default 3); `BENCH_STORE_NS_PER_BYTE=80` makes the store take as long
 * as InfluxDB does here (the writer then holds larger groups, as in bench:collector); `BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=…"` profiles
 * the collector process.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { topics } from '../core/contract/v1.ts';
import { benchBatches, benchSite, GATEWAYS, METERS_PER_GATEWAY, POINTS, POLL_MS } from './collector-data.ts';
import { deployedRuntime } from './deployed-runtime.ts';
import { startMosquitto } from '../test/harness/mosquitto.ts';

const CYCLES = Number(process.env.BENCH_CYCLES ?? 80);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** 0: the store accepts at once; else it takes this long per byte of line protocol (80: InfluxDB's ~12 MB/s here) */
const STORE_NS_PER_BYTE = Number(process.env.BENCH_STORE_NS_PER_BYTE ?? 0);
const POINTS_PER_RUN = CYCLES * GATEWAYS * METERS_PER_GATEWAY * POINTS.length;

type FromChild = { ready: true } | { cpuUs: number; systemUs: number; received: number };

/** The collector side: started by the parent through `fork`, answers 'go' and 'done?' over IPC. */
async function collectorSide(mqttUrl: string, dataDir: string): Promise<void> {
  const { startCollector } = await import('../collector/runtime.ts');
  const { collectorMetrics } = await import('../collector/metrics.ts');
  const { discardStorage } = await import('./discard-storage.ts');
  // A store as slow as InfluxDB on this machine keeps the writer's groups and heap as in bench:collector.
  const storage = STORE_NS_PER_BYTE > 0
    ? { ...discardStorage, writeLines: (lines: string | Uint8Array) => new Promise<void>((r) => setTimeout(r, (lines.length * STORE_NS_PER_BYTE) / 1e6)) }
    : discardStorage;
  const collector = await startCollector({ site: benchSite(), mqttUrl, storage, dataDir, clientId: 'bench-e2e-collector' });
  const received = async () => (await collectorMetrics.pointsIn.get()).values[0]?.value ?? 0;
  let cpu0 = process.cpuUsage();
  let base = 0;
  process.on('message', (msg: { go?: true; until?: number }) => {
    if (msg.go) {
      void received().then((n) => {
        base = n;
        cpu0 = process.cpuUsage();
        process.send!({ ready: true });
      });
      return;
    }
    if (msg.until !== undefined) {
      const until = msg.until;
      void (async () => {
        while ((await received()) - base < until) await new Promise((r) => setTimeout(r, 5));
        await collector.flush();
        const cpu = process.cpuUsage(cpu0);
        process.send!({ cpuUs: cpu.user + cpu.system, systemUs: cpu.system, received: (await received()) - base });
      })();
    }
    if (msg.until === undefined && !msg.go) void collector.stop().then(() => process.exit(0));
  });
  process.send!({ ready: true });
}

function next(child: ReturnType<typeof fork>): Promise<FromChild> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the collector process exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (m) => {
      child.off('exit', onExit);
      resolve(m as FromChild);
    });
  });
}

async function main(): Promise<void> {
  const mosquitto = await startMosquitto();
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-bench-e2e-'));
  const runtime = deployedRuntime('collector');
  const nodeArgs = [...(runtime.NODE_OPTIONS?.split(' ').filter(Boolean) ?? []), ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [])];
  const cpus: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const start = Math.floor(Date.now() / POLL_MS) * POLL_MS - (CYCLES + 1) * POLL_MS;
      const payloads = benchBatches(start, CYCLES).flat().map((b) => [topics.readings('bench', b.gateway), JSON.stringify(b)] as const);
      const child = fork(new URL(import.meta.url).pathname, ['--collector', mosquitto.url, join(dir, `run${run}`)], {
        execArgv: ['--import', 'tsx', ...nodeArgs],
        // the runtime's NODE_OPTIONS go in as execArgv above; its malloc settings through the environment
        env: { ...process.env, LOG_LEVEL: 'warn', ...runtime, NODE_OPTIONS: '' },
      });
      await next(child);
      const pub = await mqtt.connectAsync(mosquitto.url, { clientId: `bench-e2e-pub-${run}` });
      child.send({ go: true });
      await next(child);
      const done = next(child);
      child.send({ until: POINTS_PER_RUN });
      const pending: Promise<unknown>[] = [];
      for (const [topic, payload] of payloads) {
        pending.push(pub.publishAsync(topic, payload, { qos: 1 }));
        if (pending.length >= 100) await Promise.all(pending.splice(0));
      }
      await Promise.all(pending);
      const result = await done as { cpuUs: number; systemUs: number; received: number };
      await pub.endAsync();
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ stop: true });
      await exited;
      const perPoint = result.cpuUs / POINTS_PER_RUN;
      cpus.push(perPoint);
      console.log(`run ${run + 1}: ${result.received} points, collector ${(result.cpuUs / 1e6).toFixed(2)} s CPU (${(result.systemUs / 1e6).toFixed(2)} s system), ${perPoint.toFixed(2)} µs per point`);
    }
  } finally {
    await mosquitto.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  const median = [...cpus].sort((a, b) => a - b)[Math.floor(cpus.length / 2)];
  console.log(`e2e_cpu_us_per_pt=${median.toFixed(2)} (median of ${RUNS}; ${CYCLES} cycles, ${POINTS_PER_RUN} points per run; store ${STORE_NS_PER_BYTE} ns per byte)`);
}

if (process.argv[2] === '--collector') void collectorSide(process.argv[3], process.argv[4]);
else await main();
