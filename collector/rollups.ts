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
  kind: 'building' | 'virtual';
  /** virtual meter id, or `<building>/<medium>/<category>` */
  id: string;
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

function ancestorCarries(d: Device, category: string, byId: Map<string, Device>): boolean {
  const seen = new Set<string>();
  for (let p = d.parent ? byId.get(d.parent) : undefined; p && !seen.has(p.id); p = p.parent ? byId.get(p.parent) : undefined) {
    seen.add(p.id);
    if (p.category === category) return true;
  }
  return false;
}
