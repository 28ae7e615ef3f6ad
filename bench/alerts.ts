/**
 * `npm run bench:alerts` (issue 14), in one run:
 * 1. the collector's ingest throughput with 2 000 alert rules loaded (the evaluator as its observer) against the
 *    same stream without rules, interleaved runs, through the same path as `bench/collector-ingest.ts` (JSON,
 *    checks, energy, rollups, SQLite commit per message) into a store that keeps nothing; points per CPU second of
 *    the process, the ratio the median of the pairs' ratios;
 * 2. the latency from a reading crossing a threshold to a signed webhook receiving the alert: a gateway publishing
 *    one batch a second (1 s polls) to a real MQTT broker (aedes), the collector with the same 2 000 rules, the
 *    notifier, and the test receiver that checks the signature. Each second one more meter crosses its threshold.
 * Last line: `collector_pts_s=… collector_pts_s_rules=… ratio=… p95_latency_ms=…`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { topics, type ReadingBatch } from '../core/contract/v1.ts';
import { createIngestor, type IngestObserver } from '../collector/ingest.ts';
import { startCollector } from '../collector/runtime.ts';
import { startEmbeddedBroker } from '../app/broker.ts';
import { AlertEvaluator } from '../alerts/engine/evaluator.ts';
import { checkAlertRules, type AlertConfig } from '../alerts/rules/load.ts';
import { startAlerts } from '../alerts/runtime.ts';
import { AlertStore } from '../alerts/store.ts';
import { startReceiver } from '../alerts/testing/receiver.ts';
import { freePort } from '../test/harness/ports.ts';
import { discardStorage } from './discard-storage.ts';
import { benchBatches, benchSite, GATEWAYS, METERS_PER_GATEWAY, POINTS, POLL_MS } from './collector-data.ts';

const CYCLES = Number(process.env.BENCH_CYCLES ?? 80);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CROSSINGS = Number(process.env.BENCH_CROSSINGS ?? 40);
const site = benchSite();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)];

/** 2 000 rules, four per meter of the bench site: power high, voltage low, current rising fast, no data. */
function rules(channels: { id: string; type: 'webhook'; url: string; secret: string }[] = []): AlertConfig {
  const list: object[] = [];
  for (const d of site.devices) {
    const scope = { device: [d.id] };
    list.push(
      { id: `${d.id}-power`, kind: 'threshold', name: `${d.name} 功率过高`, severity: 'major', scope, point: 'power_kw', above: 80, recover: 70, keep_firing_for: '0s' },
      { id: `${d.id}-voltage`, kind: 'threshold', name: `${d.name} 电压过低`, severity: 'minor', scope, point: 'voltage_l1_v', below: 180, for: '1m' },
      { id: `${d.id}-current-ramp`, kind: 'threshold', name: `${d.name} 电流突增`, severity: 'minor', scope, point: 'current_l1_a', rate_per: '1m', above: 50 },
      { id: `${d.id}-stale`, kind: 'stale', name: `${d.name} 无数据`, severity: 'major', scope, after: '1h' },
    );
  }
  return checkAlertRules({ version: 1, channels, default_channels: channels.map((c) => c.id), rules: list }, site, 'bench-rules');
}

/** Points per second through the ingest path, with or without an observer. */
async function ingestRate(observer: (dir: string) => { observer: IngestObserver; close(): void } | undefined): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-bench-alerts-'));
  const start = Math.floor(Date.now() / POLL_MS) * POLL_MS - (CYCLES + 1) * POLL_MS;
  const messages = benchBatches(start, CYCLES).flat().map((b) => [topics.readings('bench', b.gateway), Buffer.from(JSON.stringify(b))] as const);
  const o = observer(dir);
  const ingestor = createIngestor({ site, storage: discardStorage, stateDir: join(dir, 'state'), observer: o?.observer });
  // CPU time of this process, not wall time: the machine is shared, and another tenant's burst would otherwise
  // decide the ratio (everything here is in-process and CPU-bound: no network, a store that keeps nothing)
  const cpu0 = process.cpuUsage();
  for (const [topic, payload] of messages) await ingestor.ingestMessage(topic, payload);
  await ingestor.flush();
  const cpu = process.cpuUsage(cpu0);
  const seconds = (cpu.user + cpu.system) / 1e6;
  await ingestor.close();
  o?.close();
  rmSync(dir, { recursive: true, force: true });
  return (CYCLES * GATEWAYS * METERS_PER_GATEWAY * POINTS.length) / seconds;
}

