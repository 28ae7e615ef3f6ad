/**
 * `npm run bench:import [-- --days N --runs R]`: the history import's rate against the collector's own ingestion
 * of the same readings, in the same run and on the same kind of store. For each run, on the demo site's meters
 * (a counter reading every 15 minutes each) and its met station's temperature:
 *   (a) ingest: the readings as gateway batches (16 poll steps each, as a backfill sends them) into
 *       `createIngestor` and a fresh embedded store, flushed — the collector's own rate;
 *   (b) import: the same readings as a CSV file through `importReadings` into a fresh embedded store — reading the
 *       file, the row checks, the comparison with stored history, the ingestion and the held writes, flushed.
 * Rows are readings (one point each). Target: ratio ≥ 0.5. Also printed: (a) again in batches as large as the
 * import's, which leaves the import's own work (file, checks, comparison) as the difference. Prints medians; last line
 * `import_rows_s=<n> ingest_rows_s=<n> ratio=<n> rows=<n>`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createIngestor } from '../collector/ingest.ts';
import { devicePointRules } from '../collector/point-rules.ts';
import type { ReadingBatch } from '../core/contract/v1.ts';
import { loadSite } from '../core/site/load.ts';
import { importReadings } from '../importer/run.ts';
import { openStorage } from '../storage/index.ts';

const { values } = parseArgs({ options: { days: { type: 'string', default: '7' }, runs: { type: 'string', default: '3' } } });
const days = Number(values.days), runs = Number(values.runs);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const site = loadSite(join(repo, 'config/demo-site.yaml'));
const STEP_MS = 15 * 60_000;
const toMs = Date.UTC(2026, 5, 30, 16); // 2026-07-01 00:00 CST: a fixed history, comparable between runs
const fromMs = toMs - days * 86_400_000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Every counter of the demo site and its met station, with a plausible advance per step in the counter's unit. */
const series = site.devices.flatMap((d) => {
  if (d.template === 'sunspec-met-station') return [{ device: d, point: 'temp_c', value: (i: number) => 20 + 5 * Math.sin(i / 16) }];
  const point = d.kind === 'meter' ? devicePointRules(d).counterPoint : undefined;
  if (!point) return [];
  const per = point.endsWith('_kwh') ? 2.5 : 0.05;
  return [{ device: d, point, value: (i: number) => 1000 + per * i }];
});
const steps = Math.round((toMs - fromMs) / STEP_MS) + 1;
const rows = steps * series.length;

/** The readings as a CSV file. */
function csvFile(): Buffer {
  const lines = ['time,device,point,value'];
  for (let i = 0; i < steps; i++) {
    const time = new Date(fromMs + i * STEP_MS).toISOString();
    for (const s of series) lines.push(`${time},${s.device.id},${s.point},${s.value(i).toFixed(3)}`);
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** The readings as gateway batches of `per` poll steps. */
function* gatewayBatches(per: number): Generator<ReadingBatch> {
  const gateways = [...new Set(series.map((s) => s.device.gateway))];
  const seq = new Map<string, number>();
  for (let i = 0; i < steps; i += per) {
    for (const gateway of gateways) {
      const readings = [];
      for (let j = i; j < Math.min(steps, i + per); j++) {
        for (const s of series) {
          if (s.device.gateway !== gateway) continue;
          readings.push({ device: s.device.id, ts: fromMs + j * STEP_MS, points: { [s.point]: { value: Number(s.value(j).toFixed(3)), quality: 'good' as const } } });
        }
      }
      const n = seq.get(gateway) ?? 0;
      seq.set(gateway, n + 1);
      yield { v: 1, site: site.site.id, gateway, seq: n, sent_ts: readings[readings.length - 1].ts, readings };
    }
  }
}

async function freshStore(name: string) {
  const dir = mkdtempSync(join(tmpdir(), `jieneng-bench-import-${name}-`));
  const storage = await openStorage({ kind: 'embedded', path: join(dir, 'store.sqlite') });
  return { dir, storage, async done() { await storage.close(); rmSync(dir, { recursive: true, force: true }); } };
}

async function ingestRun(per = 16): Promise<number> {
  const store = await freshStore('ingest');
  const ingestor = createIngestor({ site, storage: store.storage, stateDir: join(store.dir, 'state'), now: () => toMs + 60_000, maxAgeMs: (days + 1) * 86_400_000 });
  const started = performance.now();
  let accepted = 0;
  for (const b of gatewayBatches(per)) accepted += (await ingestor.ingest(b)).accepted;
  await ingestor.flush();
  const seconds = (performance.now() - started) / 1000;
  await ingestor.close();
  await store.done();
  if (accepted !== rows) throw new Error(`ingest accepted ${accepted} of ${rows} readings`);
  return rows / seconds;
}

async function importRun(file: Buffer): Promise<number> {
  const store = await freshStore('import');
  const started = performance.now();
  const report = await importReadings({ site, storage: store.storage, bytes: file });
  const seconds = (performance.now() - started) / 1000;
  await store.done();
  if (!report.stored || report.readings !== rows) throw new Error(`import stored ${report.stored}, ${report.readings} of ${rows} readings; refused ${JSON.stringify(report.rejected.slice(0, 3))}`);
  return rows / seconds;
}

const file = csvFile();
process.stderr.write(`${rows} readings (${series.length} series × ${steps} steps of 15 min over ${days} d), CSV ${(file.length / 1048576).toFixed(1)} MiB\n`);
const ingest: number[] = [];
const imported: number[] = [];
const ingestLarge: number[] = [];
/** The import hands the ingestion 5 000 readings at a time (importer/run.ts): the same batches' worth of steps. */
const importSteps = Math.max(1, Math.floor(5000 / series.length));
for (let r = 0; r < runs; r++) {
  // alternate the order, so neither side always runs on a warmer process
  if (r % 2 === 0) { ingest.push(await ingestRun()); imported.push(await importRun(file)); }
  else { imported.push(await importRun(file)); ingest.push(await ingestRun()); }
  ingestLarge.push(await ingestRun(importSteps));
  process.stderr.write(`run ${r + 1}/${runs}: ingest ${Math.round(ingest[r])} rows/s, import ${Math.round(imported[r])} rows/s; `
    + `ingest in batches of ${importSteps} steps, as the import sends them: ${Math.round(ingestLarge[r])} rows/s\n`);
}
process.stderr.write(`medians: ingest in batches of ${importSteps} steps ${Math.round(median(ingestLarge))} rows/s (the import's own work beside it: ratio ${(median(imported) / median(ingestLarge)).toFixed(2)})\n`);
const i = median(imported), g = median(ingest);
process.stdout.write(`import_rows_s=${Math.round(i)} ingest_rows_s=${Math.round(g)} ratio=${(i / g).toFixed(2)} rows=${rows}\n`);
