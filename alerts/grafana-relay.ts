/**
 * The relay for Grafana's webhook contact point (issue 14): Grafana's own DingTalk integration cannot sign (加签),
 * so a Grafana alert rule's contact point posts here and its alerts go out through this system's channels and
 * outbox, with the same history, acknowledgement and silences as the collector's alerts.
 * Payload: Grafana's webhook notifier JSON (`alerts[]` with `status`, `labels`, `annotations`, `fingerprint`).
 * Grafana repeats a firing alert every repeat interval: a fingerprint already firing is not announced again.
 */
import { SEVERITIES, type Severity } from './rules/schema.ts';
import { SEVERITY_ZH } from './message.ts';
import type { AlertStore } from './store.ts';

/** One alert of Grafana's webhook payload, as far as the relay reads it. */
interface GrafanaAlert {
  status?: unknown;
  labels?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
  fingerprint?: unknown;
  values?: Record<string, unknown>;
}

/** What a relayed payload did. */
export interface RelayResult {
  recorded: number;
  unchanged: number;
}

/** A payload that is not Grafana's webhook JSON. */
export class RelayPayloadError extends Error {}

/** Record Grafana's alerts as transitions owing notifications on `channels`. */
export function relayGrafana(store: AlertStore, payload: unknown, channels: readonly string[], now_ms: number): RelayResult {
  const alerts = (payload as { alerts?: unknown } | null)?.alerts;
  if (!Array.isArray(alerts)) throw new RelayPayloadError("not a Grafana webhook payload: 'alerts' must be a list");
  const result: RelayResult = { recorded: 0, unchanged: 0 };
  for (const raw of alerts as GrafanaAlert[]) {
    if (typeof raw?.fingerprint !== 'string' || (raw.status !== 'firing' && raw.status !== 'resolved')) {
      throw new RelayPayloadError("each alert needs a 'fingerprint' and a 'status' of firing or resolved");
    }
    const labels = raw.labels ?? {};
    const text = (v: unknown) => (typeof v === 'string' ? v : '');
    const key = `grafana|${raw.fingerprint}`;
    const firing = raw.status === 'firing';
    const was = store.instanceState(key);
    if (firing === (was === 'firing') || (!firing && was === undefined)) {
      result.unchanged++;
      continue;
    }
    const severity: Severity = (SEVERITIES as readonly string[]).includes(text(labels.severity)) ? text(labels.severity) as Severity : 'major';
    const name = text(labels.alertname) || 'Grafana';
    const summary = text(raw.annotations?.summary) || text(raw.annotations?.description) || name;
    const value = Object.values(raw.values ?? {}).find((v): v is number => typeof v === 'number');
    const message = `【${SEVERITY_ZH[severity]}${firing ? '告警' : '恢复'}】${summary} — ${name}（Grafana）`;
    const device = text(labels.device);
    store.recordTransition(
      { key, rule: `grafana:${name}`, device, point: '', state: firing ? 'firing' : 'normal', since_ms: now_ms, breached: firing, onsets: [], value },
      { key, rule: `grafana:${name}`, device, building: text(labels.building), point: '', severity, transition: firing ? 'firing' : 'resolved', at_ms: now_ms, value, message },
      channels, now_ms,
    );
    result.recorded++;
  }
  return result;
}
