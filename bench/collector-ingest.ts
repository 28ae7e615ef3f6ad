/**
 * `npx tsx bench/collector-ingest.ts`: the collector's own CPU per point without a network or a store — the bench
 * batches through `ingestMessage` (JSON, contract schema, site and range checks, counter energy, rollups, lines
 * rendered, SQLite commit per message) and the outbox writer (entries read back, energy rows coalesced) into a
 * store that accepts and forgets. The part of `bench:collector`'s cost that no InfluxDB tuning can remove.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topics } from '../core/contract/v1.ts';
import { discardStorage } from './discard-storage.ts';
import { createIngestor } from '../collector/ingest.ts';
import { benchBatches, benchSite, GATEWAYS, METERS_PER_GATEWAY, POINTS, POLL_MS } from './collector-data.ts';

const CYCLES = Number(process.env.BENCH_CYCLES ?? 80);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);


const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const site = benchSite();
const points = CYCLES * GATEWAYS * METERS_PER_GATEWAY * POINTS.length;
const rates: number[] = [];
const cpus: number[] = [];
for (let run = 0; run < RUNS; run++) {
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-bench-ingest-'));
  const start = Math.floor(Date.now() / POLL_MS) * POLL_MS - (CYCLES + 1) * POLL_MS;
  const messages = benchBatches(start, CYCLES).flat().map((b) => [topics.readings('bench', b.gateway), Buffer.from(JSON.stringify(b))] as const);
  const ingestor = createIngestor({ site, storage: discardStorage, stateDir: dir });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const [topic, payload] of messages) await ingestor.ingestMessage(topic, payload);
  await ingestor.flush();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await ingestor.close();
  rmSync(dir, { recursive: true, force: true });
  rates.push(points / seconds);
  cpus.push((cpu.user + cpu.system) / points);
  console.log(`run ${run + 1}: ${Math.round(points / seconds)} pts/s, ${((cpu.user + cpu.system) / points).toFixed(1)} µs CPU per point`);
}
console.log(`ingest_pts_s=${Math.round(median(rates))} cpu_us_per_pt=${median(cpus).toFixed(1)}`);
