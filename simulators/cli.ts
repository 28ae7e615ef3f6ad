/**
 * `jieneng sim …`:
 *   jieneng sim run --site F [--seed N] [--only id,id] [--fault DEVICE:KIND[:k=v,…]]…
 *       the site's simulators on their configured loopback addresses until Ctrl-C (faults: simulators/fault-spec.ts)
 *   jieneng sim backfill --site F --days N [--to ISO] [--step 15m|1m|poll] [--seed N] [--state DIR]
 *       N days of history from the physics straight into the collector's ingestion and the configured store
 *       (INFLUX_URL … or the embedded file under DATA_DIR), with a progress bar on stderr
 * The seed defaults to SIM_SEED or 1, the same as the demo, so backfilled counters continue into the live demo.
 */
import { resolve } from 'node:path';
import { group, leaf, runCommand, UsageError, untilSignal } from '../core/cli/command.ts';
import { settings } from '../core/config/env.ts';
import { ConfigError } from '../core/config/yaml-file.ts';
import { logger } from '../core/log.ts';
import { loadSite } from '../core/site/load.ts';
import { parseFaultSpec, type FaultSpec } from './fault-spec.ts';
import type { ValueFault } from './physics/faults.ts';
import { mqttConnection } from '../core/mqtt/connection.ts';
import { storeFromEnv } from '../storage/from-env.ts';

const FAULTS_HELP = [
  'faults: stuck:from=,to= | counter_reset:at= | rollover:at=,modulus= | replaced:at=,initial= |',
  '        spike:from=,to=,factor=[,points=a+b] | set:points=a+b,value=[,from=,to=] | offline | slow:ms= | exception:code=',
  '        (times ISO 8601)',
  'The seed defaults to SIM_SEED or 1, the same as the demo; the site to SITE_FILE.',
].join('\n');
const COMMON = { site: { type: 'string' }, seed: { type: 'string' }, only: { type: 'string' }, fault: { type: 'string', multiple: true } } as const;

