/**
 * `GET /contracts` and `GET /contracts/{id}/savings` (issue 6): M&V of energy-performance contracts
 * (合同能源管理). Daily energy of the contract's meters and daily mean outdoor temperature feed the baseline
 * search of the domain module (api/contract-savings.ts); every result carries its data-sufficiency warnings.
 */
import { Router } from 'express';
import type { ApiContext } from '../context.ts';
import { contractSavings } from '../contract-savings.ts';
import { notFound } from '../errors.ts';

/** Contract routes. */
export function contractRoutes(ctx: ApiContext): Router {
  const router = Router();
  const contracts = new Map((ctx.index.site.contracts ?? []).map((c) => [c.id, c]));

  router.get('/contracts', (_req, res) => {
    res.json([...contracts.values()].map((c) => ({
      id: c.id, name: c.name, type: c.type, meters: c.meters, baseline: c.baseline,
      reporting: { from: c.reporting.from, to: c.reporting.to ?? null }, savings_share: c.savings_share ?? null,
      guaranteed_kwh: c.guaranteed_kwh ?? null, temperature_point: c.temperature_point ?? null,
    })));
  });

  router.get('/contracts/:id/savings', async (req, res) => {
    const c = contracts.get(req.params.id);
    if (!c) throw notFound('contract', req.params.id);
    res.json(await contractSavings(ctx, c, req.query as Record<string, unknown>));
  });

  return router;
}
