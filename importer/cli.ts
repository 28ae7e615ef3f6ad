/**
 * `jieneng import readings FILE.csv|FILE.xlsx [--site F] [--dry-run] [--json]`: past meter readings, interval
 * energy and outdoor temperatures (docs/import.md) through the collector's ingestion into the store configured by
 * the environment (INFLUX_URL … or the embedded file under DATA_DIR). A progress bar on stderr when it is a
 * terminal. Exit 0: stored (or, with --dry-run, nothing refused); 1: rows refused, nothing stored; 2: usage or file.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { group, leaf, runCommand, UsageError } from '../core/cli/command.ts';
import { settings } from '../core/config/env.ts';
import { loadSite } from '../core/site/load.ts';
import { localDate, startOfLocalDay } from '../core/time.ts';
import type { Storage } from '../storage/port.ts';
import { storeFromEnv } from '../storage/from-env.ts';
import { importReadings, type ImportReport } from './run.ts';
import { ImportFileError } from './table.ts';

/** Refused rows printed one per line; the rest are counted (all are in --json). */
const ROWS_SHOWN = 50;

/** `jieneng import …`; `openStore` replaces the environment's store (tests). */
export function importCommandWith(openStore?: () => Promise<Storage>) {
  return group({
    summary: 'history from files',
    commands: {
      readings: leaf({
        summary: 'past meter readings, interval energy and outdoor temperatures through the collector\'s ingestion (docs/import.md)',
        usage: '<file.csv|file.xlsx> [--site <site.yaml>] [--dry-run] [--json]',
        details: 'Exit 0: stored (or, with --dry-run, nothing refused); 1: rows refused, nothing stored; 2: usage or file.\n'
          + 'The store: INFLUX_URL …, else the embedded file under DATA_DIR. Site: SITE_FILE unless --site.',
        options: { site: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
        positionals: true,
        run: ({ values, positionals }) => importFile(positionals, values, openStore),
      }),
    },
  });
}

/** `jieneng import …` */
export const importCommand = importCommandWith();

/** Entry of `jieneng import …`; returns the exit code. */
export const importCli = (argv: string[], openStore?: () => Promise<Storage>): Promise<number> => runCommand(importCommandWith(openStore), 'jieneng import', argv);

async function importFile(files: string[], values: { site?: string; 'dry-run'?: boolean; json?: boolean }, openStore?: () => Promise<Storage>): Promise<number> {
  if (files.length !== 1) throw new UsageError(`give exactly one file (${files.length} given)`);
  const file = files[0];
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    process.stderr.write(`jieneng import: ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}\n`);
    return 2;
  }
  const site = loadSite(values.site ?? settings().siteFile);
  const storage = await (openStore ?? storeFromEnv(site.site.timezone))();
  const bar = process.stderr.isTTY ? await progressBar() : undefined;
  let report: ImportReport;
  try {
    report = await importReadings({ site, storage, bytes, dryRun: values['dry-run'], by: `${osUser()} (command line)`, onProgress: (done, total, phase) => bar?.update(done, total, phase) });
  } catch (err) {
    if (err instanceof ImportFileError) {
      process.stderr.write(`jieneng import: ${file}: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    bar?.stop();
    await storage.close();
  }
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(summary(file, report, site.site.timezone));
  return report.rejected.length > 0 ? 1 : 0;
}

/** The report for a person: refused rows first, then one line of what was (or would be) stored. */
export function summary(file: string, r: ImportReport, tz = 'Asia/Shanghai'): string {
  const lines: string[] = [];
  for (const p of r.rejected.slice(0, ROWS_SHOWN)) lines.push(`${file}:${p.row}: ${p.reason}: ${p.detail}`);
  if (r.rejected.length > ROWS_SHOWN) lines.push(`… ${r.rejected.length - ROWS_SHOWN} more refused rows (--json lists them all)`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  const span = r.from ? ` from ${r.from} to ${r.to}` : '';
  const what = `${r.readings} readings of ${r.devices.length} devices${span}: ${r.telemetry_points} telemetry points and ${r.energy_rows} energy rows`;
  if (r.rejected.length > 0) lines.push(`${file}: ${r.rejected.length} rows refused; nothing stored${r.dry_run ? ' (dry run)' : ''}`);
  else if (r.already_stored === r.readings) lines.push(`${file}: all ${r.readings} readings are already stored; nothing new to store`);
  else if (r.dry_run) lines.push(`${file}: dry run, nothing stored; would store ${what} (${r.already_stored} readings already stored)`);
  else {
    lines.push(`${file}: stored ${what} in ${r.seconds.toFixed(1)} s (${r.already_stored} readings were already stored)`);
    // the boards' daily KPIs are a job's rows, recomputed only for the last days (docs/api.md, kpi_1d)
    const from = Date.parse(r.from!), to = Date.parse(r.to!);
    lines.push(`the boards' daily KPIs of the period: jieneng kpi writeback --from ${localDate(from, tz)} --to ${localDate(startOfLocalDay(to - 1, tz) + 36 * 3_600_000, tz)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A bar on stderr; update(done, total, phase) starts it on first use. */
async function progressBar(): Promise<{ update(done: number, total: number, phase: string): void; stop(): void }> {
  const cliProgress = (await import('cli-progress')).default;
  const bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'import |{bar}| {percentage}% · {value}/{total} readings · {phase}', hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false, stopped = false;
  return {
    update(done, total, phase) {
      if (stopped) return;
      if (!started) { bar.start(total, 0, { phase }); started = true; }
      bar.update(done, { phase });
    },
    stop() { if (started && !stopped) bar.stop(); stopped = true; },
  };
}

/** The operating-system user running the command, for the import's record. */
function osUser(): string {
  try {
    return userInfo().username;
  } catch { // a container user without a passwd entry
    return `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}
