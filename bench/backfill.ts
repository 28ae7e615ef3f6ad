/**
 * `npm run bench:backfill [-- --days N --runs R]`: how fast a backfill writes history, against the limit of
 * generating it. For each run, on the demo site at 15-minute steps:
 *   (a) generation only: the physics and batch building, `ingest` a no-op — the limit of the simulator side
 *   (b) the real job: the collector's ingestion into a fresh embedded store, flushed
 * Prints medians, last line: `backfill_points_s=<n> generate_points_s=<n> ratio=<n> days=<n> rss_mb=<n>`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createIngestor } from '../collector/ingest.ts';
import { loadSite } from '../core/site/load.ts';
import { backfill } from '../simulators/backfill.ts';
import { openStorage } from '../storage/index.ts';

const { values } = parseArgs({ options: { days: { type: 'string', default: '7' }, runs: { type: 'string', default: '3' } } });
const days = Number(values.days), runs = Number(values.runs);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const site = loadSite(join(repo, 'config/demo-site.yaml'));
const toMs = Date.UTC(2026, 5, 30, 16); // 2026-07-01 00:00 CST: a fixed history, comparable between runs
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const generate: number[] = [];
const full: number[] = [];
let peakRss = 0;
for (let r = 0; r < runs; r++) {
  // (a) the limit: generation alone (a warm-up pass first, so both sides start from warmed counters)
  await backfill({ site, days: 0.1, toMs, seed: r + 1, ingest: async () => undefined });
  const g = await backfill({ site, days, toMs, seed: r + 1, ingest: async () => undefined });
  generate.push(g.points / g.seconds);
  // (b) the job: ingestion into a fresh embedded store
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-bench-backfill-'));
  const storage = await openStorage({ kind: 'embedded', path: join(dir, 'store.sqlite') });
  const ingestor = createIngestor({ site, storage, stateDir: join(dir, 'state'), now: () => toMs, maxAgeMs: (days + 1) * 86_400_000 });
  await backfill({ site, days: 0.1, toMs: toMs - days * 86_400_000, seed: r + 1, ingest: async () => undefined });
  const started = performance.now();
  const result = await backfill({ site, days, toMs, seed: r + 1, ingest: (b) => ingestor.ingest(b) });
  await ingestor.flush();
  const seconds = (performance.now() - started) / 1000;
  full.push(result.points / seconds);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  await ingestor.close();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`run ${r + 1}/${runs}: ${result.points} points over ${days} d; generate ${Math.round(generate[r])} points/s, backfill ${Math.round(full[r])} points/s (${seconds.toFixed(1)} s)\n`);
}
const b = median(full), g = median(generate);
process.stdout.write(`backfill_points_s=${Math.round(b)} generate_points_s=${Math.round(g)} ratio=${(b / g).toFixed(2)} days=${days} rss_mb=${Math.round(peakRss / 1048576)}\n`);
