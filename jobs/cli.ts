/**
 * `jieneng kpi writeback --site FILE [--from T --to T | --days-back N] [--every DURATION]`: the daily KPI
 * write-back (jobs/kpi-writeback.ts, decision 0406) against the store configured by the environment (INFLUX_URL …
 * or the embedded file under DATA_DIR). With --from/--to, one run over that range (a backfill); else the last
 * --days-back local days (default 2, today included), once, or every --every (`15m`, `1h`, `30s`) until
 * SIGINT/SIGTERM — the form a scheduler or a compose service runs.
 */
import { group, leaf, runCommand, UsageError, untilSignal } from '../core/cli/command.ts';
import { settings } from '../core/config/env.ts';
import { logger } from '../core/log.ts';
import { loadSite } from '../core/site/load.ts';
import type { Storage } from '../storage/port.ts';
import { storeFromEnv } from '../storage/from-env.ts';
import { parseSiteTime } from '../collector/verify-cli.ts';
import { kpiSources, recentDays, scheduleKpiWriteBack, writeDailyKpis } from './kpi-writeback.ts';

/** A duration such as `30s`, `15m`, `1h` in ms; NaN when it is none. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(s|m|h)$/.exec(text);
  return m ? Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'] : NaN;
}

/** What replaces the environment's store and the signals (tests). */
export interface KpiDeps { openStore?: () => Promise<Storage>; untilStopped?: Promise<void> }

/** `jieneng kpi …` with `deps`. */
export function kpiCommandWith(deps: KpiDeps = {}) {
  return group({
    summary: 'the daily KPIs (kpi_1d) written back to the store for the boards',
    commands: {
      writeback: leaf({
        summary: 'compute and write kpi_1d: over --from/--to once, else the last --days-back local days, once or every --every',
        usage: '[--site <site.yaml>] [--from <date> --to <date> | --days-back 2] [--every 15m]',
        details: 'The store: INFLUX_URL …, else the embedded file under DATA_DIR. Site: SITE_FILE unless --site.',
        options: { site: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, 'days-back': { type: 'string' }, every: { type: 'string' } },
        run: ({ values }) => writeback(values, deps),
      }),
    },
  });
}

/** `jieneng kpi …` */
export const kpiCommand = kpiCommandWith();

/** Entry of `jieneng kpi …`; returns the exit code. */
export const kpiCli = (argv: string[], deps: KpiDeps = {}): Promise<number> => runCommand(kpiCommandWith(deps), 'jieneng kpi', argv);

async function writeback(values: { site?: string; from?: string; to?: string; 'days-back'?: string; every?: string }, deps: KpiDeps): Promise<number> {
  const fail = (msg: string): never => {
    throw new UsageError(msg);
  };
  const site = loadSite(values.site ?? settings().siteFile);
  const tz = site.site.timezone ?? 'Asia/Shanghai';
  const daysBack = Number(values['days-back'] ?? 2);
  if (!Number.isInteger(daysBack) || daysBack < 1) return fail(`--days-back: '${values['days-back']}' is not a whole number of days ≥ 1`);
  const every = values.every === undefined ? undefined : parseDuration(values.every);
  if (every !== undefined && !(every > 0)) return fail(`--every: '${values.every}' is not a duration such as 15m, 1h or 30s`);
  const range = values.from !== undefined || values.to !== undefined;
  if (range && every !== undefined) return fail('--every repeats the last --days-back days; a --from/--to range runs once');
  const from = values.from === undefined ? NaN : parseSiteTime(values.from, tz);
  const to = values.to === undefined ? NaN : parseSiteTime(values.to, tz);
  if (range && (Number.isNaN(from) || Number.isNaN(to) || to <= from)) return fail('--from and --to: two ISO 8601 dates or date-times, --to after --from');

  const storage = await (deps.openStore ?? storeFromEnv(tz))();
  const log = logger('jobs.kpi');
  const sources = kpiSources(site, storage);
  try {
    if (every === undefined) {
      const r = range ? { from, to } : recentDays(Date.now(), tz, daysBack);
      const rows = await writeDailyKpis(sources, r.from, r.to);
      process.stdout.write(`kpi_1d: ${rows} rows written for ${new Date(r.from).toISOString()} … ${new Date(r.to).toISOString()}\n`);
      return 0;
    }
    const job = scheduleKpiWriteBack(sources, { every_ms: every, days_back: daysBack, first_ms: 0 });
    log.info({ every_ms: every, days_back: daysBack }, 'kpi_1d write-back scheduled');
    await (deps.untilStopped ?? untilSignal());
    log.info('stopping');
    await job.stop();
    return 0;
  } finally {
    await storage.close();
  }
}