/** What both subcommands share: seed, site file, the devices, the faults parsed. */
function common(values: { site?: string; seed?: string; only?: string; fault?: string[] }) {
  const env = settings();
  const seed = values.seed === undefined ? env.simSeed : Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed: '${values.seed}' is not an integer`);
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  let faults: FaultSpec[];
  try {
    faults = (values.fault ?? []).map(parseFaultSpec);
  } catch (err) {
    throw new UsageError(`--fault ${(err as Error).message}`);
  }
  const valueFaults = new Map<string, ValueFault[]>();
  for (const f of faults) if ('value' in f) valueFaults.set(f.device, [...(valueFaults.get(f.device) ?? []), f.value]);
  return { seed, siteFile: values.site ?? env.siteFile, only, faults, valueFaults, dataDir: env.dataDir };
}

/** `jieneng sim …` */
export const simCommand = group({
  summary: 'the simulated devices of a site',
  commands: {
    run: leaf({
      summary: "the site's simulators on their configured loopback addresses until Ctrl-C",
      usage: '[--site <site.yaml>] [--seed N] [--only id,id…] [--fault DEVICE:KIND[:k=v,…]]…',
      details: `${FAULTS_HELP}\nMQTT-native controllers publish to MQTT_URL as MQTT_USERNAME.`,
      options: COMMON,
      run: ({ values }) => simRun(common(values)),
    }),
    backfill: leaf({
      summary: 'N days of history from the physics through the collector\'s ingestion into the configured store',
      usage: '[--site <site.yaml>] --days N [--to ISO-time] [--step 15m|5m|1m|poll] [--seed N] [--state DIR] [--fault …]…',
      details: `${FAULTS_HELP}\nThe store: INFLUX_URL …, else the embedded file under DATA_DIR.`,
      options: { ...COMMON, days: { type: 'string' }, to: { type: 'string' }, step: { type: 'string' }, state: { type: 'string' } },
      run: ({ values }) => simBackfill(common(values), values),
    }),
  },
});

/** Entry of `jieneng sim …`; returns the exit code. */
export const simCli = (argv: string[]): Promise<number> => runCommand(simCommand, 'jieneng sim', argv);

async function simRun({ seed, siteFile, only, faults, valueFaults }: ReturnType<typeof common>): Promise<number> {
  const site = loadSite(siteFile);
  for (const f of faults) if (!site.devices.some((d) => d.id === f.device)) throw new UsageError(`--fault: unknown device '${f.device}'`);
  const { startSiteSimulators } = await import('./fleet.ts');
  // simulated MQTT-native controllers publish to MQTT_URL with the account of MQTT_USERNAME (issue 13)
  const broker = mqttConnection({}, process.env);
  const sims = await startSiteSimulators({ site, seed, only, mqttUrl: broker?.url, mqttOptions: broker ? () => broker.options : undefined });
  try {
    for (const [id, list] of valueFaults) sims.setValueFaults(id, list);
    for (const f of faults) if ('protocol' in f) sims.setProtocolFault(f.device, f.protocol);
  } catch (err) {
    await sims.stop();
    throw new UsageError(`--fault: ${(err as Error).message}`);
  }
  process.stderr.write(`jieneng sim: ${sims.devices.size} devices of ${site.site.id} simulated; Ctrl-C stops\n`);
  await untilSignal();
  await sims.stop();
  return 0;
}

async function simBackfill(c: ReturnType<typeof common>, values: { days?: string; to?: string; step?: string; state?: string }): Promise<number> {
  const fail = (msg: string): never => {
    throw new UsageError(msg);
  };
  const days = Number(values.days);
  if (!values.days || !Number.isFinite(days) || days <= 0 || days > 3660) return fail(`--days: '${values.days ?? ''}' must be a number of days, 0 < N ≤ 3660`);
  const toMs = values.to ? Date.parse(values.to) : Date.now();
  if (!Number.isFinite(toMs)) return fail(`--to: '${values.to}' is not an ISO date-time (e.g. 2026-06-30T00:00:00+08:00)`);
  const site = loadSite(c.siteFile);
  const stepText = values.step ?? '15m';
  const stepMs = stepText === 'poll' ? pollStepMs(site) : parseStep(stepText);
  if (stepMs === undefined) return fail(`--step: '${stepText}' must be 15m, 5m, 1m, 30s, 15s or poll`);
  if (c.faults.some((f) => 'protocol' in f)) return fail('--fault: protocol faults (offline, slow, exception) apply to `sim run`, not to a backfill');
  for (const id of c.valueFaults.keys()) if (!site.devices.some((d) => d.id === id)) return fail(`--fault: unknown device '${id}'`);
  return runBackfill({ site, days, toMs, stepMs, seed: c.seed, only: c.only, faults: c.valueFaults, stateDir: resolve(values.state ?? resolve(c.dataDir, 'collector')) });
}

/** 15m, 5m, 1m, 30s, 15s → ms (steps that divide 15 minutes, so every rollup interval gets whole readings). */
function parseStep(text: string): number | undefined {
  const m = /^(\d+)(s|m)$/.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000);
  return ms > 0 && 900_000 % ms === 0 ? ms : undefined;
}

/** The fastest gateway poll interval of the site: the live data's resolution. */
function pollStepMs(site: import('../core/site/schema.ts').SiteModel): number {
  const s = Math.min(...site.gateways.map((g) => g.poll_interval_s ?? 15));
  return parseStep(`${s}s`) ?? 15_000;
}

async function runBackfill(o: { site: import('../core/site/schema.ts').SiteModel; days: number; toMs: number; stepMs: number; seed: number; only?: string[]; faults: Map<string, ValueFault[]>; stateDir: string }): Promise<number> {
  const { createIngestor } = await import('../collector/ingest.ts');
  const { backfill } = await import('./backfill.ts');
  const cliProgress = (await import('cli-progress')).default;
  const log = logger('sim-backfill');
  const storage = await storeFromEnv(o.site.site.timezone)();
  // the ingestor's clock is the end of the history, so nothing counts as "from the future" or too old
  const ingestor = createIngestor({ site: o.site, storage, stateDir: o.stateDir, now: () => o.toMs, maxAgeMs: (o.days + 1) * 86_400_000 });
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: 'backfill |{bar}| {percentage}% · {value}/{total} steps · {day} · ETA {eta_formatted}',
    hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  try {
    const result = await backfill({
      site: o.site, days: o.days, toMs: o.toMs, stepMs: o.stepMs, seed: o.seed, only: o.only, faults: o.faults,
      ingest: (b) => ingestor.ingest(b),
      onProgress: (done, total) => {
        const day = new Date(o.toMs - (total - done) * o.stepMs).toISOString().slice(0, 10);
        if (!started) { bar.start(total, 0, { day }); started = true; }
        bar.update(done, { day });
      },
    });
    bar.stop();
    await ingestor.flush();
    const rejected = Object.entries(result.rejected).map(([k, v]) => `${k}=${v}`).join(' ') || 'none';
    process.stderr.write(`jieneng sim: backfilled ${new Date(result.fromMs).toISOString()} … ${new Date(result.toMs).toISOString()}: `
      + `${result.batches} batches, ${result.readings} readings, ${result.points} points in ${result.seconds.toFixed(1)} s `
      + `(${Math.round(result.points / Math.max(result.seconds, 1e-3))} points/s); rejected: ${rejected}\n`);
    log.info({ ...result }, 'backfill done');
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    bar.stop();
    throw err;
  } finally {
    await ingestor.close();
    await storage.close();
  }
}
