/**
 * `jieneng api run --site FILE [--port N] [--host H] [--mqtt URL] [--data DIR]`: the HTTP API on its own, on
 * 127.0.0.1 unless --host says otherwise, with its keys and audit log in `<DIR>/security.sqlite` (DATA_DIR, else
 * ./data; keys from `jieneng keys create`) and the returns' manual entries in `<DIR>/returns.sqlite`, reading the store
 * configured by the environment (INFLUX_URL … or the embedded file) and the gateways' retained statuses from the
 * broker (`--mqtt`, else MQTT_URL, with MQTT_USERNAME and MQTT_PASSWORD or MQTT_PASSWORD_FILE, TLS files from
 * `--mqtt-ca/--mqtt-cert/--mqtt-key`: core/mqtt/connection.ts), until SIGINT/SIGTERM. Alerts: the collector's alert
 * state under ALERTS_DIR, else `<DIR>/collector/alerts` (docs/alerts.md). `--automation FILE` runs building automation
 * (docs/automation.md) in the same process, on the same broker connection — then the broker account must be
 * `automation`, which also reads the statuses — with its audit in `<DIR>/automation/automation.sqlite`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AlertStore } from '../alerts/store.ts';
import { group, leaf, runCommand, UsageError, untilSignal } from '../core/cli/command.ts';
import { settings } from '../core/config/env.ts';
import { loadSite } from '../core/site/load.ts';
import { logger } from '../core/log.ts';
import { mqttConnection, mqttFlagOptions, MQTT_FLAGS_USAGE } from '../core/mqtt/connection.ts';
import { startApi } from './server.ts';
import { startStatusFeed } from './status-feed.ts';
import { openSecurityStore, securityFile } from './security/store.ts';
import { EntryStore, returnsFile } from './returns/entry-store.ts';
import { loadAutomation } from '../automation/load.ts';
import { startAutomation, type Automation } from '../automation/runtime.ts';
import { storeFromEnv } from '../storage/from-env.ts';

/** `jieneng api …` */
export const apiCommand = group({
  summary: 'the HTTP API',
  commands: {
    run: leaf({
      summary: 'serve the API until SIGINT/SIGTERM, on 127.0.0.1 unless --host says otherwise',
      usage: `[--site <site.yaml>] [--port 8080] [--host 127.0.0.1] ${MQTT_FLAGS_USAGE} [--data ./data] [--automation <automation.yaml>]`,
      details: 'Environment: SITE_FILE, PORT, DATA_DIR, MQTT_URL, MQTT_USERNAME, MQTT_PASSWORD(_FILE), INFLUX_*, ALERTS_DIR, AUTOMATION_FILE.',
      options: { site: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, data: { type: 'string' }, automation: { type: 'string' }, ...mqttFlagOptions },
      run: ({ values }) => runApi(values),
    }),
  },
});

/** Entry of `jieneng api …`; returns the exit code. */
export const apiCli = (argv: string[]): Promise<number> => runCommand(apiCommand, 'jieneng api', argv);

async function runApi(values: { site?: string; port?: string; host?: string; data?: string; automation?: string; mqtt?: string; 'mqtt-ca'?: string; 'mqtt-cert'?: string; 'mqtt-key'?: string }): Promise<number> {
  const env = settings();
  const port = values.port === undefined ? env.port : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: '${values.port}' is not a TCP port`);
  const dataDir = values.data ?? env.dataDir;
  const site = loadSite(values.site ?? env.siteFile);
  const storage = await storeFromEnv(site.site.timezone)();
  const log = logger('api');
  // device state from the gateways' retained statuses (decision 0405); without a broker, from telemetry age
  const mqtt = mqttConnection(values, process.env);
  if (mqtt?.warning) log.warn(mqtt.warning);
  const statusFeed = mqtt ? startStatusFeed({ url: mqtt.url, site: site.site.id, mqttOptions: mqtt.options }) : undefined;
  if (!statusFeed) log.warn('no --mqtt or MQTT_URL: device state from telemetry age only');
  const security = openSecurityStore(securityFile(dataDir));
  if (security.keys.list().every((k) => k.revoked_at !== null)) log.warn('no API key yet: every route but /api/v1/health answers 401; create one with jieneng keys create --role admin');
  // the alert state the collector writes (docs/alerts.md): ALERTS_DIR, else <data>/collector/alerts when it exists
  const alertsDir = env.alertsDir ?? join(dataDir, 'collector', 'alerts');
  const alerts = existsSync(join(alertsDir, 'alerts.sqlite')) ? new AlertStore(alertsDir) : undefined;
  if (!alerts) log.info({ alerts_dir: alertsDir }, 'no alert state found: the alert routes answer 503');
  // the manual entries of the annual returns (docs/statistics.md), beside the keys
  const entries = new EntryStore(returnsFile(dataDir));
  // the rules file managers edit through the API: the one the collector loads (ALERT_RULES_FILE)
  const alertRulesFile = env.alertRulesFile;
  let automation: Automation | undefined;
  const automationFile = values.automation ?? env.automationFile;
  if (automationFile !== undefined) {
    const config = loadAutomation(automationFile, site);
    if (!mqtt) throw new UsageError('--automation writes through the gateways: give --mqtt or MQTT_URL (account automation)');
    automation = await startAutomation({ site, config, mqttUrl: mqtt.url, mqttOptions: mqtt.options, dataDir: join(dataDir, 'automation') });
  }
  const api = await startApi({ site, storage, port, host: values.host ?? '127.0.0.1', statusFeed, security, alerts, entries, alertRulesFile, automation });
  await untilSignal();
  log.info('stopping');
  await api.stop();
  await automation?.stop();
  await statusFeed?.stop();
  await storage.close();
  security.close();
  entries.close();
  alerts?.close();
  return 0;
}
