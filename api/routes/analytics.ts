/** Energy analytics routes (issue 6). */
import { Router } from 'express';
import type { ApiContext } from '../context.ts';

/** Comprehensive energy, intensities, breakdown, cost, PV and contract savings. */
export function analyticsRoutes(_ctx: ApiContext): Router {
  return Router();
}
