/** The one loader of the site model: schema first, then the references between its parts. */
import { dirname, resolve } from 'node:path';
import { ConfigError, displayPath, lineOf, readYaml, validate, type SourceDoc } from '../config/yaml-file.ts';
import { useTemplateDir } from '../devices/catalogue.ts';
import { SiteModel, type Building, type Device } from './schema.ts';

export { ConfigError } from '../config/yaml-file.ts';

/** Read, validate and cross-check a site model file. Throws ConfigError naming file, path, line and problem. */
export function loadSite(file: string): SiteModel {
  const { value, source } = readYaml(file);
  return checkSite(value, file, source);
}

/** Validate an already-parsed site model (tests and tools that build one in code). */
export function checkSite(value: unknown, file = '(site model)', source?: SourceDoc): SiteModel {
  const site = validate(SiteModel, value, file, source);
  checkReferences(site, file, source);
  const dir = site.site.templates_dir;
  if (dir !== undefined) {
    // The integrator's templates join the search path of this process, for every part that reads the site.
    const base = source ? dirname(file) : process.cwd();
    try {
      useTemplateDir(resolve(base, dir));
    } catch (err) {
      throw new ConfigError(file, 'site.templates_dir', (err as ConfigError).problem, lineOf(source, ['site', 'templates_dir']));
    }
  }
  return site;
}

