/**
 * `jieneng collector run --site FILE [--mqtt URL] [--data DIR] [--share GROUP] [--partition k/N] …` (the options:
 * `jieneng collector run --help`): the collector on its own,
 * writing to the store configured by the environment (INFLUX_URL … or the embedded file under DATA_DIR), until
 * SIGINT/SIGTERM. `jieneng collector rebuild-state`: collector/rebuild-state-cli.ts.
 */
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { group, lazy, leaf, runCommand, UsageError, untilSignal } from '../core/cli/command.ts';
import { settings } from '../core/config/env.ts';
import { logger } from '../core/log.ts';
import { mqttConnection, mqttFlagOptions, MQTT_FLAGS_USAGE } from '../core/mqtt/connection.ts';
import { loadSite } from '../core/site/load.ts';
import { metricsRegistry } from './metrics.ts';
import { parsePartition } from './partition.ts';
import { startCollector } from './runtime.ts';
import { storeFromEnv } from '../storage/from-env.ts';

const RUN_OPTIONS = {
  site: { type: 'string' }, data: { type: 'string' }, share: { type: 'string' }, ...mqttFlagOptions,
  'metrics-host': { type: 'string' },
  partition: { type: 'string' }, 'client-id': { type: 'string' }, 'metrics-port': { type: 'string' },
  'share-session-expiry': { type: 'string' }, 'max-age-days': { type: 'string' }, 'max-message-bytes': { type: 'string' },
  alerts: { type: 'string' },
} as const;

/** `jieneng collector …` */
export const collectorCommand = group({
  summary: 'the collector: readings from the broker into the store',
  commands: {
    run: leaf({
      summary: 'run a collector until SIGINT/SIGTERM, writing to the store the environment configures',
      usage: `[--site <site.yaml>] ${MQTT_FLAGS_USAGE} [--data ./data/collector] [--share GROUP [--partition k/N] [--share-session-expiry 30]]\n`
        + '[--client-id ID] [--metrics-port N] [--metrics-host 127.0.0.1] [--max-age-days 35] [--max-message-bytes 1048576] [--alerts <alert-rules.yaml>]',
      details: 'Environment: SITE_FILE, DATA_DIR, MQTT_URL, MQTT_USERNAME, MQTT_PASSWORD(_FILE), INFLUX_*, COLLECTOR_MAX_AGE_DAYS, METRICS_HOST,\n'
        + 'ALERT_RULES_FILE (README, Environment; docs/collector.md).',
      options: RUN_OPTIONS,
      run: ({ values }) => runCollector(values),
    }),
    'rebuild-state': lazy('set an unreadable state file aside and rebuild the counter state from storage', async () => (await import('./rebuild-state-cli.ts')).rebuildStateCommand),
  },
});

/** Entry of `jieneng collector …`; returns the exit code. */
export const collectorCli = (argv: string[]): Promise<number> => runCommand(collectorCommand, 'jieneng collector', argv);

async function runCollector(values: { [K in keyof typeof RUN_OPTIONS]?: string }): Promise<number> {
  const fail = (msg: string): never => {
    throw new UsageError(msg);
  };
  const env = settings();
  const partition = values.partition !== undefined ? parsePartition(values.partition) : undefined;
  if (values.partition !== undefined && !partition) return fail(`--partition: '${values.partition}' is not k/N with 0 ≤ k < N`);
  if (partition && !values.share) return fail('--partition needs --share GROUP');
  const expiryS = values['share-session-expiry'] !== undefined ? Number(values['share-session-expiry']) : undefined;
  if (expiryS !== undefined && (!Number.isInteger(expiryS) || expiryS < 1 || expiryS > 86_400)) {
    return fail(`--share-session-expiry: '${values['share-session-expiry']}' is not a whole number of seconds from 1 to 86400`);
  }
  if (expiryS !== undefined && !values.share) return fail('--share-session-expiry needs --share GROUP');
  const metricsPort = values['metrics-port'] !== undefined ? Number(values['metrics-port']) : undefined;
  if (metricsPort !== undefined && (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535)) {
    return fail(`--metrics-port: '${values['metrics-port']}' is not a TCP port`);
  }

  // How old a reading may be (past_timestamp beyond it): raise it to take in a gateway's replay or an import of
  // history (issue 12, defect 8). Also COLLECTOR_MAX_AGE_DAYS, for deployments configured by environment.
  const maxAgeDays = values['max-age-days'] !== undefined ? Number(values['max-age-days']) : env.collectorMaxAgeDays;
  if (maxAgeDays !== undefined && !(maxAgeDays > 0 && maxAgeDays <= 36_500)) {
    return fail(`--max-age-days: '${values['max-age-days']}' is not a number of days between 0 and 36 500`);
  }
  const maxMessageBytes = values['max-message-bytes'] !== undefined ? Number(values['max-message-bytes']) : undefined;
  if (maxMessageBytes !== undefined && !(Number.isInteger(maxMessageBytes) && maxMessageBytes > 0)) {
    return fail(`--max-message-bytes: '${values['max-message-bytes']}' is not a positive whole number of bytes`);
  }

  const site = loadSite(values.site ?? env.siteFile);
  // alert rules (docs/alerts.md): evaluated by this collector as its readings arrive (decision 0800)
  const alertsFile = values.alerts ?? env.alertRulesFile;
  const alertConfig = alertsFile ? (await import('../alerts/rules/load.ts')).loadAlertRules(alertsFile, site) : undefined;
  const mqtt = mqttConnection(values, process.env, 'mqtt://127.0.0.1:1883');
  if (mqtt.warning) logger('collector').warn(mqtt.warning);
  const storage = await storeFromEnv()();
  const log = logger('collector');
  let metricsServer: Server | undefined;
  const dataDir = resolve(values.data ?? resolve(env.dataDir, 'collector'));
  const alerts = alertConfig
    ? (await import('../alerts/runtime.ts')).startAlerts({
      site, config: alertConfig, dataDir, mqttUrl: mqtt.url, mqttOptions: mqtt.options, storage,
      // the daily KPI rules read the whole site's rollups: in a share group, partition 0 alone judges them
      kpi: (partition?.index ?? 0) === 0,
      // an edit of the file (PUT /api/v1/alert-rules/{id}) applies without a restart
      watchRules: {},
    })
    : undefined;
  try {
    const collector = await startCollector({
      site,
      storage,
      mqttUrl: mqtt.url,
      mqttOptions: mqtt.options,
      dataDir,
      alerts: alerts?.evaluator,
      shareGroup: values.share,
      partition,
      shareSessionExpiryS: expiryS,
      clientId: values['client-id'],
      ingest: { maxAgeMs: maxAgeDays !== undefined ? maxAgeDays * 86_400_000 : undefined, maxMessageBytes },
    });
    alerts?.evaluator.watchGateways(() => collector.gateways());
    // loopback unless told otherwise: the metrics name every gateway and device of the site (issue 13)
    if (metricsPort !== undefined) metricsServer = await serveMetrics(metricsPort, values['metrics-host'] ?? env.metricsHost);
    await untilSignal();
    log.info('stopping');
    await collector.stop();
  } finally {
    await new Promise((r) => (metricsServer ? metricsServer.close(r) : r(undefined)));
    await alerts?.stop();
    await storage.close();
  }
  return 0;
}

/** `/metrics` in Prometheus text format from the default registry. */
function serveMetrics(port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    metricsRegistry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  return new Promise((resolveServer, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      logger('collector').info({ host, port: (server.address() as { port: number }).port }, 'serving /metrics');
      resolveServer(server);
    });
  });
}
