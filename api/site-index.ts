/** Look-ups over the site model that the routes share: ids, meter trees, per-medium root meters. */
import type { Building, Device, Medium, SiteModel, VirtualMeter } from '../core/site/schema.ts';
import { notFound } from './errors.ts';

/** A site model indexed for the API; built once at start-up. */
export class SiteIndex {
  readonly tz: string;
  readonly buildings = new Map<string, Building>();
  readonly devices = new Map<string, Device>();
  readonly virtualMeters = new Map<string, VirtualMeter>();
  /** org unit id → building id */
  readonly orgUnits = new Map<string, { building: string; name: string }>();

  constructor(readonly site: SiteModel) {
    this.tz = site.site.timezone ?? 'Asia/Shanghai';
    for (const b of site.buildings) {
      this.buildings.set(b.id, b);
      for (const o of b.org_units ?? []) this.orgUnits.set(o.id, { building: b.id, name: o.name });
    }
    for (const d of site.devices) this.devices.set(d.id, d);
    for (const v of site.virtual_meters ?? []) this.virtualMeters.set(v.id, v);
  }

  /** The building, or a 404. */
  building(id: string): Building {
    const b = this.buildings.get(id);
    if (!b) throw notFound('building', id);
    return b;
  }

  /** The device, or a 404. */
  device(id: string): Device {
    const d = this.devices.get(id);
    if (!d) throw notFound('device', id);
    return d;
  }

  /** Meters of a building (enabled, real devices) measuring a medium. */
  meters(buildingId: string, medium: Medium): Device[] {
    return this.site.devices.filter((d) => d.kind === 'meter' && d.building === buildingId && d.medium === medium && d.enabled !== false);
  }

  /**
   * Root meters of a building for a medium: meters without a parent. Their sum is the building's consumption;
   * summing children too would count energy twice (MOHURD 2008 meter tree).
   */
  rootMeters(buildingId: string, medium: Medium): Device[] {
    return this.meters(buildingId, medium).filter((d) => d.parent === undefined);
  }

  /** Buildings an aggregate scope covers: one building, an org unit's building(s), the site, the portfolio. */
  scopeBuildings(scope: 'building' | 'org_unit' | 'site', id?: string): Building[] {
    if (scope === 'site') return this.site.buildings;
    if (scope === 'building') return [this.building(id ?? '')];
    const o = this.orgUnits.get(id ?? '');
    if (!o) throw notFound('org unit', id ?? '');
    return [this.building(o.building)];
  }

  /** Meters attributed to an org unit (devices tagged with it), per medium. */
  orgUnitMeters(orgUnit: string, medium: Medium): Device[] {
    const meters = this.site.devices.filter((d) => d.kind === 'meter' && d.org_unit === orgUnit && d.medium === medium && d.enabled !== false);
    // The topmost meters among those attributed to the unit, so that a sub-meter under a unit meter is not counted twice.
    const ids = new Set(meters.map((m) => m.id));
    return meters.filter((m) => !(m.parent && ids.has(m.parent)));
  }
}
