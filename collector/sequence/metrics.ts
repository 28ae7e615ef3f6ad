/**
 * Per-gateway accounting in Prometheus (issue #12.5): gauges labelled by gateway, set from the sequence ledger
 * (its totals persist across restarts, so they are gauges, not process-local counters) and from the gateway's
 * retained status. In prom-client's default registry, next to the collector's other metrics.
 */
import { Gauge, register } from 'prom-client';

function gauge(name: string, help: string): Gauge<'gateway'> {
  return (register.getSingleMetric(name) as Gauge<'gateway'> | undefined) ?? new Gauge({ name, help, labelNames: ['gateway'] as const });
}

/** The per-gateway gauges. */
export const gatewayMetrics = {
  lastSeq: gauge('jieneng_gateway_last_seq', 'highest batch seq stored from the gateway'),
  gapsOpen: gauge('jieneng_gateway_gap_batches', 'batches missing in open gaps (asked for again, not yet back)'),
  recovered: gauge('jieneng_gateway_recovered_batches', 'missing batches that came back after a resend request'),
  lost: gauge('jieneng_gateway_lost_batches', 'missing batches the gateway no longer had or never sent again'),
  duplicates: gauge('jieneng_gateway_duplicate_batches', 'batches received again after they were stored (dropped)'),
  queued: gauge('jieneng_gateway_queued_batches', "batches waiting on the gateway's disk for the broker (its last status)"),
  online: gauge('jieneng_gateway_online', "1 while the gateway's retained status says online"),
};
