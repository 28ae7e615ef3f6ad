/** `GET /audit` (admins, issue #13): the append-only audit log, newest first, paged by `before` (a seq). */
import { Router } from 'express';
import { tzOffsetMs } from '../../core/time.ts';
import type { ApiContext } from '../context.ts';
import { badParameter } from '../errors.ts';
import { isoLocal, stringParam } from '../params.ts';
import type { SecurityStore } from '../security/store.ts';

/** A positive integer parameter with a default and a ceiling. */
function positiveInt(value: string | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1 || Number(value) > max) throw badParameter(name, `'${value}' is not an integer from 1 to ${max}`);
  return Number(value);
}

/** The audit log route. */
export function auditRoutes(ctx: ApiContext, security: SecurityStore): Router {
  const router = Router();
  router.get('/audit', (req, res) => {
    const limit = positiveInt(stringParam(req.query, 'limit'), 'limit', 100, 1000);
    const before = req.query.before === undefined ? undefined : positiveInt(stringParam(req.query, 'before'), 'before', 0, Number.MAX_SAFE_INTEGER);
    const tz = ctx.index.tz;
    res.json(security.audit.read({ limit, before }).map((e) => ({ ...e, time: isoLocal(e.time, tzOffsetMs(e.time, tz)) })));
  });
  return router;
}
