/**
 * `jieneng export annual --year 2025 [--org-unit ID] [--site FILE] [--data DIR] [--out return-2025.xlsx]`: the annual
 * returns of the whole site or one org unit (api/returns/), with the manual entries of `<DIR>/returns.sqlite` (DATA_DIR,
 * else ./data) when it exists, from the store configured by the environment (INFLUX_URL … or the embedded file under
 * DATA_DIR), written as XLSX, or as CSV when --out ends in .csv. A progress bar on stderr when it is a terminal.
 * `jieneng export monthly --month 2025-03 [--site FILE] [--out monthly-2025-03.xlsx]`: the energy manager's month.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { group, leaf, runCommand, UsageError } from '../../core/cli/command.ts';
import { settings } from '../../core/config/env.ts';
import { loadSite } from '../../core/site/load.ts';
import type { SiteModel } from '../../core/site/schema.ts';
import type { Storage } from '../../storage/port.ts';
import { storeFromEnv } from '../../storage/from-env.ts';
import { loadReferenceData } from '../reference.ts';
import { returnCsv } from './csv.ts';
import { EntryStore, returnsFile } from './entry-store.ts';
import { fillAnnualReturn } from './fill.ts';
import { layoutForYear } from './layout.ts';
import { monthlyReport, monthlyXlsx } from './monthly.ts';
import { returnXlsx } from './workbook.ts';

/** `jieneng export …`; `openStore` replaces the environment's store (tests). */
export function exportCommandWith(openStore?: () => Promise<Storage>) {
  return group({
    summary: 'the annual returns and the monthly report',
    commands: {
      annual: leaf({
        summary: 'the annual returns of the whole site or one org unit as XLSX, or CSV when --out ends in .csv',
        usage: '--year <YYYY> [--org-unit <id>] [--site <site.yaml>] [--data <dir>] [--out return-<YYYY>.xlsx|.csv]',
        details: 'The store: INFLUX_URL …, else the embedded file under DATA_DIR. Site: SITE_FILE unless --site. Manual entries: <data>/returns.sqlite when it exists.',
        options: { year: { type: 'string' }, 'org-unit': { type: 'string' }, site: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' } },
        run: ({ values }) => exportAnnual(values, openStore),
      }),
      monthly: leaf({
        summary: "the energy manager's monthly report (XLSX): each building's month and 分类分项",
        usage: '--month <YYYY-MM> [--site <site.yaml>] [--out monthly-<YYYY-MM>.xlsx]',
        details: 'The store: INFLUX_URL …, else the embedded file under DATA_DIR. Site: SITE_FILE unless --site.',
        options: { month: { type: 'string' }, site: { type: 'string' }, out: { type: 'string' } },
        run: ({ values }) => exportMonthly(values, openStore),
      }),
    },
  });
}

/** `jieneng export …` */
export const exportCommand = exportCommandWith();

/** Entry of `jieneng export …`; returns the exit code (0 written, 2 usage). */
export const exportCli = (argv: string[], openStore?: () => Promise<Storage>): Promise<number> => runCommand(exportCommandWith(openStore), 'jieneng export', argv);

async function open(site: SiteModel, openStore?: () => Promise<Storage>): Promise<Storage> {
  return (openStore ?? storeFromEnv(site.site.timezone))();
}

async function exportAnnual(values: { year?: string; 'org-unit'?: string; site?: string; data?: string; out?: string }, openStore?: () => Promise<Storage>): Promise<number> {
  const year = Number(values.year);
  if (!values.year || !/^\d{4}$/.test(values.year) || year < 2000 || year > 2100) {
    throw new UsageError(`--year: ${values.year === undefined ? 'missing' : `'${values.year}' is not a year between 2000 and 2100`}`);
  }
  const out = values.out ?? `return-${year}.xlsx`;
  const csv = out.toLowerCase().endsWith('.csv');
  // configuration first, so that a bad file is one line before any store is opened
  const site = loadSite(values.site ?? settings().siteFile);
  const orgUnit = values['org-unit'];
  if (orgUnit !== undefined && !site.buildings.some((b) => (b.org_units ?? []).some((o) => o.id === orgUnit))) throw new UsageError(`--org-unit: unknown org unit '${orgUnit}' in the site model`);
  const layout = layoutForYear(year);
  const coal = loadReferenceData().coal;
  const entriesFile = returnsFile(values.data ?? settings().dataDir);
  const entries = existsSync(entriesFile) ? new EntryStore(entriesFile) : undefined;
  const storage = await open(site, openStore);
  const bar = process.stderr.isTTY ? await progressBar() : undefined;
  try {
    const ret = await fillAnnualReturn({ year, site, storage, layout, coal, entries, orgUnit, onProgress: (done, total) => bar?.update(done, total + 1) });
    writeFileSync(out, csv ? returnCsv(ret) : await returnXlsx(ret));
    bar?.update(1, 1);
    bar?.stop();
    for (const w of ret.warnings) process.stderr.write(`warning: ${w.message}\n`);
    process.stderr.write(`jieneng export: wrote ${out} (${ret.site.name}, ${year}, layout ${ret.revision}, ${ret.forms.length} forms, ${ret.entries.length} manual entries)\n`);
    return 0;
  } finally {
    bar?.stop();
    entries?.close();
    await storage.close();
  }
}

async function exportMonthly(values: { month?: string; site?: string; out?: string }, openStore?: () => Promise<Storage>): Promise<number> {
  const m = /^(\d{4})-(\d{2})$/.exec(values.month ?? '');
  if (!m || Number(m[1]) < 2000 || Number(m[1]) > 2100 || Number(m[2]) < 1 || Number(m[2]) > 12) {
    throw new UsageError(`--month: ${values.month === undefined ? 'missing' : `'${values.month}' is not a month YYYY-MM`}`);
  }
  const site = loadSite(values.site ?? settings().siteFile);
  const coal = loadReferenceData().coal;
  const out = values.out ?? `monthly-${values.month}.xlsx`;
  const storage = await open(site, openStore);
  try {
    writeFileSync(out, await monthlyXlsx(await monthlyReport({ site, storage, coal, year: Number(m[1]), month: Number(m[2]) })));
    process.stderr.write(`jieneng export: wrote ${out} (${site.site.name}, ${values.month}, ${site.buildings.length} buildings)\n`);
    return 0;
  } finally {
    await storage.close();
  }
}

/** A bar on stderr; update(done, total) starts it on first use. */
async function progressBar(): Promise<{ update(done: number, total: number): void; stop(): void }> {
  const cliProgress = (await import('cli-progress')).default;
  const bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'export |{bar}| {percentage}%', hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false, stopped = false;
  return {
    update(done, total) {
      if (stopped) return;
      if (!started) { bar.start(total, 0); started = true; }
      bar.setTotal(total);
      bar.update(done);
    },
    stop() { if (started && !stopped) bar.stop(); stopped = true; },
  };
}
