/** Energy analytics routes (issue 6), composed. The daily KPI write-back is a job of its own (jobs/, decision 0406). */
import { Router } from 'express';
import type { ApiContext } from '../context.ts';
import { breakdownCostRoutes } from './breakdown-cost.ts';
import { contractRoutes } from './contracts.ts';
import { energyKpiRoutes } from './energy-kpis.ts';
import { pvRoutes } from './pv.ts';

/** Comprehensive energy, intensities, breakdown, cost, PV and contract savings. */
export function analyticsRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.use(energyKpiRoutes(ctx));
  router.use(breakdownCostRoutes(ctx));
  router.use(pvRoutes(ctx));
  router.use(contractRoutes(ctx));
  return router;
}
