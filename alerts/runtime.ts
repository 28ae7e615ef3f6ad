/**
 * Alerting inside a collector (D8, decision 0800): the evaluator as the observer of the energy-owning ingestor,
 * its timer, the notifier, and — for device-state rules — a subscription to the gateways' retained status
 * topics. A device whose gateway is offline is offline; otherwise its state is its gateway's word for it.
 */
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { Value } from '@sinclair/typebox/value';
import { DeviceStatus, GatewayStatus, parseStatusTopic, topics, type DeviceState } from '../core/contract/v1.ts';
import { logger } from '../core/log.ts';
import type { SiteModel } from '../core/site/schema.ts';
import { loadReferenceData, type ReferenceData } from '../api/reference.ts';
import { SiteIndex } from '../api/site-index.ts';
import type { Storage } from '../storage/port.ts';
import { KpiSchedule } from './kpi/schedule.ts';
import { KPI_KINDS } from './rules/schema.ts';
import { createSender } from './channels/index.ts';
import { BoardEvents } from './board-events.ts';
import { AlertEvaluator } from './engine/evaluator.ts';
import { Notifier, type BackoffOptions } from './notifier.ts';
import { loadAlertRules, type AlertConfig } from './rules/load.ts';
import { watchRulesFile } from './rules/watch.ts';
import { alertMetrics } from './metrics.ts';
import { AlertStore } from './store.ts';

/** Options of `startAlerts`. */
export interface AlertsOptions {
  site: SiteModel;
  config: AlertConfig;
  /** the collector's data folder: the alert state goes to `<dataDir>/alerts/alerts.sqlite` */
  dataDir: string;
  /** broker of the status topics (device-state rules); none: those rules never fire */
  mqttUrl?: string;
  mqttOptions?: IClientOptions;
  tickMs?: number;
  pollMs?: number;
  backoff?: BackoffOptions;
  /** where the scheduled KPI rules read the rollups; none: those rules are never judged */
  storage?: Storage;
  /** reference data of the KPI rules (holidays, tariffs); default config/reference/ */
  reference?: ReferenceData;
  /** the clock of the KPI schedule (tests) */
  now?: () => number;
  /** the KPI rules judge a day this long after it closed; default 15 min */
  kpiDelayMs?: number;
  /** judge the daily KPI rules here (default true); in a share group only one collector does */
  kpi?: boolean;
  /** how often transitions are copied to the storage for the boards (decision 0409); default 5 s */
  boardEveryMs?: number;
  /**
   * reload `config.file` when it changes (an edit through the API): validated first, a bad file keeps the rules
   * running. `env`: of its `${NAME}` settings (default process.env); `pollMs`, `debounceMs`: alerts/rules/watch.ts
   */
  watchRules?: { env?: NodeJS.ProcessEnv; pollMs?: number; debounceMs?: number };
}

/** Alerting that runs beside a collector. */
export interface RunningAlerts {
  evaluator: AlertEvaluator;
  notifier: Notifier;
  store: AlertStore;
  /** the scheduled KPI rules (when there are any and a storage was given) */
  kpi?: KpiSchedule;
  /** the copier of transitions to the storage (when a storage was given) */
  board?: BoardEvents;
  /** apply an edited (validated) rules file: rules, channels, quiet hours, KPI schedule */
  reload(config: AlertConfig): Promise<void>;
  stop(): Promise<void>;
}

const log = logger('alerts');

/** Open the alert state, start evaluating and delivering. */
export function startAlerts(opts: AlertsOptions): RunningAlerts {
  const store = new AlertStore(join(opts.dataDir, 'alerts'));
  let config = opts.config;
  const senders = new Map([...config.channels].map(([id, c]) => [id, createSender(c)]));
  const notifier = new Notifier({ store, channels: config.channels, senders, backoff: opts.backoff, quiet: config.quiet_hours });
  const evaluator = new AlertEvaluator({ config, site: opts.site, store, onTransition: () => notifier.kick(), now: opts.now });
  evaluator.start(opts.tickMs);
  notifier.start(opts.pollMs);
  const startKpi = (c: AlertConfig) => {
    const wantsKpi = c.rules.some((r) => (KPI_KINDS as readonly string[]).includes(r.rule.kind));
    if (wantsKpi && !opts.storage) log.warn('KPI rules need the storage: they are not judged');
    const kpi = wantsKpi && opts.storage && opts.kpi !== false
      ? new KpiSchedule({
        config: c, evaluator, store, delay_ms: opts.kpiDelayMs,
        ctx: { index: new SiteIndex(opts.site), storage: opts.storage, reference: opts.reference ?? loadReferenceData(), now: opts.now ?? Date.now },
      })
      : undefined;
    kpi?.start();
    return kpi;
  };
  const board = opts.storage ? new BoardEvents({ store, storage: opts.storage, site: opts.site.site.id, everyMs: opts.boardEveryMs }) : undefined;
  board?.start();
  const wantsStatus = (c: AlertConfig) => c.rules.some((r) => r.rule.kind === 'device_state');
  let status = wantsStatus(config) && opts.mqttUrl ? followStatus(opts, evaluator) : undefined;
  log.info({ rules: config.rules.length, channels: config.channels.size, file: config.file }, 'alerting started');
  const running: RunningAlerts = {
    evaluator, notifier, store, kpi: startKpi(config), board,
    async reload(next) {
      const fresh = [...next.channels].filter(([id, c]) => JSON.stringify(config.channels.get(id)) !== JSON.stringify(c));
      const replaced = fresh.map(([id]) => senders.get(id)).filter((x) => x !== undefined);
      for (const [id, c] of fresh) senders.set(id, createSender(c));
      notifier.configure(next.channels, senders, next.quiet_hours);
      config = next;
      evaluator.reload(next);
      await running.kpi?.stop();
      running.kpi = startKpi(next);
      if (wantsStatus(next) && opts.mqttUrl) status ??= followStatus(opts, evaluator);
      status?.replay(); // new device-state rules learn the states already known
      for (const s of replaced) (s as { close?: () => void }).close?.();
    },
    async stop() {
      watcher?.close();
      await running.kpi?.stop();
      await board?.stop();
      await status?.client.endAsync();
      evaluator.stop();
      await notifier.stop();
      for (const s of senders.values()) (s as { close?: () => void }).close?.();
      store.close();
    },
  };
  const watcher = opts.watchRules ? followRulesFile(running, opts, () => config) : undefined;
  return running;
}

