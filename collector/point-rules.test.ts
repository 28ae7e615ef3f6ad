/** Physical ranges from templates (scaled by CT/PT like the gateway scales values) and from unit suffixes. */
import { describe, expect, it } from 'vitest';
import { loadSite } from '../core/site/load.ts';
import { devicePointRules, rangeFromName } from './point-rules.ts';

describe('point rules', () => {
  it('knows every suffix of decision 0602 and the meter templates', () => {
    for (const p of ['energy_import_kwh', 'power_kw', 'water_m3', 'chw_flow_m3h', 'supply_fan_on', 'co2_ppm', 'supply_temp_c',
      'valve_pct', 'run_h', 'duct_pressure_pa', 'frequency_hz', 'voltage_l1_v', 'current_l1_a', 'irradiance_w_m2', 'power_factor', 'ahu_mode']) {
      expect(rangeFromName(p), p).toBeDefined();
    }
    expect(rangeFromName('speed_of_light')).toBeUndefined();
    expect(rangeFromName('supply_fan_on')).toEqual([0, 1]);
  });

  it('scales a template range by the CT ratio and derives the roll-over of the counter', () => {
    const site = loadSite('config/demo-site.yaml');
    const main = site.devices.find((d) => d.template === 'acrel-dtsd1352' && (d.ct_ratio ?? 1) === 200)!;
    const rules = devicePointRules(main);
    // DTSD1352 import energy: uint32 × 0.01 → [0, 42 949 673] kWh on the secondary side, × CT 200 on the primary
    expect(rules.counterPoint).toBe('energy_import_kwh');
    expect(rules.counterRollover).toBe(42_949_673 * 200);
    expect(rules.points?.get('energy_import_kwh')?.[1]).toBeCloseTo(42_949_673 * 200 * 1.01, 0);
    expect(rules.points?.has('pt_ratio')).toBe(false); // read for information only, never published
  });
});