function checkReferences(site: SiteModel, file: string, source?: SourceDoc): void {
  const fail = (path: (string | number)[], problem: string): never => {
    throw new ConfigError(file, displayPath(path), problem, lineOf(source, path));
  };
  const unique = <T extends { id: string }>(items: T[] | undefined, section: string, ids = new Map<string, string>()) => {
    (items ?? []).forEach((item, i) => {
      const seen = ids.get(item.id);
      if (seen) fail([section, i, 'id'], `duplicate id '${item.id}' (already used by ${seen})`);
      ids.set(item.id, `${section}[${i}]`);
    });
    return ids;
  };

  const buildings = unique(site.buildings, 'buildings');
  const gateways = unique(site.gateways, 'gateways');
  // Devices and virtual meters share one id space: both can be referenced as meters.
  const meterIds = unique(site.devices, 'devices');
  unique(site.virtual_meters, 'virtual_meters', meterIds);
  unique(site.pv_systems, 'pv_systems');
  unique(site.contracts, 'contracts');

  const orgUnits = new Map<string, Set<string>>();
  site.buildings.forEach((b: Building) => orgUnits.set(b.id, new Set((b.org_units ?? []).map((o) => o.id))));
  const devicesById = new Map(site.devices.map((d) => [d.id, d]));

  site.devices.forEach((d: Device, i) => {
    if (!buildings.has(d.building)) fail(['devices', i, 'building'], `unknown building '${d.building}'`);
    if (!gateways.has(d.gateway)) fail(['devices', i, 'gateway'], `unknown gateway '${d.gateway}'`);
    if (d.org_unit && !orgUnits.get(d.building)?.has(d.org_unit)) {
      fail(['devices', i, 'org_unit'], `unknown org unit '${d.org_unit}' in building '${d.building}'`);
    }
    if (d.kind === 'meter' && !d.medium) fail(['devices', i], "a meter needs 'medium' (electricity, water, gas, heat, cooling)");
    if (d.parent !== undefined) {
      const parent = devicesById.get(d.parent);
      if (!parent) fail(['devices', i, 'parent'], `unknown parent meter '${d.parent}'`);
      else if (parent.medium !== d.medium) fail(['devices', i, 'parent'], `parent '${d.parent}' measures ${parent.medium}, this meter ${d.medium}`);
      let hop: Device | undefined = parent;
      for (let depth = 0; hop; depth++) {
        if (hop.id === d.id || depth > site.devices.length) fail(['devices', i, 'parent'], 'the meter tree has a cycle');
        hop = hop.parent ? devicesById.get(hop.parent) : undefined;
      }
    }
  });

  (site.virtual_meters ?? []).forEach((v, i) => {
    if (!buildings.has(v.building)) fail(['virtual_meters', i, 'building'], `unknown building '${v.building}'`);
    for (const key of ['plus', 'minus'] as const) {
      (v[key] ?? []).forEach((ref, j) => {
        if (!devicesById.has(ref)) fail(['virtual_meters', i, key, j], `unknown meter '${ref}'`);
      });
    }
  });

  (site.pv_systems ?? []).forEach((pv, i) => {
    if (!buildings.has(pv.building)) fail(['pv_systems', i, 'building'], `unknown building '${pv.building}'`);
    pv.inverters.forEach((ref, j) => {
      if (devicesById.get(ref)?.kind !== 'inverter') fail(['pv_systems', i, 'inverters', j], `'${ref}' is not an inverter device`);
    });
    for (const key of ['irradiance_sensor', 'export_meter'] as const) {
      const ref = pv[key];
      if (ref !== undefined && !devicesById.has(ref)) fail(['pv_systems', i, key], `unknown device '${ref}'`);
    }
  });

  // org unit ids are site-wide: the API and the returns name a unit by its id alone
  const unitIds = new Map<string, string>();
  site.buildings.forEach((b, i) => {
    (b.org_units ?? []).forEach((o, j) => {
      const seen = unitIds.get(o.id);
      if (seen) fail(['buildings', i, 'org_units', j, 'id'], `duplicate org unit id '${o.id}' (already used by ${seen})`);
      unitIds.set(o.id, `buildings[${i}].org_units[${j}]`);
    });
    (b.heating?.meters ?? []).forEach((ref, j) => {
      const d = devicesById.get(ref);
      if (!d || d.kind !== 'meter') fail(['buildings', i, 'heating', 'meters', j], `unknown meter '${ref}'`);
      else if (d.building !== b.id) fail(['buildings', i, 'heating', 'meters', j], `meter '${ref}' is in building '${d.building}'`);
    });
  });
  unique(site.machine_rooms, 'machine_rooms');
  (site.machine_rooms ?? []).forEach((r, i) => {
    if (!buildings.has(r.building)) fail(['machine_rooms', i, 'building'], `unknown building '${r.building}'`);
    if (r.org_unit && !orgUnits.get(r.building)?.has(r.org_unit)) fail(['machine_rooms', i, 'org_unit'], `unknown org unit '${r.org_unit}' in building '${r.building}'`);
    for (const part of ['it', 'cooling', 'distribution'] as const) {
      (r.meters[part] ?? []).forEach((ref, j) => {
        const d = devicesById.get(ref);
        if (!d || d.kind !== 'meter') fail(['machine_rooms', i, 'meters', part, j], `unknown meter '${ref}'`);
        else if (d.medium !== 'electricity') fail(['machine_rooms', i, 'meters', part, j], `meter '${ref}' measures ${d.medium}, not electricity`);
      });
    }
  });

  (site.contracts ?? []).forEach((c, i) => {
    c.meters.forEach((ref, j) => {
      if (!meterIds.has(ref)) fail(['contracts', i, 'meters', j], `unknown meter '${ref}'`);
    });
    if (c.baseline.from >= c.baseline.to) fail(['contracts', i, 'baseline'], "'from' must be before 'to'");
    if (c.reporting.from < c.baseline.to) fail(['contracts', i, 'reporting', 'from'], 'the reporting period must start after the baseline period');
  });
}

/** The building's year record (headcount, area) for a calendar year, falling back to the static area. */
export function buildingYear(b: Building, year: number): { floor_area_m2: number; headcount?: number } {
  const y = b.years?.find((r) => r.year === year);
  return { floor_area_m2: y?.floor_area_m2 ?? b.floor_area_m2, headcount: y?.headcount };
}
