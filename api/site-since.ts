/**
 * From when the collector's site totals (energy_site_*, decision 0407) can stand in for the building totals: each
 * energy collector writes, at every start, a row of `energy_site_since` whose time is the instant from which its
 * site rows are complete. Site rows are used only when every partition of one layout (`k/N`, k = 0 … N−1) has
 * said so — a partition that never wrote any, or rows of two layouts (the partitioning was changed), and the
 * building totals are read instead: slower, never wrong.
 */
import { MEASUREMENT } from '../core/measurements.ts';
import type { Storage } from '../storage/port.ts';
import { completeSince } from '../core/site-since.ts';

export { completeSince };

/** How long an answer is reused: the instant only moves when a collector starts or a layout changes. */
const CACHE_MS = 30_000;
/** The far end of the rows' range (they hold past instants; 2100-01-01). */
const FAR_FUTURE_MS = 4_102_444_800_000;

const cache = new WeakMap<Storage, Map<string, { until: number; since: Promise<number | undefined> }>>();

/** The instant from which the site's rows of `energy_site_*` are complete; undefined: read the building totals. */
export function siteRowsSince(storage: Storage, siteId: string, now = Date.now()): Promise<number | undefined> {
  let bySite = cache.get(storage);
  if (!bySite) cache.set(storage, (bySite = new Map()));
  const hit = bySite.get(siteId);
  if (hit && hit.until > now) return hit.since;
  const since = readSince(storage, siteId);
  bySite.set(siteId, { until: now + CACHE_MS, since });
  since.catch(() => bySite.delete(siteId)); // a failed read is not remembered
  return since;
}

/** Forget the cached instants of a store (tests that write the rows after a first read). */
export function forgetSiteSince(storage: Storage): void {
  cache.delete(storage);
}

async function readSince(storage: Storage, siteId: string): Promise<number | undefined> {
  const rows = await storage.raw({ measurement: MEASUREMENT.siteEnergySince, from: 0, to: FAR_FUTURE_MS, where: { site: siteId } });
  return completeSince(rows.map((r) => ({ partition: r.tags.partition ?? '', time: r.time })));
}
