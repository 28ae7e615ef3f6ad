/**
 * A site for the KPI and pipeline rules: the collector's test site plus a 100 kWp PV system (one SunSpec inverter
 * and an irradiance sensor on gw1) and a guaranteed-savings contract on the main meter (baseline September 2025,
 * reporting from 1 October 2025, the National Day holiday and its 调休 Saturday 11 October in the calendar).
 */
import { checkSite } from '../../core/site/load.ts';
import type { SiteModel } from '../../core/site/schema.ts';
import { collectorTestSite } from '../../collector/testing/site.ts';

const addr = (unit_id: number) => ({ protocol: 'modbus-tcp' as const, host: '127.0.0.1', port: 15999, unit_id });

/** collectorTestSite plus PV and a contract. */
export function kpiTestSite(siteId = 'kpi-site'): SiteModel {
  const site = collectorTestSite(siteId);
  return checkSite({
    ...site,
    devices: [
      ...site.devices,
      { id: 'pv-inv', name: '光伏逆变器', kind: 'inverter', medium: 'electricity', category: '01000', building: 'b1', gateway: 'gw1', template: 'sunspec-inverter', address: addr(5) },
      { id: 'pv-sun', name: '辐照仪', kind: 'sensor', building: 'b1', gateway: 'gw1', template: 'irradiance-sensor-rs485', address: addr(6) },
    ],
    pv_systems: [{ id: 'pv1', name: '一号楼屋顶光伏', building: 'b1', peak_power_kwp: 100, inverters: ['pv-inv'], irradiance_sensor: 'pv-sun' }],
    contracts: [{
      id: 'emc1', name: '一号楼照明节能改造（节能量保证型）', type: 'guaranteed-savings', meters: ['main'],
      baseline: { from: '2025-09-01', to: '2025-09-30' }, reporting: { from: '2025-10-01' }, guaranteed_kwh: 100_000,
    }],
  });
}
