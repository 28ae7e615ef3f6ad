/**
 * `npm run bench:export`: how long the annual export takes — the returns of 2025 filled (with 2024 for 同比) and
 * written as XLSX, as `GET /api/v1/exports/annual` does — for the demo site and for a generated district of
 * BENCH_DISTRICT buildings (default 500, five meters each), on the embedded store and on an InfluxDB 1.x it starts
 * itself (or INFLUX_URL). Two years of daily rollups are written first (bench/export-data.ts). Per store and site it
 * prints the median of BENCH_RUNS exports (default 3) split into reading and computing (fill) and writing the XLSX,
 * beside the same run's floor: one bare aggregate of the year's building totals (BENCH_STORES=embedded or influxdb
 * runs one store only). Last lines, one per store, the
 * InfluxDB one last:
 *   demo_s=<n> district_s=<n> store=embedded
 *   demo_s=<n> district_s=<n> store=influxdb
 * Targets: demo ≤ 3 s, district ≤ 30 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { loadReferenceData } from '../api/reference.ts';
import { fillAnnualReturn } from '../api/returns/fill.ts';
import { layoutForYear } from '../api/returns/layout.ts';
import { returnXlsx } from '../api/returns/workbook.ts';
import { MEASUREMENT, QUANTITY_FIELD } from '../core/measurements.ts';
import { loadSite } from '../core/site/load.ts';
import type { SiteModel } from '../core/site/schema.ts';
import { zonedTime } from '../core/time.ts';
import { openStorage } from '../storage/index.ts';
import type { Storage } from '../storage/port.ts';
import { createDatabase, startInfluxd, type InfluxServer } from '../test/harness/influxd.ts';
import { districtSite, fillYears } from './export-data.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const STORES = (process.env.BENCH_STORES ?? 'embedded,influxdb').split(',');
const DISTRICT = Number(process.env.BENCH_DISTRICT ?? 500);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const s2 = (n: number) => n.toFixed(2);

/** Median export time of the site on the store, with its parts and the floor. */
async function timeExport(label: string, storage: Storage, site: SiteModel): Promise<number> {
  const layout = layoutForYear(2025);
  const coal = loadReferenceData().coal;
  const total: number[] = [], fill: number[] = [], xlsx: number[] = [], floor: number[] = [];
  let bytes = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    const ret = await fillAnnualReturn({ year: 2025, site, storage, layout, coal });
    const t1 = performance.now();
    bytes = (await returnXlsx(ret)).length;
    const t2 = performance.now();
    fill.push((t1 - t0) / 1000);
    xlsx.push((t2 - t1) / 1000);
    total.push((t2 - t0) / 1000);
    // the floor: one aggregate of the year's electricity building totals, the least any export reads
    const f0 = performance.now();
    await storage.aggregate({
      measurement: MEASUREMENT.buildingEnergy1d, field: QUANTITY_FIELD.electricity, fn: 'sum',
      from: zonedTime('Asia/Shanghai', 2025, 1, 1), to: zonedTime('Asia/Shanghai', 2026, 1, 1),
      where: { site: site.site.id, building: site.buildings.map((b) => b.id), medium: 'electricity', category: '01000' },
    });
    floor.push((performance.now() - f0) / 1000);
  }
  process.stdout.write(`  ${label.padEnd(34)} export ${s2(median(total)).padStart(6)} s  (fill ${s2(median(fill))} s, xlsx ${s2(median(xlsx))} s, ${Math.round(bytes / 1024)} KiB)   floor: one year aggregate ${s2(median(floor))} s\n`);
  return median(total);
}

/** Fill a fresh store of each site and time its exports. */
async function runStore(kind: 'embedded' | 'influxdb', open: (name: string) => Promise<Storage>, demo: SiteModel, district: SiteModel): Promise<string> {
  process.stdout.write(`${kind}:\n`);
  const result: number[] = [];
  for (const [name, site] of [['demo', demo], ['district', district]] as const) {
    const storage = await open(name);
    try {
      const t0 = performance.now();
      const rows = await fillYears(storage, site);
      process.stdout.write(`  ${`${name}: wrote ${rows} rows`.padEnd(34)} in ${s2((performance.now() - t0) / 1000)} s (${site.buildings.length} buildings, ${site.devices.length} devices)\n`);
      result.push(await timeExport(`${name} annual export`, storage, site));
    } finally {
      await storage.close();
    }
  }
  return `demo_s=${s2(result[0])} district_s=${s2(result[1])} store=${kind}`;
}

async function main(): Promise<void> {
  const demo = loadSite(join(repo, 'config', 'demo-site.yaml'));
  const district = districtSite(DISTRICT);
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-bench-export-'));
  let influx: InfluxServer | undefined;
  const lines: string[] = [];
  try {
    if (STORES.includes('embedded')) lines.push(await runStore('embedded', (name) => openStorage({ kind: 'embedded', path: join(dir, `${name}.sqlite`) }), demo, district));
    if (!STORES.includes('influxdb')) { process.stdout.write(`\n${lines.join('\n')}\n`); return; }
    let url = process.env.INFLUX_URL;
    if (!url) { influx = await startInfluxd(); url = influx.url; }
    const influxUrl = url;
    lines.push(await runStore('influxdb', async (name) => {
      const database = `bench_export_${name}_${Date.now()}`;
      await createDatabase(influxUrl, database);
      return openStorage({ kind: 'influxdb', url: influxUrl, version: 1, database });
    }, demo, district));
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    await influx?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
