/** Site models for tests: a slice of the demo site with its device ports moved to free loopback ports. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSite, loadSite } from '../../core/site/load.ts';
import type { SiteModel } from '../../core/site/schema.ts';
import { freePort, freeUdpPort } from './ports.ts';

export const DEMO_SITE_FILE = 'config/demo-site.yaml';

export interface TestSiteOptions {
  /** building ids to keep (default: the first and the last) */
  buildings?: string[];
  /** device ids to keep within those buildings (default: all) */
  devices?: string[];
  /** poll interval of every gateway */
  pollIntervalS?: number;
}

/**
 * The demo site cut down to a few buildings, each Modbus TCP port replaced by a free one, each BACnet/IP device
 * on a free UDP port and each gateway's BACnet/IP bus on one of its own.
 */
export async function testSite(opts: TestSiteOptions = {}): Promise<SiteModel> {
  const demo = loadSite(DEMO_SITE_FILE);
  const keepBuildings = new Set(opts.buildings ?? [demo.buildings[0].id, demo.buildings[demo.buildings.length - 1].id]);
  const keepDevices = opts.devices ? new Set(opts.devices) : undefined;
  const devices = demo.devices.filter((d) => keepBuildings.has(d.building) && (!keepDevices || keepDevices.has(d.id)));
  const kept = new Set(devices.map((d) => d.id));
  const ports = new Map<number, number>();
  for (const d of devices) {
    if (d.address.protocol === 'modbus-tcp' && !ports.has(d.address.port)) ports.set(d.address.port, await freePort());
  }
  const udp = new Map<string, number>();
  for (const d of devices) {
    if (d.address.protocol !== 'bacnet-ip') continue;
    udp.set(d.id, await freeUdpPort());
    if (!udp.has(`gateway:${d.gateway}`)) udp.set(`gateway:${d.gateway}`, await freeUdpPort());
  }
  const site: SiteModel = {
    ...demo,
    // heating and machine rooms name meters: only the kept ones stay named
    buildings: demo.buildings.filter((b) => keepBuildings.has(b.id))
      .map((b) => (b.heating ? { ...b, heating: { ...b.heating, meters: b.heating.meters?.filter((id) => kept.has(id)) } } : b)),
    machine_rooms: demo.machine_rooms?.filter((r) => keepBuildings.has(r.building)).map((r) => ({
      ...r, meters: Object.fromEntries(Object.entries(r.meters).map(([part, ids]) => [part, (ids ?? []).filter((id) => kept.has(id))])),
    })),
    gateways: demo.gateways
      .filter((g) => devices.some((d) => d.gateway === g.id))
      .map((g) => ({ ...g, poll_interval_s: opts.pollIntervalS ?? g.poll_interval_s })),
    devices: devices.map((d) => ({
      ...d,
      parent: d.parent && kept.has(d.parent) ? d.parent : undefined,
      address: d.address.protocol === 'modbus-tcp' ? { ...d.address, port: ports.get(d.address.port)! }
        : d.address.protocol === 'bacnet-ip' ? { ...d.address, port: udp.get(d.id)!, local_port: udp.get(`gateway:${d.gateway}`)! }
          : d.address,
    })),
    virtual_meters: undefined,
    pv_systems: undefined,
    contracts: undefined,
  };
  return checkSite(JSON.parse(JSON.stringify(site)));
}

/**
 * The whole demo site file copied into `dir` with each gateway's BACnet/IP bus (`local_port`) on a free UDP port, for
 * tests that run the demo's own gateways beside other tests doing the same. Returns the copy's path.
 */
export async function demoSiteOnFreeBusPorts(dir: string): Promise<string> {
  let text = readFileSync(DEMO_SITE_FILE, 'utf8');
  for (const port of new Set([...text.matchAll(/local_port: (\d+)/g)].map((m) => m[1]))) {
    text = text.replaceAll(`local_port: ${port}`, `local_port: ${await freeUdpPort()}`);
  }
  const file = join(dir, 'demo-site.yaml');
  writeFileSync(file, text);
  return file;
}
