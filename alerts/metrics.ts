/**
 * Alert metrics in the prom-client default registry (shown by the collector's `--metrics-port` and the API's
 * `/metrics` in the same process). Labels are bounded: rule ids and channel ids come from the rules file.
 */
import { Counter, register } from 'prom-client';

function once<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

/** The alerts' metric set. */
export const alertMetrics = {
  transitions: once('jieneng_alert_transitions_total', () => new Counter({
    name: 'jieneng_alert_transitions_total', help: 'alert transitions (firing, resolved) by rule and severity',
    labelNames: ['rule', 'severity', 'transition'] as const,
  })),
  deliveries: once('jieneng_alert_deliveries_total', () => new Counter({
    name: 'jieneng_alert_deliveries_total', help: 'notification delivery attempts by channel and result (sent, retry, failed, silenced, held for the quiet-hours digest)',
    labelNames: ['channel', 'result'] as const,
  })),
  reloads: once('jieneng_alert_rules_reloads_total', () => new Counter({
    name: 'jieneng_alert_rules_reloads_total', help: 'edits of the alert rules file noticed by a running collector: applied, or rejected (the old rules kept)',
    labelNames: ['result'] as const,
  })),
};
