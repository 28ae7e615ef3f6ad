/** Buildings and their interval energy (issue 2): the first slice of the API. */
import { Router } from 'express';
import { INTERVALS } from '../../core/duration.ts';
import type { ApiContext } from '../context.ts';
import { badParameter } from '../errors.ts';
import { isoLocal, parseInterval, parseRange } from '../params.ts';
import { rollupSeries } from '../series.ts';
import { round } from '../format.ts';
import { startOfLocalDay, tzOffsetMs } from '../../core/time.ts';

/** `GET /buildings`, `GET /buildings/{id}/energy`. */
export function buildingRoutes(ctx: ApiContext): Router {
  const router = Router();

  router.get('/buildings', (_req, res) => {
    res.json(ctx.index.site.buildings.map((b) => ({ id: b.id, name: b.name, floor_area_m2: b.floor_area_m2 })));
  });

  router.get('/buildings/:id/energy', async (req, res) => {
    const building = ctx.index.building(req.params.id);
    const interval = parseInterval(req.query, '1h');
    // Without from and to: today, in the site's time zone — what a person opening the page wants to see.
    const { from, to } = parseRange(req.query, ctx.index.tz, undefined, () => {
      const start = startOfLocalDay(ctx.now(), ctx.index.tz);
      return { from: start, to: startOfLocalDay(start + 36 * 3_600_000, ctx.index.tz) };
    });
    // A 15-minute series of a year is 35 040 points: cap the response so one request cannot hold the store.
    if ((to - from) / INTERVALS[interval] > 20_000) throw badParameter('interval', `too fine for this range: more than 20000 points; use a coarser interval`);
    const meters = ctx.index.rootMeters(building.id, 'electricity').map((m) => m.id);
    const points = await rollupSeries(ctx.storage, { siteId: ctx.index.site.site.id, meters, medium: 'electricity', from, to, interval, tz: ctx.index.tz });
    res.json({
      building: building.id,
      interval,
      unit: 'kWh',
      points: points.map((p) => ({ start: isoLocal(p.time, tzOffsetMs(p.time, ctx.index.tz)), energy_kwh: round(p.value, 4) })),
    });
  });

  return router;
}
