/**
 * Collector metrics in the prom-client default registry, so a `/metrics` served anywhere in the same process
 * (the API, or the standalone collector's `--metrics-port`) shows them. Created once per process.
 */
import { Counter, Gauge, Histogram, register, type Registry } from 'prom-client';

function once<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

/** The collector's metric set. */
export const collectorMetrics = {
  messagesIn: once('jieneng_collector_messages_total', () => new Counter({
    name: 'jieneng_collector_messages_total', help: 'MQTT messages received on readings topics',
  })),
  pointsIn: once('jieneng_collector_points_received_total', () => new Counter({
    name: 'jieneng_collector_points_received_total', help: 'points accepted from readings (telemetry rows)',
  })),
  pointsWritten: once('jieneng_collector_points_written_total', () => new Counter({
    name: 'jieneng_collector_points_written_total', help: 'rows confirmed written to storage, by measurement kind',
    labelNames: ['kind'] as const,
  })),
  rejected: once('jieneng_collector_rejected_total', () => new Counter({
    name: 'jieneng_collector_rejected_total', help: 'messages, readings or points rejected, by reason',
    labelNames: ['reason'] as const,
  })),
  deadLettered: once('jieneng_collector_dead_lettered_total', () => new Counter({
    name: 'jieneng_collector_dead_lettered_total', help: 'dead-letter messages published, by reason',
    labelNames: ['reason'] as const,
  })),
  counterEvents: once('jieneng_collector_counter_readings_total', () => new Counter({
    name: 'jieneng_collector_counter_readings_total', help: 'counter readings by outcome (first, appended, rollover, inserted, duplicate, jitter, beyond_horizon, implausible, reset_held, reset, new_track, glitch_ended)',
    labelNames: ['outcome'] as const,
  })),
  meterImplausible: once('jieneng_collector_meter_implausible', () => new Gauge({
    name: 'jieneng_collector_meter_implausible', help: '1 while a meter\'s newest counter readings are held as implausible (a jump beyond max_power_kw × time: not counted)',
    labelNames: ['meter'] as const,
  })),
  bufferEntries: once('jieneng_collector_buffer_entries', () => new Gauge({
    name: 'jieneng_collector_buffer_entries', help: 'ingested batches buffered on disk, not yet confirmed by storage',
  })),
  bufferPoints: once('jieneng_collector_buffer_points', () => new Gauge({
    name: 'jieneng_collector_buffer_points', help: 'points buffered on disk, not yet confirmed by storage',
  })),
  writeSeconds: once('jieneng_collector_storage_write_seconds', () => new Histogram({
    name: 'jieneng_collector_storage_write_seconds', help: 'latency of one storage write and flush',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  })),
  writeFailures: once('jieneng_collector_storage_write_failures_total', () => new Counter({
    name: 'jieneng_collector_storage_write_failures_total', help: 'storage writes that failed and will be retried',
  })),
  lagSeconds: once('jieneng_collector_source_lag_seconds', () => new Histogram({
    name: 'jieneng_collector_source_lag_seconds', help: 'from the newest source timestamp of a batch to its confirmed write',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
  })),
  brokerConnected: once('jieneng_collector_broker_connected', () => new Gauge({
    name: 'jieneng_collector_broker_connected', help: '1 while connected to the MQTT broker',
  })),
};

/** The registry holding the collector metrics (prom-client's default). */
export const metricsRegistry: Registry = register;
