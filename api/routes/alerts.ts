/**
 * `GET /alerts`, `POST /alerts/:id/ack`, `GET|POST /silences`, `DELETE /silences/:id` (issue 14): the alerts the
 * collector's evaluator stored (alerts/store.ts, read from the same SQLite file), acknowledgement with who and a
 * comment, and maintenance windows. Roles from the access table: technicians read, acknowledge and silence.
 */
import express, { Router, type Response } from 'express';
import { tzOffsetMs } from '../../core/time.ts';
import type { AlertStore, Silence, StoredEvent } from '../../alerts/store.ts';
import type { ApiContext } from '../context.ts';
import { ApiError, badParameter } from '../errors.ts';
import { enumParam, isoLocal, parseInstant, stringParam } from '../params.ts';
import { principalOf } from '../security/enforce.ts';
import { relayGrafana, RelayPayloadError } from '../../alerts/grafana-relay.ts';

const SEVERITIES = ['critical', 'major', 'minor', 'info'] as const;

/** The alert routes; without a store (alerting off) they answer 503. */
export function alertRoutes(ctx: ApiContext, store: AlertStore | undefined): Router {
  const router = Router();
  const tz = ctx.index.tz;
  const local = (ms: number) => isoLocal(ms, tzOffsetMs(ms, tz));
  const need = (): AlertStore => {
    if (!store) throw new ApiError(503, 'alerts_off', 'alerting is not configured for this site (jieneng collector run --alerts FILE, docs/alerts.md)');
    return store;
  };
  const shown = (e: StoredEvent) => ({
    id: e.id, rule: e.rule, device: e.device, building: e.building, point: e.point, severity: e.severity,
    state: e.transition, at: local(e.at_ms), value: e.value ?? null, message: e.message,
    ack: e.ack ? { by: e.ack.by, at: local(e.ack.at_ms), comment: e.ack.comment } : null,
  });
  const shownSilence = (s: Silence) => ({
    id: s.id, starts: local(s.starts_ms), ends: local(s.ends_ms), rule: s.rule ?? null, device: s.device ?? null,
    building: s.building ?? null, comment: s.comment, created_by: s.created_by, created: local(s.created_ms),
  });
  const who = (res: Response) => {
    const p = principalOf(res);
    return p ? `${p.name} (${p.keyId})` : 'anonymous';
  };

  router.get('/alerts', (req, res) => {
    const s = need();
    const state = enumParam(req.query, 'state', ['firing', 'all'] as const, 'firing');
    const severity = req.query.severity === undefined ? undefined : enumParam(req.query, 'severity', SEVERITIES, 'critical');
    const building = stringParam(req.query, 'building');
    if (building !== undefined && !ctx.index.buildings.has(building)) throw badParameter('building', `unknown building '${building}'`);
    const fromText = stringParam(req.query, 'from');
    const toText = stringParam(req.query, 'to');
    const from_ms = fromText === undefined ? undefined : parseInstant(fromText, 'from', tz);
    const to_ms = toText === undefined ? undefined : parseInstant(toText, 'to', tz);
    const limitText = stringParam(req.query, 'limit');
    if (limitText !== undefined && !(/^\d{1,4}$/.test(limitText) && Number(limitText) >= 1 && Number(limitText) <= 1000)) throw badParameter('limit', `'${limitText}' is not an integer from 1 to 1000`);
    const events = state === 'firing'
      ? s.firingNow().filter((e) => (!severity || e.severity === severity) && (!building || e.building === building)
        && (from_ms === undefined || e.at_ms >= from_ms) && (to_ms === undefined || e.at_ms < to_ms))
      : s.findEvents({ severity, building, from_ms, to_ms, limit: Number(limitText ?? 1000) });
    res.json(events.slice(0, Number(limitText ?? 1000)).map(shown));
  });

  router.post('/alerts/:id/ack', express.json({ limit: '4kb' }), (req, res) => {
    const s = need();
    const id = Number(req.params.id);
    if (!/^\d{1,15}$/.test(req.params.id)) throw badParameter('id', `'${req.params.id}' is not an alert id`);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const comment = body.comment ?? '';
    if (typeof comment !== 'string' || comment.length > 1000) throw badParameter('comment', 'a string of at most 1000 characters');
    const acked = s.acknowledge(id, who(res), comment, ctx.now());
    if (!acked) throw new ApiError(404, 'not_found', `no firing alert with id ${id}`);
    // 201: an acknowledgement was recorded (the first one stays: acknowledging again answers it unchanged)
    res.status(201).json(shown(acked));
  });

  // Grafana's webhook contact point (URL …/alerts/grafana?notify=ops-dingtalk, Authorization: Bearer <key>)
  router.post('/alerts/grafana', express.json({ limit: '1mb' }), (req, res) => {
    const s = need();
    const notify = stringParam(req.query, 'notify', true).split(',').filter((c) => c !== '');
    if (notify.length === 0 || notify.some((c) => !/^[a-z0-9][a-z0-9_-]*$/.test(c))) throw badParameter('notify', 'channel ids of the rules file, separated by commas');
    try {
      res.status(201).json(relayGrafana(s, req.body, notify, ctx.now()));
    } catch (err) {
      if (err instanceof RelayPayloadError) throw badParameter('body', err.message);
      throw err;
    }
  });

  router.get('/silences', (_req, res) => { res.json(need().silences(ctx.now()).map(shownSilence)); });

  router.post('/silences', express.json({ limit: '4kb' }), (req, res) => {
    const s = need();
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badParameter('body', 'send a JSON object { ends, starts?, rule?, device?, building?, comment }');
    const b = body as Record<string, unknown>;
    const text = (name: string) => {
      const v = b[name];
      if (v !== undefined && (typeof v !== 'string' || v.length === 0)) throw badParameter(name, 'a non-empty string');
      return v as string | undefined;
    };
    const comment = text('comment');
    if (!comment) throw badParameter('comment', 'say why (e.g. 空调机房检修)');
    const endsText = text('ends');
    if (!endsText) throw badParameter('ends', 'an ISO 8601 date-time');
    const startsText = text('starts');
    const now = ctx.now();
    const starts_ms = startsText ? parseInstant(startsText, 'starts', tz) : now;
    const ends_ms = parseInstant(endsText, 'ends', tz);
    if (ends_ms <= starts_ms) throw badParameter('ends', 'must be after starts');
    const device = text('device');
    const building = text('building');
    if (device !== undefined && !ctx.index.site.devices.some((d) => d.id === device)) throw badParameter('device', `unknown device '${device}'`);
    if (building !== undefined && !ctx.index.buildings.has(building)) throw badParameter('building', `unknown building '${building}'`);
    const silence = s.addSilence({ starts_ms, ends_ms, rule: text('rule'), device, building, comment, created_by: who(res), created_ms: now });
    res.status(201).json(shownSilence(silence));
  });

  router.delete('/silences/:id', (req, res) => {
    const s = need();
    if (!/^\d{1,15}$/.test(req.params.id) || !s.deleteSilence(Number(req.params.id))) throw new ApiError(404, 'not_found', `no silence with id ${req.params.id}`);
    res.json({ id: Number(req.params.id), deleted: true });
  });
  return router;
}
