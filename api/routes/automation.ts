/**
 * Building automation (docs/automation.md): `GET /automation/schedules`, `GET|POST /automation/overrides`,
 * `DELETE /automation/overrides/:id`, `GET|POST /automation/commands` (history, one write now) and
 * `GET /automation/demand` (limits now and their measured effect). Managers and admins only (access table);
 * every POST and DELETE is in the API's audit log, every write also in automation's own command audit.
 */
import express, { Router, type Response } from 'express';
import { tzOffsetMs } from '../../core/time.ts';
import { AutomationInputError, type AutomationPort } from '../../automation/port.ts';
import type { CommandRecord, Override } from '../../automation/store.ts';
import type { ApiContext } from '../context.ts';
import { ApiError, badParameter } from '../errors.ts';
import { isoLocal, parseInstant, stringParam } from '../params.ts';
import { principalOf } from '../security/enforce.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The automation routes; without a running automation service they answer 503. */
export function automationRoutes(ctx: ApiContext, automation: AutomationPort | undefined): Router {
  const router = Router();
  const tz = ctx.index.tz;
  const local = (ms: number | null) => (ms === null ? null : isoLocal(ms, tzOffsetMs(ms, tz)));
  const need = (): AutomationPort => {
    if (!automation) throw new ApiError(503, 'automation_off', 'automation is not running for this site (jieneng automation run --config FILE, docs/automation.md)');
    return automation;
  };
  const who = (res: Response) => {
    const p = principalOf(res);
    return p ? `${p.name} (${p.keyId})` : 'anonymous';
  };
  const shownCommand = (c: CommandRecord) => ({
    id: c.id, at: local(c.at_ms), device: c.device, point: c.point, value: c.value, priority: c.priority, layer: c.layer,
    origin: c.origin, outcome: c.outcome, detail: c.detail, answered_at: local(c.answered_ms),
  });
  const shownOverride = (o: Override) => ({
    id: o.id, device: o.device, point: o.point, value: o.value, until: local(o.until_ms), by: o.by, comment: o.comment, created: local(o.created_ms),
  });
  const input = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (err instanceof AutomationInputError) throw badParameter('body', err.message);
      throw err;
    }
  };
  const body = (req: express.Request) => (req.body ?? {}) as Record<string, unknown>;
  const text = (b: Record<string, unknown>, name: string, required: boolean, max = 200): string | undefined => {
    const v = b[name];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v.length === 0 || v.length > max) throw badParameter(name, `a string of 1 to ${max} characters`);
    return v;
  };

  router.get('/automation/schedules', (_req, res) => {
    res.json({ dry_run: need().dryRun, schedules: need().schedules() });
  });

  router.get('/automation/overrides', (_req, res) => {
    res.json(need().overrides().map(shownOverride));
  });

  router.post('/automation/overrides', express.json({ limit: '4kb' }), async (req, res) => {
    const a = need();
    const b = body(req);
    const device = text(b, 'device', true)!;
    const point = text(b, 'point', true)!;
    if (typeof b.value !== 'number' || !Number.isFinite(b.value)) throw badParameter('value', 'a number in the point\'s unit');
    const until = text(b, 'until', false, 40);
    const comment = text(b, 'comment', false, 1000) ?? '';
    const o = await input(() => a.addOverride({ device, point, value: b.value as number, until_ms: until === undefined ? null : parseInstant(until, 'until', tz), by: who(res), comment }));
    res.status(201).json(shownOverride(o));
  });

  router.delete('/automation/overrides/:id', async (req, res) => {
    if (!/^\d{1,15}$/.test(req.params.id)) throw badParameter('id', `'${req.params.id}' is not an override id`);
    const id = Number(req.params.id);
    if (!(await need().clearOverride(id, who(res)))) throw new ApiError(404, 'not_found', `no override in force with id ${id}`);
    res.json({ id, cleared: true });
  });

  router.get('/automation/commands', (req, res) => {
    const a = need();
    const fromText = stringParam(req.query, 'from');
    const toText = stringParam(req.query, 'to');
    const limitText = stringParam(req.query, 'limit');
    if (limitText !== undefined && !(/^\d{1,4}$/.test(limitText) && Number(limitText) >= 1 && Number(limitText) <= 1000)) throw badParameter('limit', `'${limitText}' is not an integer from 1 to 1000`);
    res.json(a.history({
      device: stringParam(req.query, 'device'), origin_prefix: stringParam(req.query, 'origin'),
      from_ms: fromText === undefined ? undefined : parseInstant(fromText, 'from', tz),
      to_ms: toText === undefined ? undefined : parseInstant(toText, 'to', tz),
      limit: Number(limitText ?? 200),
    }).map(shownCommand));
  });

  router.post('/automation/commands', express.json({ limit: '4kb' }), async (req, res) => {
    const a = need();
    const b = body(req);
    const device = text(b, 'device', true)!;
    const point = text(b, 'point', true)!;
    if (b.value !== null && (typeof b.value !== 'number' || !Number.isFinite(b.value))) throw badParameter('value', 'a number in the point\'s unit, or null to relinquish');
    if (b.priority !== undefined && !(Number.isInteger(b.priority) && (b.priority as number) >= 1 && (b.priority as number) <= 16)) throw badParameter('priority', 'an integer from 1 to 16');
    const record = await input(() => a.command({ device, point, value: b.value as number | null, priority: b.priority as number | undefined, by: who(res) }));
    res.status(201).json(shownCommand(record));
  });

  router.get('/automation/demand', (req, res) => {
    const a = need();
    const from = stringParam(req.query, 'from');
    const to = stringParam(req.query, 'to');
    if (from !== undefined && !DATE.test(from)) throw badParameter('from', 'a local date YYYY-MM-DD');
    if (to !== undefined && !DATE.test(to)) throw badParameter('to', 'a local date YYYY-MM-DD');
    res.json(a.demand(from, to).map((d) => ({ ...d, shed: d.shed.map((s) => ({ device: s.device, point: s.point, since: local(s.since_ms) })) })));
  });

  return router;
}