async function throughput(): Promise<{ plain: number; withRules: number; ratio: number }> {
  const config = rules();
  console.log(`rules loaded: ${config.rules.length} (${config.rules.reduce((n, r) => n + r.subjects.length, 0)} instances)`);
  const plain: number[] = [];
  const withRules: number[] = [];
  let evaluatorMs = 0;
  await ingestRate(() => undefined); // warm-up: the first run pays for compilation and the catalogue
  for (let run = 0; run < RUNS; run++) {
    plain.push(await ingestRate(() => undefined));
    withRules.push(await ingestRate((dir) => {
      const store = new AlertStore(join(dir, 'alerts'));
      const evaluator = new AlertEvaluator({ config, site, store });
      // the evaluator's own time, measured around its synchronous call: a figure the machine's noise moves less
      const timed: IngestObserver = { committed: (a, e) => { const t = performance.now(); evaluator.committed(a, e); evaluatorMs += performance.now() - t; } };
      return { observer: timed, close: () => { evaluator.stop(); store.close(); } };
    }));
    console.log(`run ${run + 1}: ${Math.round(plain[run])} pts/s without rules, ${Math.round(withRules[run])} pts/s with ${config.rules.length} rules (per CPU second)`);
  }
  const pts = RUNS * CYCLES * GATEWAYS * METERS_PER_GATEWAY * POINTS.length;
  console.log(`evaluator: ${((evaluatorMs * 1000) / pts).toFixed(3)} µs per point on the ingest path (${Math.round(evaluatorMs)} ms for ${pts} points)`);
  // the median of the paired runs' ratios: each pair ran back to back, under the same load
  return { plain: median(plain), withRules: median(withRules), ratio: median(plain.map((p, i) => withRules[i] / p)) };
}

/** Reading → broker → collector → evaluator → notifier → signed webhook, at 1 s polls. */
async function latency(): Promise<number[]> {
  const secret = 'bench-webhook-secret';
  const receiver = await startReceiver({ wecomKey: 'k', dingtalkToken: 't', dingtalkSecret: 's', feishuHook: 'h', feishuSecret: 's', webhookSecret: secret });
  const port = await freePort();
  const broker = await startEmbeddedBroker(port);
  const url = `mqtt://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-bench-alerts-'));
  const alerts = startAlerts({ site, config: rules([{ id: 'hook', type: 'webhook', url: receiver.urls.webhook, secret }]), dataDir: dir, tickMs: 1000, pollMs: 1000 });
  const collector = await startCollector({ site, storage: discardStorage, mqttUrl: url, dataDir: dir, alerts: alerts.evaluator });
  const gateway = await mqtt.connectAsync(url, { clientId: 'bench-gw0' });
  const crossed = new Map<string, number>();
  let counter = 1000;
  try {
    for (let s = 0; s < CROSSINGS + 3; s++) {
      const ts = Date.now();
      const k = s - 3; // three quiet seconds first
      const readings = Array.from({ length: METERS_PER_GATEWAY }, (_, m) => {
        const device = `g0-m${m}`;
        const above = k >= 0 && m <= k % METERS_PER_GATEWAY;
        if (k >= 0 && m === k % METERS_PER_GATEWAY) crossed.set(device, ts);
        return { device, ts, points: { power_kw: { value: above ? 90 : 20, quality: 'good' as const }, energy_import_kwh: { value: (counter += 0.1), quality: 'good' as const } } };
      });
      const batch: ReadingBatch = { v: 1, site: 'bench', gateway: 'gw0', seq: s, sent_ts: ts, readings };
      await gateway.publishAsync(topics.readings('bench', 'gw0'), JSON.stringify(batch), { qos: 1 });
      await new Promise((r) => setTimeout(r, Math.max(0, ts + 1000 - Date.now())));
    }
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && receiver.received.filter((r) => r.body.state === 'firing').length < crossed.size) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await gateway.endAsync();
    await collector.stop();
    await alerts.stop();
    await broker.stop();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (receiver.refused.length > 0) throw new Error(`the receiver refused ${receiver.refused.length} request(s): ${receiver.refused[0]}`);
  const out: number[] = [];
  for (const r of receiver.received) {
    const at = crossed.get(String(r.body.device));
    if (r.body.state === 'firing' && at !== undefined) out.push(r.at_ms - at);
  }
  if (out.length < crossed.size) console.log(`only ${out.length} of ${crossed.size} crossings reached the webhook within 15 s`);
  return out;
}

const { plain, withRules, ratio } = await throughput();
const lat = await latency();
console.log(`latency: ${lat.length} crossings, median ${median(lat)} ms, p95 ${quantile(lat, 0.95)} ms, max ${Math.max(...lat)} ms`);
console.log(`collector_pts_s=${Math.round(plain)} collector_pts_s_rules=${Math.round(withRules)} ratio=${ratio.toFixed(2)} p95_latency_ms=${quantile(lat, 0.95)}`);
process.exit(0);
