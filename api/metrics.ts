/** Prometheus metrics of the API on prom-client's default registry (shared with the other components in-process). */
import { collectDefaultMetrics, Histogram, register } from 'prom-client';

let requestDuration: Histogram<'method' | 'route' | 'status'> | undefined;

/** The request-duration histogram; created once per process, default process metrics enabled once. */
export function apiMetrics(): { requestDuration: Histogram<'method' | 'route' | 'status'> } {
  if (!register.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics();
  requestDuration ??= (register.getSingleMetric('jieneng_api_request_duration_seconds') as Histogram<'method' | 'route' | 'status'> | undefined)
    ?? new Histogram({
      name: 'jieneng_api_request_duration_seconds',
      help: 'HTTP API request duration by route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    });
  return { requestDuration };
}

/** The registry's text exposition. */
export async function metricsText(): Promise<{ contentType: string; body: string }> {
  return { contentType: register.contentType, body: await register.metrics() };
}
