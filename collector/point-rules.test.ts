/** Point rules from the catalogue of device models: ranges scaled by CT/PT, the exact roll-over, unknown templates. */
import { describe, expect, it } from 'vitest';
import { loadSite } from '../core/site/load.ts';
import type { Device } from '../core/site/schema.ts';
import { devicePointRules } from './point-rules.ts';

const site = loadSite('config/demo-site.yaml');
const main = site.devices.find((d) => d.template === 'acrel-dtsd1352' && (d.ct_ratio ?? 1) === 200)!;

describe('point rules', () => {
  it('scales a template range by the CT ratio and takes every point from the model', () => {
    const rules = devicePointRules(main);
    expect(rules.counterPoint).toBe('energy_import_kwh');
    // DTSD1352 import energy: range [0, 42 949 673] kWh on the secondary side, × CT 200 on the primary, 1 % slack
    expect(rules.points.get('energy_import_kwh')?.[1]).toBeCloseTo(42_949_673 * 200 * 1.01, 0);
    expect(rules.points.has('pt_ratio')).toBe(false); // read for information only, never published
    expect(rules.points.has('speed_of_light')).toBe(false);
  });

  it('an unknown template is an error naming it, never a fallback to unit suffixes (#18 §2)', () => {
    const ghost: Device = { ...main, template: 'no-such-meter' };
    expect(() => devicePointRules(ghost)).toThrow(/no-such-meter\.yaml: file not found/);
  });
});
