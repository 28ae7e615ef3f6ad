/** Buildings and their interval energy (issue 2) with its provenance (issue 12). */
import { Router } from 'express';
import { INTERVALS } from '../../core/duration.ts';
import type { ApiContext } from '../context.ts';
import { badParameter } from '../errors.ts';
import { isoLocal, parseInterval, parseRange } from '../params.ts';
import { sourceSeries } from '../series.ts';
import { buildingSource } from '../scope.ts';
import { nextPeriod } from '../domain/calendar.ts';
import { coverageOf, expectedIntervals } from '../domain/provenance.ts';
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
    const tz = ctx.index.tz;
    const source = buildingSource(ctx, [building], 'electricity');
    const points = await sourceSeries(ctx.storage, { siteId: ctx.index.site.site.id, source, medium: 'electricity', from, to, interval, tz });
    // A window holds each root meter's quarter-hours between its start and its end (the next local midnight for
    // days), clipped to the range.
    const windowEnd = (start: number) => (interval === '1d' ? nextPeriod(start, tz, 'day') : start + INTERVALS[interval]);
    res.json({
      building: building.id,
      interval,
      unit: 'kWh',
      points: points.map((p) => {
        const { coverage, complete } = coverageOf(p, expectedIntervals(Math.max(p.time, from), Math.min(windowEnd(p.time), to), source.meters));
        return {
          start: isoLocal(p.time, tzOffsetMs(p.time, tz)), energy_kwh: round(p.value, 4), estimated_kwh: round(p.estimated, 4),
          coverage: round(coverage, 4), complete,
        };
      }),
    });
  });

  return router;
}
