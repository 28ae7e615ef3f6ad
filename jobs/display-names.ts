/**
 * The names the boards show (decision 0408): one `display_name` row per site, building, device, gateway, PV
 * system and contract, tagged with what the boards filter on and carrying `label` = `<id>=<name>`, which a
 * Grafana variable splits into value (the id its queries use) and text (the name people read). Rewritten with
 * every KPI run, so a renamed building shows its new name (`last("label")` picks the newest row).
 */
import { MEASUREMENT } from '../core/measurements.ts';
import type { SiteModel } from '../core/site/schema.ts';
import type { StoredPoint } from '../storage/port.ts';

/** The lookup rows of a site model, stamped `time`. */
export function displayNameRows(site: SiteModel, time: number): StoredPoint[] {
  const siteId = site.site.id;
  const row = (kind: string, id: string, name: string, tags: Record<string, string> = {}): StoredPoint => ({
    measurement: MEASUREMENT.displayName, tags: { site: siteId, kind, id, ...tags }, fields: { name, label: `${id}=${name}` }, time,
  });
  const pvOf = new Map<string, string>();
  for (const pv of site.pv_systems ?? []) {
    for (const id of pv.inverters) pvOf.set(id, pv.id);
    if (pv.irradiance_sensor) pvOf.set(pv.irradiance_sensor, pv.id);
  }
  return [
    row('site', siteId, site.site.name ?? siteId),
    ...site.buildings.map((b) => row('building', b.id, b.name ?? b.id)),
    ...site.gateways.map((g) => row('gateway', g.id, (g as { name?: string }).name ?? g.id)),
    ...site.devices.filter((d) => d.enabled !== false).map((d) => {
      const pv = pvOf.get(d.id);
      return row('device', d.id, d.name ?? d.id, { building: d.building, device_kind: d.kind, ...(pv ? { pv_system: pv } : {}) });
    }),
    ...(site.pv_systems ?? []).map((pv) => row('pv_system', pv.id, pv.name ?? pv.id, { building: pv.building })),
    ...(site.contracts ?? []).map((c) => row('contract', c.id, c.name ?? c.id)),
  ];
}
