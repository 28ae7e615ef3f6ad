/**
 * Who files a return (填表单位): the whole institution (the site: its buildings' totals, every PV system, machine
 * room and heating building) or one org unit (`--org-unit ID`: its topmost meters, its own area and headcount from
 * the site model's org_units, the machine rooms attributed to it, and the heating of its building).
 */
import { buildingYear } from '../../core/site/load.ts';
import type { Building, MachineRoom, Medium } from '../../core/site/schema.ts';
import { notFound } from '../errors.ts';
import { siteOrBuildingSource } from '../scope.ts';
import type { RollupSource } from '../series.ts';
import type { SiteIndex } from '../site-index.ts';

/** A filer and where its figures come from. */
export interface Filer {
  kind: 'site' | 'org_unit';
  id: string;
  name: string;
  unified_social_credit_code: string | null;
  address: string | null;
  buildings: Building[];
  /** the manual entries of the filer: null = the institution's own (the site also adds the org units' period entries) */
  org_unit: string | null;
  source(medium: Medium): RollupSource;
  /** the inverters of its PV systems */
  inverters: string[];
  machineRooms: MachineRoom[];
  /** buildings that heat (NY203) */
  heating: Building[];
  floorArea(year: number): number | null;
  headcount(year: number): number | null;
}

/** The filer of a return: the site, or the org unit `orgUnit` (404 when unknown). */
export function filerOf(index: SiteIndex, orgUnit?: string): Filer {
  const site = index.site;
  if (orgUnit === undefined) {
    const buildings = site.buildings;
    return {
      kind: 'site', id: site.site.id, name: site.site.name, unified_social_credit_code: site.site.unified_social_credit_code ?? null,
      // the site model keeps addresses per building: the first building's stands for the institution
      address: buildings[0].address ?? null, buildings, org_unit: null,
      // as /kpi/comprehensive-energy reads the site: its site totals where complete, else its buildings' totals
      source: (m) => siteOrBuildingSource({ index }, buildings, m),
      inverters: (site.pv_systems ?? []).flatMap((s) => s.inverters),
      machineRooms: site.machine_rooms ?? [],
      heating: buildings.filter((b) => b.heating !== undefined),
      floorArea: (year) => buildings.reduce((a, b) => a + buildingYear(b, year).floor_area_m2, 0),
      headcount: (year) => {
        let people: number | null = 0;
        for (const b of buildings) { const h = buildingYear(b, year).headcount; people = people === null || h === undefined ? null : people + h; }
        return people;
      },
    };
  }
  const ou = index.orgUnits.get(orgUnit);
  if (!ou) throw notFound('org unit', orgUnit);
  const building = index.building(ou.building);
  const unit = (building.org_units ?? []).find((o) => o.id === orgUnit);
  const year = (y: number) => unit?.years?.find((r) => r.year === y);
  return {
    kind: 'org_unit', id: orgUnit, name: ou.name, unified_social_credit_code: unit?.unified_social_credit_code ?? null,
    address: building.address ?? null, buildings: [building], org_unit: orgUnit,
    source: (m) => {
      const ids = index.orgUnitMeters(orgUnit, m).map((d) => d.id);
      return { kind: 'meters', ids, meters: ids.length };
    },
    inverters: [],
    machineRooms: (site.machine_rooms ?? []).filter((r) => r.org_unit === orgUnit),
    heating: building.heating ? [building] : [],
    floorArea: (y) => year(y)?.floor_area_m2 ?? unit?.floor_area_m2 ?? null,
    headcount: (y) => year(y)?.headcount ?? null,
  };
}
