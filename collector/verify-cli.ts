/**
 * `jieneng verify energy --site FILE --from T --to T [--json]`: reconcile each meter's stored 15-minute intervals
 * with its counter's advance (collector/verify-energy.ts) in the store configured by the environment (INFLUX_URL …
 * or the embedded file under DATA_DIR). Prints one line per mismatch and a summary; exit 1 on any mismatch.
 * Times are ISO 8601; without an offset (`2026-01-04`, `2026-01-04T08:00`) they are the site's local time.
 */
import { group, leaf, runCommand, UsageError } from '../core/cli/command.ts';
import { settings } from '../core/config/env.ts';
import { loadSite } from '../core/site/load.ts';
import { zonedTime } from '../core/time.ts';
import type { Storage } from '../storage/port.ts';
import { storeFromEnv } from '../storage/from-env.ts';
import { verifyEnergy, type BuildingCheck, type EnergyCheck, type MeterCheck, type SiteCheck } from './verify-energy.ts';

/** An ISO 8601 date or date-time; without an offset, local to `tz`. NaN when it is none. */
export function parseSiteTime(text: string, tz: string): number {
  const local = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/.exec(text);
  if (local) {
    const [, y, mo, d, h, mi] = local;
    return zonedTime(tz, Number(y), Number(mo), Number(d), Number(h ?? 0), Number(mi ?? 0));
  }
  return /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$/.test(text) ? Date.parse(text) : NaN;
}

/** One line of a mismatch. */
function mismatchLine(m: MeterCheck): string {
  const n = (x: number | null) => (x === null ? 'n/a' : String(Math.round(x * 1e6) / 1e6));
  return `MISMATCH meter=${m.meter} unit=${m.unit} counter_delta=${n(m.counter_delta)} intervals_sum=${n(m.intervals_sum)} difference=${n(m.difference)} readings=${m.readings}: ${m.reason}`;
}

/** One line of a building total that differs from its meters. */
function buildingLine(b: BuildingCheck): string {
  const n = (x: number) => String(Math.round(x * 1e6) / 1e6);
  return `MISMATCH building=${b.building} medium=${b.medium} category=${b.category} unit=${b.unit} meters_sum=${n(b.meters_sum)} building_sum=${n(b.building_sum)} difference=${n(b.building_sum - b.meters_sum)}: the building total is not the sum of its meters`;
}

const mismatchCount = (c: EnergyCheck) => c.mismatches.length + c.building_mismatches.length + c.site_mismatches.length;

/** One line of a site total that differs from its meters (decision 0407). */
function siteLine(c: SiteCheck): string {
  const n = (x: number) => String(Math.round(x * 1e6) / 1e6);
  return `MISMATCH site medium=${c.medium} category=${c.category} unit=${c.unit} meters_sum=${n(c.meters_sum)} site_sum=${n(c.site_sum)} difference=${n(c.site_sum - c.meters_sum)}: the site total is not the sum of its meters`;
}

/** The report: mismatches, then one summary line. */
export function formatCheck(check: EnergyCheck): string {
  const lines = [...check.mismatches.map(mismatchLine), ...check.building_mismatches.map(buildingLine), ...check.site_mismatches.map(siteLine)];
  lines.push(`verified ${check.meters.length} meters, ${check.buildings.length} building totals and ${check.sites.length} site totals from ${new Date(check.from).toISOString()} to ${new Date(check.to).toISOString()}: `
    + `${mismatchCount(check)} mismatches; ${check.silent.length} without counter readings${check.silent.length ? ` (${check.silent.join(', ')})` : ''}`);
  return `${lines.join('\n')}\n`;
}

/** `jieneng verify …`; `openStore` replaces the environment's store (tests). */
export function verifyCommandWith(openStore?: () => Promise<Storage>) {
  return group({
    summary: 'check stored data',
    commands: {
      energy: leaf({
        summary: "each meter's stored 15-minute intervals against its counter's advance; exit 1 on any mismatch",
        usage: '--site <site.yaml> --from <date or time> --to <date or time> [--json]',
        details: "Times are ISO 8601; without an offset they are the site's local time. The store: INFLUX_URL …, else DATA_DIR.",
        options: { site: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' } },
        run: ({ values }) => verifyEnergyCli(values, openStore),
      }),
    },
  });
}

/** `jieneng verify …` */
export const verifyCommand = verifyCommandWith();

/** Entry of `jieneng verify …`; returns the exit code (0 all agree, 1 mismatches, 2 usage). */
export const verifyCli = (argv: string[], openStore?: () => Promise<Storage>): Promise<number> => runCommand(verifyCommandWith(openStore), 'jieneng verify', argv);

async function verifyEnergyCli(values: { site?: string; from?: string; to?: string; json?: boolean }, openStore?: () => Promise<Storage>): Promise<number> {
  const site = loadSite(values.site ?? settings().siteFile);
  const tz = site.site.timezone ?? 'Asia/Shanghai';
  const [from, to] = [values.from, values.to].map((v) => (v === undefined ? NaN : parseSiteTime(v, tz)));
  for (const [name, text, ms] of [['--from', values.from, from], ['--to', values.to, to]] as const) {
    if (Number.isNaN(ms)) throw new UsageError(`${name}: ${text === undefined ? 'missing' : `'${text}' is not an ISO 8601 date or date-time`}`);
    if (ms % 900_000 !== 0) throw new UsageError(`${name}: '${text}' is not on a quarter-hour (the intervals are 15 minutes)`);
  }
  if (to <= from) throw new UsageError('--to must be after --from');
  const storage = await (openStore ?? storeFromEnv(tz))();
  try {
    const check = await verifyEnergy(site, storage, from, to);
    process.stdout.write(values.json ? `${JSON.stringify(check)}\n` : formatCheck(check));
    return mismatchCount(check) > 0 ? 1 : 0;
  } finally {
    await storage.close();
  }
}
