/**
 * `GET /gateways` (issue #12.5, decision 0309): each gateway's seq accounting as the collector last reported it
 * (measurement `gateway_accounting`): last seq stored, batches missing in open gaps, recovered, lost, and the
 * gateway's own status (queue depth, online). The collector may run in another process: storage is the meeting
 * point. Queue depth and online come from the API's own status feed when it has the gateway's retained status
 * (fresher, and judged by its heartbeat as for devices), else from the collector's row.
 */
import { Router } from 'express';
import { MEASUREMENT } from '../../core/measurements.ts';
import type { StoredPoint } from '../../storage/port.ts';
import type { ApiContext } from '../context.ts';
import { gatewayVerdict } from '../device-state.ts';
import { tzOffsetMs } from '../../core/time.ts';
import { isoLocal } from '../params.ts';

/** How far back the last report is looked for, widening so that a live site costs one small read. */
const LOOKBACK_MS = [15 * 60_000, 86_400_000, 30 * 86_400_000];

const int = (v: StoredPoint['fields'][string] | undefined): number | null => (typeof v === 'number' ? v : null);

/** Gateway accounting. */
export function gatewayRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.get('/gateways', async (_req, res) => {
    const now = ctx.now();
    const gateways = ctx.index.site.gateways;
    const latest = new Map<string, StoredPoint>();
    for (const back of LOOKBACK_MS) {
      const rows = await ctx.storage.raw({ measurement: MEASUREMENT.gatewayAccounting, from: now - back, to: now + 1, where: { site: ctx.index.site.site.id } });
      for (const r of rows) {
        const seen = latest.get(r.tags.gateway ?? '');
        if (!seen || r.time >= seen.time) latest.set(r.tags.gateway ?? '', r);
      }
      if (gateways.every((g) => latest.has(g.id))) break;
    }
    const offset = tzOffsetMs(now, ctx.index.tz);
    res.json(gateways.map((g) => {
      const r = latest.get(g.id);
      const f = r?.fields ?? {};
      const live = ctx.statusFeed?.connected() ? ctx.statusFeed.gateway(g.id) : undefined;
      const verdict = live && gatewayVerdict(live, now);
      const storedOnline = typeof f.online === 'boolean' ? f.online : typeof f.online === 'number' ? f.online === 1 : null;
      return {
        id: g.id, name: g.name ?? g.id,
        last_seq: int(f.last_seq), gap_batches: int(f.gap_batches) ?? 0, recovered: int(f.recovered) ?? 0,
        lost: int(f.lost) ?? 0, duplicates: int(f.duplicates) ?? 0,
        queued: live?.status.queued ?? int(f.queued),
        online: verdict ? ('online' in verdict ? verdict.online : null) : storedOnline,
        reported_at: r ? isoLocal(r.time, offset) : null,
      };
    }));
  });
  return router;
}
