/**
 * `GET /pv-systems` and `GET /pv-systems/{id}/performance` (issue 6): AC yield from the inverters' interval energy
 * (the collector derives it from their yield counters at ingestion, with the roll-over, replacement and gap rules
 * of every counter: issue 18 §3), plane-of-array irradiation and module temperature from the configured sensor,
 * IEC 61724-1 yields and PR, NREL temperature-corrected PR, self-consumption where an export meter exists, avoided CO₂.
 */
import { Router } from 'express';
import type { ApiContext } from '../context.ts';
import type { Granularity } from '../domain/index.ts';
import { badParameter, notFound } from '../errors.ts';
import { enumParam, parseRange, stringParam } from '../params.ts';
import { pvPerformance } from '../pv-performance.ts';

/** PV routes. */
export function pvRoutes(ctx: ApiContext): Router {
  const router = Router();
  const tz = ctx.index.tz;
  const systems = new Map((ctx.index.site.pv_systems ?? []).map((s) => [s.id, s]));

  router.get('/pv-systems', (_req, res) => {
    res.json([...systems.values()].map((s) => ({
      id: s.id, name: s.name, building: s.building, peak_power_kwp: s.peak_power_kwp, inverters: s.inverters,
      irradiance_sensor: s.irradiance_sensor ?? null, export_meter: s.export_meter ?? null,
    })));
  });

  router.get('/pv-systems/:id/performance', async (req, res) => {
    const system = systems.get(req.params.id);
    if (!system) throw notFound('PV system', req.params.id);
    const granularity = enumParam<Granularity>(req.query, 'granularity', ['day', 'month', 'year'], 'month');
    const { from, to } = parseRange(req.query, tz, 400);
    const region = stringParam(req.query, 'grid_region') ?? ctx.reference.grid.default_region;
    if (!ctx.reference.grid.factors.some((f) => f.region === region)) throw badParameter('grid_region', `unknown region '${region}' (known: ${[...new Set(ctx.reference.grid.factors.map((f) => f.region))].join(', ')})`);
    res.json(await pvPerformance(ctx, system, { from, to, granularity, region }));
  });

  return router;
}
