/** Prometheus metrics of the API on prom-client's default registry (shared with the other components in-process). */
import { collectDefaultMetrics, Counter, Histogram, register } from 'prom-client';

let requestDuration: Histogram<'method' | 'route' | 'status'> | undefined;
let authFailures: Counter<'reason'> | undefined;

/** The API's metrics; created once per process, default process metrics enabled once. */
export function apiMetrics(): { requestDuration: Histogram<'method' | 'route' | 'status'>; authFailures: Counter<'reason'> } {
  if (!register.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics();
  requestDuration ??= (register.getSingleMetric('jieneng_api_request_duration_seconds') as Histogram<'method' | 'route' | 'status'> | undefined)
    ?? new Histogram({
      name: 'jieneng_api_request_duration_seconds',
      help: 'HTTP API request duration by route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    });
  authFailures ??= (register.getSingleMetric('jieneng_api_auth_failures_total') as Counter<'reason'> | undefined)
    ?? new Counter({
      name: 'jieneng_api_auth_failures_total',
      help: 'Refused authentications by reason: missing, malformed, unknown, wrong_secret, expired, revoked, rate_limited',
      labelNames: ['reason'],
    });
  return { requestDuration, authFailures };
}

/** The registry's text exposition. */
export async function metricsText(): Promise<{ contentType: string; body: string }> {
  return { contentType: register.contentType, body: await register.metrics() };
}
