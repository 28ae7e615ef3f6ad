/** Energy analytics routes (issue 6), composed. */
import { Router } from 'express';
import { tzOffsetMs } from '../../core/time.ts';
import type { ApiContext } from '../context.ts';
import { writeDailyKpis } from '../kpi-writeback.ts';
import { isoLocal, parseRange } from '../params.ts';
import { breakdownCostRoutes } from './breakdown-cost.ts';
import { contractRoutes } from './contracts.ts';
import { energyKpiRoutes } from './energy-kpis.ts';
import { pvRoutes } from './pv.ts';

/** Comprehensive energy, intensities, breakdown, cost, PV, contract savings and the KPI write-back. */
export function analyticsRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.use(energyKpiRoutes(ctx));
  router.use(breakdownCostRoutes(ctx));
  router.use(pvRoutes(ctx));
  router.use(contractRoutes(ctx));
  router.post('/kpi/derive', async (req, res) => {
    const { from, to } = parseRange(req.query, ctx.index.tz, 3660);
    const written = await writeDailyKpis(ctx, from, to);
    const tz = ctx.index.tz;
    res.json({ measurement: 'kpi_1d', from: isoLocal(from, tzOffsetMs(from, tz)), to: isoLocal(to, tzOffsetMs(to, tz)), rows_written: written });
  });
  return router;
}
