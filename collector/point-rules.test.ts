/** Point rules from the catalogue of device models: ranges scaled by CT/PT, the exact roll-over, unknown templates. */
import { describe, expect, it } from 'vitest';
import { loadSite } from '../core/site/load.ts';
import type { Device } from '../core/site/schema.ts';
import { segmentQuantity } from './energy/counter.ts';
import { meterCounterRules } from './energy/meter-rules.ts';
import { devicePointRules } from './point-rules.ts';

const site = loadSite('config/demo-site.yaml');
const main = site.devices.find((d) => d.template === 'acrel-dtsd1352' && (d.ct_ratio ?? 1) === 200)!;
const MIN = 60_000;

describe('point rules', () => {
  it('scales a template range by the CT ratio and takes every point from the model', () => {
    const rules = devicePointRules(main);
    expect(rules.counterPoint).toBe('energy_import_kwh');
    // DTSD1352 import energy: range [0, 42 949 673] kWh on the secondary side, × CT 200 on the primary, 1 % slack
    expect(rules.points.get('energy_import_kwh')?.[1]).toBeCloseTo(42_949_673 * 200 * 1.01, 0);
    expect(rules.points.has('pt_ratio')).toBe(false); // read for information only, never published
    expect(rules.points.has('speed_of_light')).toBe(false);
  });

  it('wraps a counter at the exact modulus of its register times its scale, not its rounded range (#12.4)', () => {
    // DTSD1352 import energy is a u32 at 0.01 kWh: 2^32 × 0.01 = 42 949 672.96 kWh, × CT 200
    expect(devicePointRules(main).counterRollover).toBe(2 ** 32 * 0.01 * 200);
    // the water template: a u32 of litres at 0.001 m³
    const water = site.devices.find((d) => d.template === 'water-meter-modbus')!;
    expect(devicePointRules(water).counterRollover).toBe(2 ** 32 * 0.001);
    // a float counter has no register modulus
    const chint = site.devices.find((d) => d.template === 'chint-dtsu666')!;
    expect(devicePointRules(chint).counterRollover).toBeUndefined();
  });

  it('a wrap at CT 200 adds exactly the energy the register counted, no extra 0.04 kWh × CT × PT', () => {
    const rules = meterCounterRules(main, site.gateways.find((g) => g.id === main.gateway), devicePointRules(main));
    const value = (raw: number) => raw * 0.01 * 200; // what the gateway publishes for a raw register value
    const before = { ts: 0, value: value(2 ** 32 - 100) };
    const after = { ts: MIN, value: value(50) };
    const segment = segmentQuantity(before, after, rules);
    expect(segment.kind).toBe('rollover');
    expect(segment.quantity).toBeCloseTo(150 * 0.01 * 200, 6); // 300 kWh; the rounded range gave 308
  });

  it('a wrap of the water meter adds exactly the litres counted', () => {
    const water = site.devices.find((d) => d.template === 'water-meter-modbus')!;
    const rules = meterCounterRules(water, site.gateways.find((g) => g.id === water.gateway), devicePointRules(water));
    const segment = segmentQuantity({ ts: 0, value: (2 ** 32 - 1000) * 0.001 }, { ts: MIN, value: 500 * 0.001 }, rules);
    expect(segment.kind).toBe('rollover');
    expect(segment.quantity).toBeCloseTo(1.5, 9); // the rounded range gave 1.504
  });

  it('an unknown template is an error naming it, never a fallback to unit suffixes (#18 §2)', () => {
    const ghost: Device = { ...main, template: 'no-such-meter' };
    expect(() => devicePointRules(ghost)).toThrow(/no-such-meter\.yaml: file not found/);
  });
});
