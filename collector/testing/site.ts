/** A small site for collector tests: a meter tree, a water meter and a virtual meter, built in code. */
import { checkSite } from '../../core/site/load.ts';
import type { SiteModel } from '../../core/site/schema.ts';

const addr = (unit_id: number) => ({ protocol: 'modbus-tcp' as const, host: '127.0.0.1', port: 15999, unit_id });

/**
 * Site `siteId` (tests sharing one broker each use their own, so their topics never meet). Building b1: main (01000)
 * over lighting (01A00) and hvac (01B00); b2: one water meter; b1-rest = main − lighting − hvac. Real catalogue
 * models, so points are judged as in production; the electricity meters sit behind CTs of 200, so their maximum
 * power (3 × 500 V × 100 A × 200 = 30 MW) admits the test streams, which advance up to 1.375 kWh a second.
 */
export function collectorTestSite(siteId = 'test-site'): SiteModel {
  return checkSite({
    version: 1,
    site: { id: siteId, name: '测试站点', timezone: 'Asia/Shanghai' },
    buildings: [
      { id: 'b1', name: '一号楼', floor_area_m2: 1000 },
      { id: 'b2', name: '二号楼', floor_area_m2: 500 },
    ],
    gateways: [{ id: 'gw1', poll_interval_s: 60 }, { id: 'gw2', poll_interval_s: 60 }],
    devices: [
      { id: 'main', name: '总表', kind: 'meter', medium: 'electricity', category: '01000', building: 'b1', gateway: 'gw1', template: 'chint-dtsu666', ct_ratio: 200, address: addr(1) },
      { id: 'lighting', name: '照明', kind: 'meter', medium: 'electricity', category: '01A00', parent: 'main', building: 'b1', gateway: 'gw1', template: 'chint-dtsu666', ct_ratio: 200, address: addr(2) },
      { id: 'hvac', name: '空调', kind: 'meter', medium: 'electricity', category: '01B00', parent: 'main', building: 'b1', gateway: 'gw1', template: 'chint-dtsu666', ct_ratio: 200, address: addr(3), counter_rollover: 100_000 },
      { id: 'water', name: '水表', kind: 'meter', medium: 'water', category: '02000', building: 'b2', gateway: 'gw2', template: 'water-meter-modbus', address: addr(4) },
    ],
    virtual_meters: [{ id: 'b1-rest', name: '其他', building: 'b1', medium: 'electricity', plus: ['main'], minus: ['lighting', 'hvac'] }],
  });
}
