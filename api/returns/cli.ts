/**
 * `jieneng export annual --year 2025 [--site FILE] [--out return-2025.xlsx]`: the annual returns of the whole site
 * (api/returns/) from the store configured by the environment (INFLUX_URL … or the embedded file under DATA_DIR),
 * written as XLSX, or as CSV when --out ends in .csv. A progress bar on stderr when it is a terminal.
 */
import { writeFileSync } from 'node:fs';
import { group, leaf, runCommand, UsageError } from '../../core/cli/command.ts';
import { settings } from '../../core/config/env.ts';
import { loadSite } from '../../core/site/load.ts';
import type { Storage } from '../../storage/port.ts';
import { loadReferenceData } from '../reference.ts';
import { returnCsv } from './csv.ts';
import { fillAnnualReturn } from './fill.ts';
import { layoutForYear } from './layout.ts';
import { returnXlsx } from './workbook.ts';

/** `jieneng export …`; `openStore` replaces the environment's store (tests). */
export function exportCommandWith(openStore?: () => Promise<Storage>) {
  return group({
    summary: 'the annual returns',
    commands: {
      annual: leaf({
        summary: 'the annual returns of the whole site as XLSX, or CSV when --out ends in .csv',
        usage: '--year <YYYY> [--site <site.yaml>] [--out return-<YYYY>.xlsx|.csv]',
        details: 'The store: INFLUX_URL …, else the embedded file under DATA_DIR. Site: SITE_FILE unless --site.',
        options: { year: { type: 'string' }, site: { type: 'string' }, out: { type: 'string' } },
        run: ({ values }) => exportAnnual(values, openStore),
      }),
    },
  });
}

/** `jieneng export …` */
export const exportCommand = exportCommandWith();

/** Entry of `jieneng export …`; returns the exit code (0 written, 2 usage). */
export const exportCli = (argv: string[], openStore?: () => Promise<Storage>): Promise<number> => runCommand(exportCommandWith(openStore), 'jieneng export', argv);

async function exportAnnual(values: { year?: string; site?: string; out?: string }, openStore?: () => Promise<Storage>): Promise<number> {
  const year = Number(values.year);
  if (!values.year || !/^\d{4}$/.test(values.year) || year < 2000 || year > 2100) {
    throw new UsageError(`--year: ${values.year === undefined ? 'missing' : `'${values.year}' is not a year between 2000 and 2100`}`);
  }
  const out = values.out ?? `return-${year}.xlsx`;
  const csv = out.toLowerCase().endsWith('.csv');
  // configuration first, so that a bad file is one line before any store is opened
  const site = loadSite(values.site ?? settings().siteFile);
  const layout = layoutForYear(year);
  const coal = loadReferenceData().coal;
  const storage = openStore ? await openStore() : await (async () => {
    const { openStorage, storageConfigFromEnv } = await import('../../storage/index.ts');
    return openStorage(storageConfigFromEnv(process.env), { timezone: site.site.timezone });
  })();
  const bar = process.stderr.isTTY ? await progressBar() : undefined;
  try {
    const ret = await fillAnnualReturn({ year, site, storage, layout, coal, onProgress: (done, total) => bar?.update(done, total + 1) });
    writeFileSync(out, csv ? returnCsv(ret) : await returnXlsx(ret));
    bar?.update(1, 1);
    bar?.stop();
    for (const w of ret.warnings) process.stderr.write(`warning: ${w.message}\n`);
    process.stderr.write(`jieneng export: wrote ${out} (${ret.site.name}, ${year}, layout ${ret.revision}, ${ret.forms.length} forms)\n`);
    return 0;
  } finally {
    bar?.stop();
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
