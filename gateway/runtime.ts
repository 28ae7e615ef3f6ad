/**
 * The gateway runtime: one device source per enabled device of this gateway (factory chosen by the template's
 * protocol), their readings batched per poll cycle into contract-v1 ReadingBatch messages with a per-gateway
 * sequence number, every batch through the on-disk queue, and the queue drained to the broker with QoS 1.
 */
import type { IClientOptions } from 'mqtt';
import { ConfigError } from '../core/config/yaml-file.ts';
import { HeapCeiling } from '../core/heap.ts';
import type { DeviceReading, ReadingBatch } from '../core/contract/v1.ts';
import { logger } from '../core/log.ts';
import { redactUrl } from '../core/secrets.ts';
import type { SiteModel } from '../core/site/schema.ts';
import { loadTemplate } from './devices/templates.ts';
import { createSource } from './protocols/index.ts';
import { pollIntervalMs } from './schedule.ts';
import { CommandHandler } from './commands.ts';
import { DeviceHealth } from './device-health.ts';
import { Publisher } from './publisher.ts';
import { DiskQueue } from './queue.ts';
import type { DeviceSource } from './source.ts';

/** What `startGateway` needs. */
export interface GatewayOptions {
  site: SiteModel;
  gatewayId: string;
  mqttUrl: string;
  /** where the store-and-forward queue lives */
  dataDir: string;
  /** credentials, TLS material (core/mqtt/connection.ts) */
  mqttOptions?: IClientOptions;
  /** readings arriving within this window after the first one of a cycle share one batch, default 1000 ms */
  batchWindowMs?: number;
  /** readings per batch at most (MQTT payload size), default 500 */
  maxBatchReadings?: number;
  /** store-and-forward bound, default 256 MiB */
  maxQueueBytes?: number;
  /** how long acknowledged batches stay available for a collector's resend request, default 24 h */
  replayWindowMs?: number;
  /** bytes of acknowledged batches kept for resends, default 64 MiB */
  replayMaxBytes?: number;
  /** batches per second a backlog (replay after an outage) adds to the live batches, default 50 (gateway/publisher.ts) */
  replayRatePerS?: number;
  /** the retained gateway status (the heartbeat) is published again this often, default 60 s */
  statusEveryMs?: number;
  /** override every device's poll interval (benchmarks, tests); below the site schema's 1 s minimum is allowed here */
  pollIntervalMs?: number;
  /**
   * a full garbage collection after a batch is queued once the old generation holds more than this, default
   * 24 MiB (0: never); it needs NODE_OPTIONS=--expose-gc, without which V8 decides alone (core/heap.ts)
   */
  heapLimitBytes?: number;
}

/** Counters of a running gateway. */
export interface GatewayStats {
  /** sequence number the next batch gets */
  nextSeq: number;
  batches: number;
  readings: number;
  published: number;
  queued: number;
  queueBytes: number;
  dropped: number;
  /** acknowledged batches kept for resends */
  replayable: number;
  connected: boolean;
  devices: { total: number; online: number; offline: number };
}

/** A running gateway. */
export interface RunningGateway {
  stop(): Promise<void>;
  stats(): GatewayStats;
}

