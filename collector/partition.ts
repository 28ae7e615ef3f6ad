/** Which gateways a collector owns the energy state of, for `--partition k/N` (docs/decisions/0301). */
import type { SiteModel } from '../core/site/schema.ts';
import { rollupGroups } from './rollups.ts';

import { fnv1a } from '../core/hash.ts';

/** Re-exported: the partition key hash (FNV-1a). */
export { fnv1a };

/** A partition of the site's gateways: this collector is number `index` of `count`. */
export interface Partition {
  index: number;
  count: number;
}

/** Is this gateway's energy state owned by the partition? `unit` names its ownership unit (see below). */
export function ownsGateway(p: Partition, gateway: string, unit: ReadonlyMap<string, string> = new Map()): boolean {
  return fnv1a(unit.get(gateway) ?? gateway) % p.count === p.index;
}

/**
 * Ownership units: gateways whose meters meet in one rollup (a building total, a category, a virtual meter)
 * must be owned together, or two collectors would each write that rollup from half of its meters. Union-find
 * over the rollup groups; each gateway maps to the smallest gateway id of its unit.
 */
export function ownershipUnits(site: SiteModel): Map<string, string> {
  const parent = new Map(site.gateways.map((g) => [g.id, g.id]));
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const gatewayOf = new Map(site.devices.map((d) => [d.id, d.gateway]));
  for (const g of rollupGroups(site).groups) {
    const gws = [...g.plus, ...g.minus].map((m) => gatewayOf.get(m)).filter((x): x is string => x !== undefined);
    for (const other of gws.slice(1)) {
      const a = find(gws[0]);
      const b = find(other);
      if (a !== b) parent.set(a < b ? b : a, a < b ? a : b);
    }
  }
  return new Map([...parent.keys()].map((g) => [g, find(g)]));
}

/** Parse `k/N` (0 ≤ k < N); undefined for anything else. */
export function parsePartition(s: string): Partition | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return count >= 1 && index < count ? { index, count } : undefined;
}
