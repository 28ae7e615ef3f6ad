/**
 * The generic webhook: the transition as JSON, signed with HMAC-SHA256 over `timestamp.body` when a secret is
 * set (headers X-Jieneng-Timestamp, X-Jieneng-Signature: sha256=<hex>), so a receiver can verify both.
 */
import type { Static } from '@sinclair/typebox';
import type { WebhookChannel } from '../rules/schema.ts';
import { postJson } from './http.ts';
import { webhookSignature } from './signing.ts';
import type { AlertMessage, ChannelSender } from './types.ts';

/** The JSON body of a webhook notification (version 1). */
export function webhookBody(m: AlertMessage): string {
  const e = m.event;
  return JSON.stringify({
    v: 1, id: e.id, rule: e.rule, device: e.device, building: e.building, point: e.point, severity: e.severity,
    state: e.transition, at: new Date(e.at_ms).toISOString(), value: e.value ?? null, title: m.title, message: m.text,
  });
}

/** A signed JSON webhook. */
export function webhookSender(c: Static<typeof WebhookChannel>, now: () => number = Date.now): ChannelSender {
  return {
    async send(m: AlertMessage) {
      const body = webhookBody(m);
      const ts = now();
      const headers: Record<string, string> = c.secret
        ? { 'x-jieneng-timestamp': String(ts), 'x-jieneng-signature': webhookSignature(c.secret, ts, body) }
        : {};
      await postJson(c.url, body, headers);
    },
  };
}
