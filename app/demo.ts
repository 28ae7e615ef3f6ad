/**
 * `npm start` / `jieneng demo`: the whole stack in one process on embedded defaults (DESIGN D2) —
 * aedes broker, the demo site's simulators, its gateways, one collector, the storage (embedded SQLite unless
 * INFLUX_URL is set), the API and the daily KPI write-back job (jobs/, decision 0406). Ctrl-C stops everything in
 * reverse order.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { loadSite } from '../core/site/load.ts';
import { logger } from '../core/log.ts';
import type { IClientOptions } from 'mqtt';
import { gatewayUsername } from '../core/mqtt/access.ts';
import { mqttConnection } from '../core/mqtt/connection.ts';
import { redactUrl } from '../core/secrets.ts';
import { startEmbeddedBroker } from './broker.ts';
import { ensureSiteCredentials } from './mqtt-credentials.ts';
import { watchBroker } from './broker-watch.ts';
import { startStatusFeed } from '../api/status-feed.ts';
import { openStorage, storageConfigFromEnv } from '../storage/index.ts';
import { startSiteSimulators } from '../simulators/fleet.ts';
import { startGateway } from '../gateway/runtime.ts';
import { startCollector } from '../collector/runtime.ts';
import { startApi } from '../api/server.ts';
import { loadAlertRules } from '../alerts/rules/load.ts';
import { loadAutomation } from '../automation/load.ts';
import { startAutomation } from '../automation/runtime.ts';
import { startAlerts } from '../alerts/runtime.ts';
import { kpiSources, scheduleKpiWriteBack } from '../jobs/kpi-writeback.ts';
import { EntryStore, returnsFile } from '../api/returns/entry-store.ts';
import { openSecurityStore, securityFile } from '../api/security/store.ts';
import { ensureLocalAdminKey } from '../api/security/local-key.ts';
import { leaf, runCommand, UsageError, type Parsed } from '../core/cli/command.ts';
import { applyFaults, requestDemoFaults, watchDemoFaults } from './demo-faults.ts';
import { parseFaultSpec } from '../simulators/fault-spec.ts';
import { settingsFrom } from '../core/config/env.ts';

const log = logger('demo');
/** The demo's building automation: one schedule per building part and one demand limit (docs/automation.md). */
const DEMO_AUTOMATION_FILE = 'config/demo-automation.yaml';
/** The demo's alert rules: no channels, alerts in the API only. */
const DEMO_ALERTS_FILE = 'config/demo-alerts.yaml';

export interface DemoOptions {
  siteFile: string;
  dataDir: string;
  apiPort: number;
  /** the API's address; loopback unless told otherwise (issue #13) */
  apiHost: string;
  /** external broker; unset: embedded aedes on mqttPort */
  mqttUrl?: string;
  mqttPort: number;
  seed: number;
  /** simulator faults from the start (`--fault DEVICE:KIND[:k=v,…]`, simulators/fault-spec.ts) */
  faults?: string[];
  env: NodeJS.ProcessEnv;
}

export interface RunningDemo {
  apiUrl: string;
  mqttUrl: string;
  /** the file holding the local admin key */
  apiKeyFile: string;
  stop(): Promise<void>;
}

