/**
 * `npm run bench:collector-memory`: the memory a collector's counter state settles at. The collector keeps the
 * readings of the recompute horizon (six hours) for every meter it counts, so a short run (bench:collector sends
 * 20 minutes of polls) never sees its steady state. This one feeds the ingestion (no MQTT, a store that accepts
 * at once) six hours and a half of 15-second polls of the collector bench's 500 meters — 9.4 million points —
 * generated as it goes, and prints the live JavaScript heap after a full collection, the memory outside it and
 * the resident set every simulated hour.
 * Last line: `hours=<n> heap_used_mb=<n> external_mb=<n> rss_mb=<n>` (the process also holds this generator).
 * Target: the live heap does not grow with the hours once the horizon is reached (issue 18: ≤ 200 MB for the
 * collector process, which bench:collector measures on its shorter run).
 * Needs `--expose-gc` (the npm script sets it). `BENCH_HOURS` (default 6.5).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topics } from '../core/contract/v1.ts';
import { createIngestor } from '../collector/ingest.ts';
import { benchBatches, benchSite, GATEWAYS, METERS_PER_GATEWAY, POINTS, POLL_MS } from './collector-data.ts';
import { discardStorage } from './discard-storage.ts';

const HOURS = Number(process.env.BENCH_HOURS ?? 6.5);
const CYCLES = Math.round((HOURS * 3_600_000) / POLL_MS);
const CHUNK = 40; // cycles generated at a time: the generator's own garbage stays small
const CYCLES_PER_HOUR = 3_600_000 / POLL_MS;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:collector-memory does)');
const mb = (bytes: number) => (bytes / 1_048_576).toFixed(1);

const dir = mkdtempSync(join(tmpdir(), 'jieneng-bench-memory-'));
try {
  const ingestor = createIngestor({ site: benchSite(), storage: discardStorage, stateDir: dir });
  const start = Math.floor(Date.now() / POLL_MS) * POLL_MS - (CYCLES + 1) * POLL_MS;
  process.stdout.write(`${GATEWAYS * METERS_PER_GATEWAY} meters × ${POINTS.length} points, a poll every ${POLL_MS / 1000} s, ${HOURS} h: ${(CYCLES * GATEWAYS * METERS_PER_GATEWAY * POINTS.length).toLocaleString('en-US')} points\n`);
  let last = process.memoryUsage();
  for (let c = 0; c < CYCLES; c += CHUNK) {
    for (const cycle of benchBatches(start, Math.min(CHUNK, CYCLES - c), c)) {
      for (const b of cycle) {
        const result = await ingestor.ingestMessage(topics.readings('bench', b.gateway), Buffer.from(JSON.stringify(b)));
        if (result.rejected.length > 0) throw new Error(`bench batch rejected: ${JSON.stringify(result.rejected[0])}`);
      }
    }
    const done = c + CHUNK;
    if (done % CYCLES_PER_HOUR === 0 || done >= CYCLES) {
      await ingestor.flush();
      gc();
      last = process.memoryUsage();
      process.stdout.write(`  ${(Math.min(done, CYCLES) / CYCLES_PER_HOUR).toFixed(1)} h: heap used ${mb(last.heapUsed)} MB, outside the heap ${mb(last.external)} MB (array buffers ${mb(last.arrayBuffers)}), resident ${mb(last.rss)} MB\n`);
    }
  }
  await ingestor.close();
  process.stdout.write(`hours=${HOURS} heap_used_mb=${mb(last.heapUsed)} external_mb=${mb(last.external)} rss_mb=${mb(last.rss)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
