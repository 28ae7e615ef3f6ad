/**
 * From when a site's site totals (energy_site_*, decision 0407) are complete, decided on the rows of
 * `energy_site_since` (their partition tag `k/N` and time): read by the API (api/site-since.ts) and by
 * `jieneng verify energy`.
 */

/**
 * The decision on the rows (pure): per partition its earliest instant (site rows were complete from then on, and
 * every later start only restated what it held); the latest of these over the partitions of the one layout.
 */
export function completeSince(rows: readonly { partition: string; time: number }[]): number | undefined {
  const earliest = new Map<number, number>();
  let layout: number | undefined;
  for (const r of rows) {
    const m = /^(\d+)\/(\d+)$/.exec(r.partition);
    if (!m) return undefined;
    const [k, n] = [Number(m[1]), Number(m[2])];
    if (layout !== undefined && n !== layout) return undefined;
    layout = n;
    earliest.set(k, Math.min(earliest.get(k) ?? Infinity, r.time));
  }
  if (layout === undefined || earliest.size !== layout) return undefined;
  for (let k = 0; k < layout; k++) if (!earliest.has(k)) return undefined;
  return Math.max(...earliest.values());
}