/** Start polling and publishing for one gateway of the site. Configuration errors throw before any I/O. */
export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const { gatewayId } = opts;
  const site: SiteModel = opts.pollIntervalMs === undefined ? opts.site : {
    ...opts.site,
    gateways: opts.site.gateways.map((g) => ({ ...g, poll_interval_s: opts.pollIntervalMs! / 1000 })),
    devices: opts.site.devices.map(({ poll_interval_s: _ignored, ...d }) => d),
  };
  const log = logger('gateway', { gateway: gatewayId });
  const gwIndex = site.gateways.findIndex((g) => g.id === gatewayId);
  if (gwIndex < 0) {
    throw new ConfigError('(site model)', 'gateways', `no gateway '${gatewayId}' (known: ${site.gateways.map((g) => g.id).join(', ')})`);
  }
  const devices = site.devices.filter((d) => d.gateway === gatewayId && d.enabled !== false);
  // a batch is one poll cycle: the window must end before the fastest device polls again
  const fastestPollMs = Math.min(...devices.map((d) => pollIntervalMs(site, d)), 3_600_000);
  const batchWindowMs = Math.min(opts.batchWindowMs ?? 1000, fastestPollMs / 2);

  const online = new Map<string, { online: boolean; error?: string }>();
  let pending: DeviceReading[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  let batches = 0;
  let readings = 0;
  let publisher: Publisher | undefined;
  let queue: DiskQueue | undefined;

  let queueClosed = false;
  const heapCeiling = new HeapCeiling(opts.heapLimitBytes ?? 24 * 1024 * 1024);
  const flush = (): void => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (pending.length === 0 || !queue || queueClosed) return;
    const batchReadings = pending;
    pending = [];
    queue.enqueue((seq) => {
      const batch: ReadingBatch = { v: 1, site: site.site.id, gateway: gatewayId, seq, sent_ts: Date.now(), readings: batchReadings };
      return JSON.stringify(batch);
    });
    batches++;
    readings += batchReadings.length;
    publisher?.notify();
    heapCeiling.check();
  };

  // build every source first: a bad template or address fails here, before the queue or broker is touched
  const sources: DeviceSource[] = devices.map((device) => {
    const template = loadTemplate(device.template);
    const dlog = log.child({ device: device.id });
    const health = new DeviceHealth((status) => {
      if (status.state === 'degraded') dlog.warn({ error: status.error }, 'device degraded');
      publisher?.setDeviceStatus(device.id, status);
    });
    return createSource({
      site, device, log: dlog, mqttUrl: opts.mqttUrl, mqttOptions: opts.mqttOptions,
      emit(reading) {
        // a source that emits after it was stopped: nothing is queued any more
        if (queueClosed) return;
        health.reading(reading.points);
        pending.push(reading);
        if (pending.length >= (opts.maxBatchReadings ?? 500)) flush();
        else flushTimer ??= setTimeout(flush, batchWindowMs);
      },
      setOnline(isOnline, error, degraded) {
        const prev = online.get(device.id);
        // changes are logged once, not every poll
        if (prev?.online !== isOnline) {
          if (isOnline) dlog.info('device online');
          else dlog.warn({ error }, 'device offline');
        }
        online.set(device.id, { online: isOnline, error });
        health.setReachable(isOnline, error, degraded);
      },
    }, template);
  });

  queue = new DiskQueue(opts.dataDir, `gateway-${site.site.id}-${gatewayId}`, {
    maxBytes: opts.maxQueueBytes, replayWindowMs: opts.replayWindowMs, replayMaxBytes: opts.replayMaxBytes, log,
  });
  const q = queue;
  if (q.stats().queued > 0) log.info({ queued: q.stats().queued }, 'batches from before the restart will be replayed');
  const byDevice = new Map(sources.map((s) => [s.deviceId, s]));
  const commands = new CommandHandler({ queue: q, log, resend: (seqs) => publisher?.resend(seqs), writer: (id) => byDevice.get(id) });
  publisher = new Publisher({
    mqttUrl: opts.mqttUrl, site: site.site.id, gateway: gatewayId, queue: q, log,
    mqttOptions: opts.mqttOptions, replayRatePerS: opts.replayRatePerS,
    onCommand: (payload, channel) => commands.handle(payload, channel), statusEveryMs: opts.statusEveryMs,
  });
  const pub = publisher;
  try {
    await Promise.all(sources.map((s) => s.start()));
  } catch (err) {
    await Promise.allSettled(sources.map((s) => s.stop()));
    await pub.stop(0);
    queueClosed = true;
    q.close();
    throw err;
  }
  log.info({ devices: sources.length, mqtt: redactUrl(opts.mqttUrl) }, 'gateway started');

  let stopping: Promise<void> | undefined;
  let final: GatewayStats | undefined;
  const stats = (): GatewayStats => {
    if (final) return final;
    const qs = q.stats();
    const ps = pub.stats();
    const on = [...online.values()].filter((s) => s.online).length;
    return {
      nextSeq: qs.nextSeq, batches, readings, published: ps.published, queued: qs.queued, queueBytes: qs.bytes,
      dropped: qs.dropped, replayable: qs.replayable, connected: ps.connected,
      devices: { total: sources.length, online: on, offline: online.size - on },
    };
  };
  return {
    stop() {
      stopping ??= (async () => {
        await Promise.all(sources.map((s) => s.stop()));
        flush();
        await pub.stop();
        final = stats();
        queueClosed = true;
        q.close();
        log.info('gateway stopped');
      })();
      return stopping;
    },
    stats,
  };
}
