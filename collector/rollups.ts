/**
 * Which meters add up to what (D3): per building × category, and virtual meters. The meter tree (`parent`)
 * decides how a building total avoids double counting: the total of a medium is the sum of the building's root
 * meters (no parent), never of a main meter and its sub-meters together. A category code other than the
 * medium's total code sums the meters carrying it, skipping a meter whose ancestor already carries the same
 * code (a sub-meter under an HVAC feeder is part of that feeder's HVAC figure, not a second one).
 */
import { MEDIUM_TOTAL_CATEGORY } from '../core/measurements.ts';
import type { Device, Medium, SiteModel } from '../core/site/schema.ts';

/** A sum of meters written as one series. */
export interface RollupGroup {
  kind: 'building' | 'virtual' | 'site';
  /** virtual meter id, `<building>/<medium>/<category>`, or (site) `<medium>/<category>` */
  id: string;
  /** the building ('' for a site group) */
  building: string;
  medium: Medium;
  category?: string;
  plus: string[];
  minus: string[];
}

/** The rollup groups of a site and, per meter, the groups it belongs to. */
export function rollupGroups(site: SiteModel): { groups: RollupGroup[]; byMeter: Map<string, RollupGroup[]> } {
  const meters = site.devices.filter((d) => d.kind === 'meter' && d.medium !== undefined && d.enabled !== false);
  const byId = new Map(site.devices.map((d) => [d.id, d]));
  const groups = new Map<string, RollupGroup>();
  const add = (d: Device, category: string) => {
    const medium = d.medium as Medium;
    const id = `${d.building}/${medium}/${category}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { kind: 'building', id, building: d.building, medium, category, plus: [], minus: [] }));
    g.plus.push(d.id);
  };
  for (const d of meters) {
    const medium = d.medium as Medium;
    const parent = d.parent !== undefined ? byId.get(d.parent) : undefined;
    if (!parent) add(d, MEDIUM_TOTAL_CATEGORY[medium]);
    if (d.category && d.category !== MEDIUM_TOTAL_CATEGORY[medium] && !ancestorCarries(d, d.category, byId)) add(d, d.category);
  }
  const all: RollupGroup[] = [...groups.values()];
  for (const v of site.virtual_meters ?? []) {
    all.push({ kind: 'virtual', id: v.id, building: v.building, medium: v.medium, category: v.category, plus: [...v.plus], minus: [...(v.minus ?? [])] });
  }
  const byMeter = new Map<string, RollupGroup[]>();
  for (const g of all) {
    for (const m of [...g.plus, ...g.minus]) {
      const list = byMeter.get(m) ?? [];
      if (!list.includes(g)) list.push(g);
      byMeter.set(m, list);
    }
  }
  return { groups: all, byMeter };
}

/**
 * The site totals (decision 0407): per medium, the sum of every building's total (MEDIUM_TOTAL_CATEGORY) group —
 * the same root meters, so a site row equals the sum of the building rows of its time. Kept apart from
 * `rollupGroups`: partitions own the gateways of a building total together, but a site total spans every
 * partition, and each partition writes its own share of it.
 */
export function siteRollupGroups(site: SiteModel): RollupGroup[] {
  const byMedium = new Map<Medium, RollupGroup>();
  for (const g of rollupGroups(site).groups) {
    if (g.kind !== 'building' || g.category !== MEDIUM_TOTAL_CATEGORY[g.medium]) continue;
    let s = byMedium.get(g.medium);
    if (!s) byMedium.set(g.medium, (s = { kind: 'site', id: `${g.medium}/${g.category}`, building: '', medium: g.medium, category: g.category, plus: [], minus: [] }));
    s.plus.push(...g.plus);
  }
  return [...byMedium.values()];
}

function ancestorCarries(d: Device, category: string, byId: Map<string, Device>): boolean {
  const seen = new Set<string>();
  for (let p = d.parent ? byId.get(d.parent) : undefined; p && !seen.has(p.id); p = p.parent ? byId.get(p.parent) : undefined) {
    seen.add(p.id);
    if (p.category === category) return true;
  }
  return false;
}
