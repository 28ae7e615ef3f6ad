/**
 * `jieneng collector run --site FILE [--mqtt URL] [--data DIR] [--share GROUP] [--partition k/N]
 * [--share-session-expiry S] [--metrics-port N] [--max-age-days N] [--max-message-bytes N] [--alerts FILE]`: the collector on its own,
 * writing to the store configured by the environment (INFLUX_URL … or the embedded file under DATA_DIR), until
 * SIGINT/SIGTERM. `jieneng collector rebuild-state`: collector/rebuild-state-cli.ts.
 */
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { logger } from '../core/log.ts';
import { mqttConnection, mqttFlagOptions, MQTT_FLAGS_USAGE } from '../core/mqtt/connection.ts';
import { loadSite } from '../core/site/load.ts';
import { metricsRegistry } from './metrics.ts';
import { parsePartition } from './partition.ts';
import { startCollector } from './runtime.ts';

const USAGE = `usage: jieneng collector run --site <site.yaml> ${MQTT_FLAGS_USAGE} [--data ./data/collector] `
  + '[--share GROUP [--partition k/N] [--share-session-expiry 30]] [--client-id ID] [--metrics-port N] [--metrics-host 127.0.0.1]\n'
  + '       [--max-age-days 35] [--max-message-bytes 1048576] [--alerts <alert-rules.yaml>]\n'
  + '       (MQTT_USERNAME, MQTT_PASSWORD or MQTT_PASSWORD_FILE from the environment)\n'
  + '       jieneng collector rebuild-state --site <site.yaml> [--data ./data/collector]';

/** Entry of `jieneng collector …`; returns the exit code. */
export async function collectorCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'rebuild-state') return (await import('./rebuild-state-cli.ts')).rebuildStateCli(rest);
  if (command !== 'run') {
    process.stderr.write(`${USAGE}\n`);
    return command ? 2 : 0;
  }
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        site: { type: 'string' }, data: { type: 'string' }, share: { type: 'string' }, ...mqttFlagOptions,
        'metrics-host': { type: 'string' },
        partition: { type: 'string' }, 'client-id': { type: 'string' }, 'metrics-port': { type: 'string' },
        'share-session-expiry': { type: 'string' }, 'max-age-days': { type: 'string' }, 'max-message-bytes': { type: 'string' },
        alerts: { type: 'string' },
      },
    }));
  } catch (err) {
    process.stderr.write(`jieneng collector: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const fail = (msg: string) => {
    process.stderr.write(`jieneng collector: ${msg}\n${USAGE}\n`);
    return 2;
  };
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
  const maxAgeText = values['max-age-days'] ?? process.env.COLLECTOR_MAX_AGE_DAYS;
  const maxAgeDays = maxAgeText !== undefined ? Number(maxAgeText) : undefined;
  if (maxAgeDays !== undefined && !(maxAgeDays > 0 && maxAgeDays <= 36_500)) {
    return fail(`--max-age-days: '${maxAgeText}' is not a number of days between 0 and 36 500`);
  }
  const maxMessageBytes = values['max-message-bytes'] !== undefined ? Number(values['max-message-bytes']) : undefined;
  if (maxMessageBytes !== undefined && !(Number.isInteger(maxMessageBytes) && maxMessageBytes > 0)) {
    return fail(`--max-message-bytes: '${values['max-message-bytes']}' is not a positive whole number of bytes`);
  }

  const site = loadSite(values.site ?? process.env.SITE_FILE ?? 'config/demo-site.yaml');
  // alert rules (docs/alerts.md): evaluated by this collector as its readings arrive (decision 0800)
  const alertsFile = values.alerts ?? process.env.ALERT_RULES_FILE;
  const alertConfig = alertsFile ? (await import('../alerts/rules/load.ts')).loadAlertRules(alertsFile, site) : undefined;
  const mqtt = mqttConnection(values, process.env, 'mqtt://127.0.0.1:1883');
  if (mqtt.warning) logger('collector').warn(mqtt.warning);
  const { openStorage, storageConfigFromEnv } = await import('../storage/index.ts');
  const storage = await openStorage(storageConfigFromEnv(process.env));
  const log = logger('collector');
  let metricsServer: Server | undefined;
  const dataDir = resolve(values.data ?? resolve(process.env.DATA_DIR ?? './data', 'collector'));
  const alerts = alertConfig
    ? (await import('../alerts/runtime.ts')).startAlerts({ site, config: alertConfig, dataDir, mqttUrl: mqtt.url, mqttOptions: mqtt.options, storage })
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
    if (metricsPort !== undefined) metricsServer = await serveMetrics(metricsPort, values['metrics-host'] ?? process.env.METRICS_HOST ?? '127.0.0.1');
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
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
