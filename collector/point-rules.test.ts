/** Physical ranges from templates (scaled by CT/PT like the gateway scales values) and from unit suffixes. */
import { describe, expect, it } from 'vitest';
import { loadSite } from '../core/site/load.ts';
import { devicePointRules } from './point-rules.ts';

describe('point rules', () => {
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
