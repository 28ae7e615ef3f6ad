/**
 * Sums an import would change. A file must hold every meter of a sum it touches. The import's ingestion starts with empty counter state
 * (decision 0902), so a building total or a virtual meter is recomputed, for the intervals the file touches, from
 * the meters in the file alone; a member left out whose energy storage holds for that span would silently drop out
 * of the total. Such a file is refused (`partial_group`), naming the member to add. The site totals (decision
 * 0407) span every building: an import writes none of them and stays before the instant the collectors' site rows
 * start (`live_period`).
 */
import type { SiteModel } from '../core/site/schema.ts';
import { MEASUREMENT } from '../core/measurements.ts';
import { energyCounter } from '../collector/point-rules.ts';
import { rollupGroups } from '../collector/rollups.ts';
import type { Storage } from '../storage/port.ts';
import type { ImportReading, RowProblem } from './rows.ts';

/** Refuse the first counter row of each imported meter whose sum has a member outside the file with stored energy in its span. */
export async function checkGroups(site: SiteModel, storage: Storage, readings: readonly ImportReading[], problems: RowProblem[]): Promise<void> {
  const spans = new Map<string, { row: number; from: number; to: number }>();
  for (const r of readings) {
    if (energyCounter(r.device)?.point !== r.point) continue;
    const s = spans.get(r.device.id);
    if (!s) spans.set(r.device.id, { row: r.row, from: r.ts, to: r.ts });
    else { s.from = Math.min(s.from, r.ts); s.to = Math.max(s.to, r.ts); if (r.row < s.row) s.row = r.row; }
  }
  const { byMeter } = rollupGroups(site);
  const asked = new Set<string>();
  for (const [meter, span] of spans) {
    for (const g of byMeter.get(meter) ?? []) {
      for (const other of [...g.plus, ...g.minus]) {
        const key = `${meter}\u0000${g.id}\u0000${other}`;
        if (spans.has(other) || asked.has(key)) continue;
        asked.add(key);
        const stored = await storage.raw({ measurement: MEASUREMENT.energy15m, from: span.from, to: span.to + 1, where: { site: site.site.id, meter: other }, limit: 1 });
        if (stored.length === 0) continue;
        const what = g.kind === 'virtual' ? `virtual meter '${g.id}'` : `the ${g.medium} total '${g.category}' of building '${g.building}'`;
        problems.push({
          row: span.row, reason: 'partial_group',
          detail: `${what} also adds meter '${other}', which has stored energy in this file's span of '${meter}' (from ${new Date(stored[0].time).toISOString()}): put '${other}''s readings for the period in the same file`,
        });
      }
    }
  }
}

/** The far end of the site-since rows' range (2100-01-01), as the API reads them. */
const FAR_FUTURE_MS = 4_102_444_800_000;

/**
 * Refuse the first counter reading of each meter after the earliest `energy_site_since` instant of the site: from
 * then on the collectors keep site totals, which an import does not rewrite (a stored import there would leave
 * them without its energy).
 */
export async function checkSiteTotals(site: SiteModel, storage: Storage, readings: readonly ImportReading[], problems: RowProblem[]): Promise<void> {
  const since = await storage.raw({ measurement: MEASUREMENT.siteEnergySince, from: 0, to: FAR_FUTURE_MS, where: { site: site.site.id } });
  if (since.length === 0) return;
  const from = Math.min(...since.map((r) => r.time));
  const refused = new Set<string>();
  for (const r of readings) {
    if (r.ts <= from || refused.has(r.device.id) || energyCounter(r.device)?.point !== r.point) continue;
    refused.add(r.device.id);
    problems.push({
      row: r.row, reason: 'live_period',
      detail: `${r.device.id}: ${new Date(r.ts).toISOString()} is after ${new Date(from).toISOString()}, from when the collectors keep the site totals; import energy only for the time before (later readings belong to the gateways' replay)`,
    });
  }
}
