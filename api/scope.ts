/**
 * The aggregation scopes of the analytics routes: a building, an org unit, the site, or a portfolio (a list of
 * buildings, default all). A scope says which meters carry its consumption and which areas and headcounts
 * divide it.
 */
import { buildingYear } from '../core/site/load.ts';
import type { Building, Medium } from '../core/site/schema.ts';
import type { ApiContext } from './context.ts';
import { badParameter, notFound } from './errors.ts';
import { enumParam, stringParam, type Query } from './params.ts';
import { warn, type Warning } from './domain/warnings.ts';
import type { RollupSource } from './series.ts';

/** Scope kinds. */
export const SCOPES = ['building', 'org_unit', 'site', 'portfolio'] as const;
export type ScopeKind = typeof SCOPES[number];

/** A resolved scope. */
export interface Scope {
  kind: ScopeKind;
  id: string;
  name: string;
  buildings: Building[];
  /** meter ids whose sum is the scope's consumption of a medium (root meters; an org unit's topmost meters) */
  meters(medium: Medium): string[];
  /** where the scope's consumption of a medium is read: its buildings' totals, or (org unit) its meters' rows */
  source(medium: Medium): RollupSource;
  /** media with at least one meter in the scope */
  media(): Medium[];
  /** Σ floor area and Σ headcount of the year; undefined where unknown, with the reason */
  denominators(year: number): { floor_area_m2?: number; headcount?: number; warnings: Warning[] };
}

const MEDIA: Medium[] = ['electricity', 'water', 'gas', 'heat', 'cooling'];

/** Resolve `scope`, `id` (building, org unit) and `buildings` (portfolio: comma-separated ids). */
export function resolveScope(ctx: ApiContext, query: Query): Scope {
  const kind = enumParam(query, 'scope', SCOPES, 'site');
  const { index } = ctx;
  if (kind === 'org_unit') {
    const id = stringParam(query, 'id', true);
    const ou = index.orgUnits.get(id);
    if (!ou) throw notFound('org unit', id);
    const building = index.building(ou.building);
    return {
      kind, id, name: ou.name, buildings: [building],
      meters: (m) => index.orgUnitMeters(id, m).map((d) => d.id),
      source: (m) => {
        const ids = index.orgUnitMeters(id, m).map((d) => d.id);
        return { kind: 'meters', ids, meters: ids.length };
      },
      media: () => MEDIA.filter((m) => index.orgUnitMeters(id, m).length > 0),
      denominators: () => ({ warnings: [warn('no_org_unit_denominators', 'floor area and headcount are kept per building, not per org unit: no intensity for an org unit')] }),
    };
  }
  let buildings: Building[];
  let id: string;
  let name: string;
  if (kind === 'building') {
    id = stringParam(query, 'id', true);
    buildings = [index.building(id)];
    name = buildings[0].name;
  } else if (kind === 'portfolio') {
    const list = stringParam(query, 'buildings');
    const ids = list ? list.split(',').map((s) => s.trim()).filter(Boolean) : index.site.buildings.map((b) => b.id);
    if (ids.length === 0) throw badParameter('buildings', 'give at least one building id');
    buildings = ids.map((b) => index.building(b));
    id = ids.join(',');
    name = `${buildings.length} buildings`;
  } else {
    if (stringParam(query, 'id') !== undefined && stringParam(query, 'id') !== index.site.site.id) throw notFound('site', stringParam(query, 'id') as string);
    buildings = index.site.buildings;
    id = index.site.site.id;
    name = index.site.site.name;
  }
  const meters = (m: Medium) => buildings.flatMap((b) => index.rootMeters(b.id, m).map((d) => d.id));
  return {
    kind, id, name, buildings, meters,
    source: (m) => (kind === 'building' ? buildingSource(ctx, buildings, m) : siteOrBuildingSource(ctx, buildings, m)),
    media: () => MEDIA.filter((m) => meters(m).length > 0),
    denominators: (year) => {
      const warnings: Warning[] = [];
      let area = 0, people = 0, peopleKnown = true;
      for (const b of buildings) {
        const y = buildingYear(b, year);
        area += y.floor_area_m2;
        if (y.headcount === undefined) peopleKnown = false;
        else people += y.headcount;
      }
      if (!peopleKnown) warnings.push(warn('no_headcount', `用能人数 for ${year} is not configured for every building in the scope: no per-capita figures`));
      return { floor_area_m2: area, headcount: peopleKnown ? people : undefined, warnings };
    },
  };
}

/**
 * The building totals the collector writes for a medium (energy_building_*, category MEDIUM_TOTAL_CATEGORY = the
 * sum of each building's root meters, as `rootMeters` names them): one series per building (decision 0404).
 */
export function buildingSource(ctx: Pick<ApiContext, 'index'>, buildings: Building[], medium: Medium): RollupSource {
  const ids: string[] = [];
  let meters = 0;
  for (const b of buildings) {
    const n = ctx.index.rootMeters(b.id, medium).length;
    if (n > 0) ids.push(b.id);
    meters += n;
  }
  return { kind: 'buildings', ids, meters };
}

/**
 * A site or portfolio scope: the site totals (decision 0407) when its buildings are every building of the site
 * with meters of the medium — the same root meters, so the same figures — else its buildings' totals.
 */
export function siteOrBuildingSource(ctx: Pick<ApiContext, 'index'>, buildings: Building[], medium: Medium): RollupSource {
  const source = buildingSource(ctx, buildings, medium);
  const all = buildingSource(ctx, ctx.index.site.buildings, medium);
  const mine = new Set(source.ids);
  return all.ids.length > 0 && all.ids.every((b) => mine.has(b)) && mine.size === all.ids.length && source.meters === all.meters
    ? { ...source, kind: 'site' } : source;
}
