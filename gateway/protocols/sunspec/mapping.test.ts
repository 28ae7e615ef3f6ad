import { describe, expect, it } from 'vitest';
import { loadTemplateOf } from '../../devices/templates.ts';
import { decodeModel, encodeModel, type DecodedModel } from './codec.ts';
import { mapPoints } from './mapping.ts';
import { modelLayout } from './models.ts';
import { checkSunspecTemplate, type SunspecTemplate } from './template.ts';

const template = loadTemplateOf('sunspec', 'sunspec-inverter');
const model = (id: number, points: Record<string, number | string | null>, blocks?: Record<string, number | null>[]): [number, DecodedModel] => {
  const layout = modelLayout(id)!;
  return [id, decodeModel(layout, encodeModel(layout, { points, blocks }), 40000)];
};

describe('SunSpec template mapping', () => {
  it('reads a single-phase inverter (model 101) through the rows that list it, skipping three-phase-only points', () => {
    const points = mapPoints(template, new Map([model(101, { W: 4_560, WH: 12_345_678, Hz: 50.02, PhVphA: 229.9, AphA: 19.8, St: 4, PF: 100 })]));
    expect(points.power_ac_kw).toEqual({ value: 4.56, quality: 'good' });
    expect(points.energy_yield_kwh.value).toBeCloseTo(12_345.678, 3);
    expect(points.voltage_l1_v.value).toBeCloseTo(229.9, 1);
    expect(points.inverter_state.value).toBe(4);
    expect(points.current_l3_a).toBeUndefined(); // model 101 has no phase C
    expect(points.temp_inverter_c).toEqual({ value: null, quality: 'bad', reason: 'not implemented by the device (SunSpec 101.TmpCab)' });
  });

  it('expands MPPT blocks into numbered points and flags impossible values', () => {
    const blocks = [1, 2, 3].map((n) => ({ ID: n, DCW: 5_000 * n, DCV: 610, DCA: 8.2 * n, DCWH: 1_000_000 * n }));
    const points = mapPoints(template, new Map([model(160, { N: 3 }, blocks), model(103, { W: 9_999_000, St: 4 })]));
    expect(points.mppt3_power_dc_kw.value).toBeCloseTo(15, 6);
    expect(points.mppt2_energy_dc_kwh.value).toBeCloseTo(2_000, 6);
    expect(points.power_ac_kw.quality).toBe('bad'); // 9 999 kW is outside the template's physical range
    expect(points.power_ac_kw.reason).toMatch(/outside the physical range/);
  });

  it('rejects template rows that name points absent from the official definition', () => {
    const bad = { ...template, points: [{ point: 'power_ac_kw', models: [103], name: 'Watts', unit: 'kW' }] } as SunspecTemplate;
    expect(checkSunspecTemplate(bad)).toEqual({ path: 'points[0].name', problem: "model 103 has no point 'Watts'" });
    const noN = { ...template, points: [{ point: 'mppt_power_dc_kw', models: [160], name: 'DCW', block: 'each', unit: 'kW' }] } as SunspecTemplate;
    expect(checkSunspecTemplate(noN)?.problem).toMatch(/needs '\{n\}'/);
    const unknownModel = { ...template, points: [{ point: 'x_kw', models: [999], name: 'W', unit: 'kW' }] } as SunspecTemplate;
    expect(checkSunspecTemplate(unknownModel)?.problem).toMatch(/model 999 is not among the shipped definitions/);
  });
});
