/** The catalogue of device models: every shipped model loads; its points, ranges, roll-over and maximum power. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/yaml-file.ts';
import { listModels, loadModel } from './catalogue.ts';
import { maxPowerKw, rolloverOf } from './model.ts';

describe('catalogue of device models', () => {
  it.each(listModels())('%s loads with its published points', (id) => {
    const model = loadModel(id);
    expect(model.id).toBe(id);
    expect(model.points.size).toBeGreaterThan(0);
  });

  it('gives a point its unit, its instrument range and whether CT/PT scale it', () => {
    const p = loadModel('acrel-dtsd1352').points.get('energy_import_kwh');
    expect(p).toMatchObject({ unit: { symbol: 'kWh' }, range: [0, 42_949_673], ct: true, pt: true });
    expect(loadModel('acrel-dtsd1352').points.has('ct_ratio')).toBe(false); // publish: false
    expect(loadModel('hvac-ahu').points.get('supply_fan_on')?.unit.quantity).toBe('state');
  });

  it('wraps an integer register at 2^bits × scale, and knows no wrap for floats or run-time scales (#12.4)', () => {
    expect(loadModel('acrel-dtsd1352').points.get('energy_import_kwh')?.rollover).toBe(42_949_672.96);
    expect(loadModel('acrel-adl400').points.get('energy_import_kwh')?.rollover).toBe(2 ** 32 * 0.1);
    expect(loadModel('water-meter-modbus').points.get('water_m3')?.rollover).toBe(2 ** 32 * 0.001);
    expect(loadModel('gas-meter-modbus').points.get('gas_working_m3')?.rollover).toBe(2 ** 64 * 0.001);
    expect(loadModel('gas-meter-modbus').points.get('gas_m3')?.rollover).toBeUndefined(); // float64
    expect(loadModel('chint-dtsu666').points.get('energy_import_kwh')?.rollover).toBeUndefined();
    expect(rolloverOf({ type: 'uint32', scale_register: { address: 3 } })).toBeUndefined();
  });

  it('bounds a meter\'s power by its voltage and current ranges × CT × PT', () => {
    // DTSD1352: phase voltages to 500 V, three currents to 100 A: 3 × 500 × 100 / 1000 = 150 kW, × CT 40
    expect(maxPowerKw(loadModel('acrel-dtsd1352'), 40)).toBe(6000);
    expect(maxPowerKw(loadModel('water-meter-modbus'))).toBeUndefined();
  });

  it('an unknown id is a one-line error naming the file, never a fallback (#18 §2)', () => {
    expect(() => loadModel('no-such-meter')).toThrow(ConfigError);
    expect(() => loadModel('no-such-meter')).toThrow(/no-such-meter\.yaml: file not found/);
    expect(() => loadModel('../etc')).toThrow(/not a template id/);
  });

  it('refuses a point whose name carries no unit of the units catalogue, at its line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jieneng-models-'));
    writeFileSync(join(dir, 'x.yaml'), 'protocol: mqtt\nid: x\npoints:\n  - { point: flow_l_s, path: f }\n');
    expect(() => loadModel('x', dir)).toThrow(/x\.yaml:4: points\[0\]\.point: point 'flow_l_s': volume flow is m³\/h/);
  });
});