/**
 * Reload the rules file when it changes: validated as at a start; a bad file keeps the rules running, with one
 * log line naming the problem and `jieneng_alert_rules_reloads_total{result="rejected"}`.
 */
function followRulesFile(running: RunningAlerts, opts: AlertsOptions, current: () => AlertConfig): { close(): void } {
  const file = current().file;
  let applying = Promise.resolve();
  return watchRulesFile({
    file, pollMs: opts.watchRules?.pollMs, debounceMs: opts.watchRules?.debounceMs,
    onChange: () => {
      let next: AlertConfig;
      try {
        next = loadAlertRules(file, opts.site, opts.watchRules?.env);
      } catch (err) {
        alertMetrics.reloads.inc({ result: 'rejected' });
        log.warn({ file, err: (err as Error).message }, 'alert rules file not applied: the rules running are kept');
        return;
      }
      applying = applying.then(() => running.reload(next)).then(
        () => alertMetrics.reloads.inc({ result: 'applied' }),
        (err: unknown) => log.error({ file, err: (err as Error).message }, 'alert rules not reloaded'),
      );
    },
  });
}

/** Subscribe to the site's status topics and tell the evaluator each device's state as it changes. */
function followStatus(opts: AlertsOptions, evaluator: AlertEvaluator): { client: MqttClient; replay(): void } {
  const siteId = opts.site.site.id;
  const gatewayOf = new Map(opts.site.devices.map((d) => [d.id, d.gateway]));
  const devicesOf = new Map<string, string[]>();
  for (const d of opts.site.devices) devicesOf.set(d.gateway, [...(devicesOf.get(d.gateway) ?? []), d.id]);
  const gatewayOnline = new Map<string, boolean>();
  const deviceWord = new Map<string, DeviceState>();
  const effective = new Map<string, DeviceState>();
  const judge = (device: string) => {
    const state: DeviceState = gatewayOnline.get(gatewayOf.get(device) ?? '') === false ? 'offline' : deviceWord.get(device) ?? 'online';
    if (effective.get(device) === state) return;
    effective.set(device, state);
    evaluator.deviceState(device, state);
  };
  const client = mqtt.connect(opts.mqttUrl as string, {
    clientId: `jieneng-alerts-${siteId}-${process.pid}`, reconnectPeriod: 2000, connectTimeout: 5000, ...opts.mqttOptions,
  });
  client.on('connect', () => client.subscribe(topics.allStatus(siteId), { qos: 1 }, (err) => {
    if (err) log.warn({ err: err.message }, 'status topics: subscription refused; device-state rules are blind');
  }));
  client.on('error', () => { /* reconnects; device-state rules wait */ });
  client.on('message', (topic, payload) => {
    const where = parseStatusTopic(topic);
    if (!where || where.site !== siteId || payload.length === 0) return;
    let msg: unknown;
    try { msg = JSON.parse(payload.toString()); } catch { return; }
    if (where.device === undefined) {
      if (!Value.Check(GatewayStatus, msg)) return;
      gatewayOnline.set(where.gateway, msg.online);
      for (const d of devicesOf.get(where.gateway) ?? []) judge(d);
    } else if (gatewayOf.has(where.device) && Value.Check(DeviceStatus, msg)) {
      deviceWord.set(where.device, msg.state ?? (msg.online ? 'online' : 'offline'));
      judge(where.device);
    }
  });
  return { client, replay: () => { for (const [device, state] of effective) evaluator.deviceState(device, state); } };
}