/** Start every part; on a start-up failure, stop what already runs and rethrow. */
export async function startDemo(opts: DemoOptions): Promise<RunningDemo> {
  const site = loadSite(opts.siteFile);
  mkdirSync(opts.dataDir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        log.error({ err }, 'error while stopping');
      }
    }
    stops.length = 0;
  };
  try {
    const storage = await openStorage(storageConfigFromEnv({ ...opts.env, DATA_DIR: opts.dataDir }), { timezone: site.site.timezone });
    stops.push(() => storage.close());

    // The embedded broker asks every part for its own account (issue 13): the demo creates the site's accounts
    // under DATA_DIR/mqtt (the files `jieneng mqtt credentials` writes) and hands each part its password. An
    // external broker (MQTT_URL): every part uses the one account of MQTT_USERNAME / MQTT_PASSWORD(_FILE).
    let mqttUrl = opts.mqttUrl;
    let account: (username: string) => IClientOptions;
    if (!mqttUrl) {
      const creds = ensureSiteCredentials(site, resolve(opts.dataDir, 'mqtt'));
      const broker = await startEmbeddedBroker(opts.mqttPort, '127.0.0.1', {
        auth: { site: site.site.id, accounts: creds.accounts, passwordHashes: creds.hashes, log: logger('broker') },
      });
      stops.push(() => broker.stop());
      mqttUrl = broker.url;
      account = (username) => ({ username, password: creds.passwords.get(username) });
      log.info({ folder: creds.dir }, 'MQTT accounts of the embedded broker (mosquitto_sub -u monitor -P "$(cat <folder>/monitor.password)" -t "jieneng/#" -v)');
    } else {
      const shared = mqttConnection({ mqtt: mqttUrl }, opts.env, mqttUrl).options;
      account = () => shared;
    }
    const watch = await watchBroker(mqttUrl, undefined, account('monitor'));
    stops.push(() => watch.stop());

    const sims = await startSiteSimulators({ site, seed: opts.seed, mqttUrl, mqttOptions: (device) => account(`device-${device}`) });
    stops.push(() => sims.stop());
    applyFaults(sims, (opts.faults ?? []).map(parseFaultSpec), new Map());
    // `jieneng demo fault …` from another shell (app/demo-faults.ts)
    const stopFaults = watchDemoFaults(opts.dataDir, sims);
    stops.push(async () => stopFaults());

    const statusFeed = startStatusFeed({ url: mqttUrl, site: site.site.id, mqttOptions: account('api') });
    stops.push(() => statusFeed.stop());
    const security = openSecurityStore(securityFile(opts.dataDir));
    stops.push(async () => security.close());
    const apiKey = ensureLocalAdminKey(security, opts.dataDir);
    if (apiKey.created) log.info({ file: apiKey.file }, 'created a local admin API key');
    // the demo's alert rules (config/demo-alerts.yaml, or ALERT_RULES_FILE): evaluated by the collector, shown by the API
    // edited through the API (PUT /api/v1/alert-rules/{id}): a copy under DATA_DIR, so the shipped file stays as shipped
    const alertRulesFile = opts.env.ALERT_RULES_FILE ?? resolve(opts.dataDir, 'alert-rules.yaml');
    if (!opts.env.ALERT_RULES_FILE && !existsSync(alertRulesFile)) copyFileSync(DEMO_ALERTS_FILE, alertRulesFile);
    const alertConfig = loadAlertRules(alertRulesFile, site, opts.env);
    const alerts = startAlerts({ site, config: alertConfig, dataDir: resolve(opts.dataDir, 'collector'), mqttUrl, mqttOptions: account('api'), storage, watchRules: { env: opts.env } });
    stops.push(() => alerts.stop());
    const entries = new EntryStore(returnsFile(opts.dataDir));
    stops.push(async () => entries.close());
    // schedules and a demand limit (AUTOMATION_FILE, else config/demo-automation.yaml); the first tick once the gateways run
    const automation = await startAutomation({
      site, config: loadAutomation(settingsFrom(opts.env).automationFile ?? DEMO_AUTOMATION_FILE, site), mqttUrl, mqttOptions: account('automation'),
      dataDir: resolve(opts.dataDir, 'automation'), firstTickAfterMs: 10_000,
    });
    stops.push(() => automation.stop());
    const api = await startApi({ site, storage, port: opts.apiPort, host: opts.apiHost, brokerHealth: watch.health, statusFeed, security, alerts: alerts.store, entries, alertRulesFile, automation });
    stops.push(() => api.stop());

    const collector = await startCollector({ site, mqttUrl, mqttOptions: account('collector'), storage, dataDir: resolve(opts.dataDir, 'collector'), alerts: alerts.evaluator });
    alerts.evaluator.watchGateways(() => collector.gateways());
    stops.push(() => collector.stop());

    // The daily KPIs (kpi_1d) of the last two days, every 15 minutes: the job compose runs as `kpi-writeback`.
    const kpiJob = scheduleKpiWriteBack(kpiSources(site, storage), { every_ms: 15 * 60_000, days_back: 2 });
    stops.push(() => kpiJob.stop());

    for (const gw of site.gateways) {
      const gateway = await startGateway({
        site, gatewayId: gw.id, mqttUrl, mqttOptions: account(gatewayUsername(gw.id)), dataDir: resolve(opts.dataDir, 'gateway', gw.id),
      });
      stops.push(() => gateway.stop());
    }
    const apiUrl = `http://${opts.apiHost === '127.0.0.1' ? 'localhost' : opts.apiHost}:${api.port}`;
    log.info({ api: apiUrl, mqtt: redactUrl(mqttUrl), storage: storage.kind, site: site.site.id, api_key_file: apiKey.file }, 'Jieneng demo running');
    return { apiUrl, mqttUrl, apiKeyFile: apiKey.file, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

const DEMO_OPTIONS = {
  site: { type: 'string' }, data: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' },
  fault: { type: 'string', multiple: true }, clear: { type: 'string', multiple: true },
} as const;

/** Options from flags (--site, --data, --port, --host) and environment: PORT, MQTT_URL, MQTT_PORT, DATA_DIR, SITE_FILE, SIM_SEED, INFLUX_*. */
export function demoOptions(values: Parsed<typeof DEMO_OPTIONS>['values'], env: NodeJS.ProcessEnv): DemoOptions {
  const s = settingsFrom(env);
  return {
    siteFile: values.site ?? s.siteFile,
    dataDir: values.data ?? s.dataDir,
    apiPort: Number(values.port ?? s.port),
    apiHost: values.host ?? '127.0.0.1',
    mqttUrl: s.mqttUrl,
    mqttPort: s.mqttPort,
    seed: s.simSeed,
    faults: values.fault,
    env,
  };
}

/** `jieneng demo` */
export const demoCommand = leaf({
  summary: 'the whole stack in one process: embedded broker, simulators, gateways, collector, store, API, KPI job (npm start)',
  usage: '[--site <site.yaml>] [--data ./data] [--port 8080] [--host 127.0.0.1] [--fault DEVICE:KIND[:k=v,…]]…\n'
    + 'fault [--data ./data] [--clear DEVICE]… [DEVICE:KIND[:k=v,…]]…',
  details: 'Environment: SITE_FILE, DATA_DIR, PORT, MQTT_URL (an external broker), MQTT_PORT, SIM_SEED, INFLUX_* (README, Environment).\n'
    + "'demo fault' injects faults into the simulators of the demo running on the same data folder (or clears a device's),\n"
    + 'e.g. zhongshan-e290-pv-inv1:set:points=inverter_state,value=7 or centre-b1-main:offline (kinds: jieneng sim --help).',
  options: DEMO_OPTIONS,
  positionals: true,
  run: async ({ values, positionals }) => {
    if (positionals[0] === 'fault') return requestDemoFaults(values.data ?? settingsFrom(process.env).dataDir, positionals.slice(1), values.clear ?? []);
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (values.clear) throw new UsageError("--clear belongs to 'jieneng demo fault'");
    const demo = await startDemo(demoOptions(values, process.env));
    const inCwd = relative(process.cwd(), demo.apiKeyFile);
    const keyFile = inCwd.startsWith('..') || isAbsolute(inCwd) ? demo.apiKeyFile : inCwd;
    process.stderr.write(`\nJieneng demo: API ${demo.apiUrl}/api/v1/buildings · MQTT ${redactUrl(demo.mqttUrl)} · Ctrl-C stops\n`
      + `Admin API key in ${keyFile} (mode 0600): curl -H "Authorization: Bearer $(cat ${keyFile})" ${demo.apiUrl}/api/v1/buildings\n\n`);
    await new Promise<void>((resolveStop) => {
      const onSignal = () => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        resolveStop();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    log.info('stopping');
    await demo.stop();
    return 0;
  },
});

/** Entry of `jieneng demo`; returns the exit code. */
export const demoCli = (argv: string[]): Promise<number> => runCommand(demoCommand, 'jieneng demo', argv);
