/**
 * `GET /health`: broker and storage status; 503 when either is down so load balancers can act on it. Open to
 * anyone (issue #13) but only the status word: the storage and broker details (addresses, errors) need a key.
 */
import { Router } from 'express';
import type { ApiContext } from '../context.ts';
import { principalOf } from '../security/enforce.ts';

/** Health of the dependencies the API and the pipeline behind it need. */
export function healthRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const storage = await ctx.storage.health().catch((err: unknown) => ({
      ok: false, kind: ctx.storage.kind, detail: err instanceof Error ? err.message : String(err),
    }));
    const broker = ctx.brokerHealth ? ctx.brokerHealth() : { ok: true, detail: 'not monitored by this process' };
    const ok = storage.ok && broker.ok;
    const status = ok ? 'ok' : 'degraded';
    res.status(ok ? 200 : 503).json(principalOf(res) ? { status, storage, broker } : { status });
  });
  return router;
}
