/**
 * The benchmark's fleet: 200 realistic electricity meters (the demo site's models plus the SDM630) behind 50
 * Modbus TCP ports, four unit ids each, like TCP-to-RS-485 converters with four meters on each line.
 */
import type { SiteModel } from '../core/site/schema.ts';
import { loadTemplate } from '../gateway/devices/templates.ts';
import type { ModbusTemplate } from '../gateway/protocols/modbus/template.ts';

/** Simulator ports (connections). */
export const FLEET_PORTS = 50;
/** Unit ids behind each port. */
export const METERS_PER_PORT = 4;
/** Models, assigned round-robin. */
export const FLEET_TEMPLATES = ['chint-dtsu666', 'acrel-dtsd1352', 'acrel-adl400', 'eastron-sdm630'];

/** Template of meter `i` (0-based). */
export function fleetTemplate(i: number): ModbusTemplate {
  return loadTemplate(FLEET_TEMPLATES[i % FLEET_TEMPLATES.length]) as ModbusTemplate;
}

/** The fleet as a site model for one gateway, on the given simulator ports. */
export function fleetSite(ports: number[], pollIntervalS = 1): SiteModel {
  return {
    version: 1,
    site: { id: 'bench', name: 'bench', timezone: 'Asia/Shanghai' },
    buildings: [{ id: 'b1', name: 'bench', floor_area_m2: 1000 }],
    gateways: [{ id: 'gw-bench', poll_interval_s: pollIntervalS }],
    devices: ports.flatMap((port, p) => Array.from({ length: METERS_PER_PORT }, (_, u) => {
      const i = p * METERS_PER_PORT + u;
      return {
        id: `m${i}`, name: `meter ${i}`, kind: 'meter' as const, medium: 'electricity' as const, building: 'b1',
        gateway: 'gw-bench', template: fleetTemplate(i).id,
        address: { protocol: 'modbus-tcp' as const, host: '127.0.0.1', port, unit_id: u + 1 },
      };
    })),
  };
}
