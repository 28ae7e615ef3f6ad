/**
 * Per-gateway accounting in Prometheus (issue #12.5): gauges labelled by gateway, read at each scrape from the
 * sequence trackers of this process (their totals persist across restarts, so they are gauges, not process-local
 * counters) — the ledger's and the gateway's retained status as they are at that moment. In prom-client's default
 * registry, next to the collector's other metrics.
 */
import { Gauge, register } from 'prom-client';

/** What a tracker shows of one gateway. */
export interface GatewayGauges {
  gateway: string;
  last_seq: number | null;
  gap_batches: number;
  recovered: number;
  lost: number;
  duplicates: number;
  queued: number | null;
  online: boolean | null;
}

const sources = new Set<() => GatewayGauges[]>();

function gauge(name: string, help: string, value: (g: GatewayGauges) => number | null): Gauge<'gateway'> {
  const existing = register.getSingleMetric(name) as Gauge<'gateway'> | undefined;
  if (existing) return existing;
  return new Gauge({
    name, help, labelNames: ['gateway'] as const,
    collect() {
      this.reset();
      for (const source of sources) {
        for (const g of source()) {
          const v = value(g);
          if (v !== null) this.set({ gateway: g.gateway }, v);
        }
      }
    },
  });
}

gauge('jieneng_gateway_last_seq', 'highest batch seq stored from the gateway', (g) => g.last_seq);
gauge('jieneng_gateway_gap_batches', 'batches missing in open gaps (asked for again, not yet back)', (g) => g.gap_batches);
gauge('jieneng_gateway_recovered_batches', 'missing batches that came back after a resend request', (g) => g.recovered);
gauge('jieneng_gateway_lost_batches', 'missing batches the gateway no longer had or never sent again', (g) => g.lost);
gauge('jieneng_gateway_duplicate_batches', 'batches received again after they were stored (dropped)', (g) => g.duplicates);
gauge('jieneng_gateway_queued_batches', "batches waiting on the gateway's disk for the broker (its last status)", (g) => g.queued);
gauge('jieneng_gateway_online', "1 while the gateway's retained status says online", (g) => (g.online === null ? null : g.online ? 1 : 0));

/** Show a tracker's gateways in the gauges until the returned function is called. */
export function showGateways(source: () => GatewayGauges[]): () => void {
  sources.add(source);
  return () => sources.delete(source);
}
