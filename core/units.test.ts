/** The units catalogue: one unit per suffix, one suffix per unit, and every point of every shipped template resolves. */
import { describe, expect, it } from 'vitest';
import { listModels, loadModel } from './devices/catalogue.ts';
import { conversionFor, declaredUnitProblem, deviceUnitSymbol, POINT_UNITS, pointUnitProblem, rangeOfPoint, suffixesMatching, unitOfPoint } from './units.ts';

/** Every published point of every model in the catalogue (its own loader checks names too; this proves the count). */
function templatePoints(): Array<[string, string]> {
  return listModels().flatMap((id) => [...loadModel(id).points.keys()].map((point): [string, string] => [id, point]));
}

describe('units catalogue', () => {
  it('has one suffix per unit symbol (dimensionless quantities aside)', () => {
    const symbols = POINT_UNITS.filter((u) => u.symbol !== '').map((u) => u.symbol);
    expect(new Set(symbols).size).toBe(symbols.length);
    expect(new Set(POINT_UNITS.map((u) => u.suffix)).size).toBe(POINT_UNITS.length);
  });

  it.each(templatePoints())('%s: %s resolves to exactly one unit', (_file, point) => {
    expect(suffixesMatching(point), point).toHaveLength(1);
    expect(unitOfPoint(point), pointUnitProblem(point)).toBeDefined();
  });

  it('reads the spellings of decision 0602 and the meter templates', () => {
    const symbol = (p: string) => unitOfPoint(p)?.symbol;
    expect(symbol('energy_import_kwh')).toBe('kWh');
    expect(symbol('power_kw')).toBe('kW');
    expect(symbol('chw_flow_m3h')).toBe('m³/h');
    expect(symbol('water_m3')).toBe('m³');
    expect(symbol('irradiance_w_m2')).toBe('W/m²');
    expect(symbol('irradiation_today_kwh_m2')).toBe('kWh/m²');
    expect(symbol('filter_dp_kpa')).toBe('kPa');
    expect(symbol('valve_pct')).toBe('%');
    expect(symbol('power_factor')).toBe('');
    expect(unitOfPoint('supply_fan_on')?.quantity).toBe('state');
    expect(rangeOfPoint('supply_fan_on')).toEqual([0, 1]);
    expect(rangeOfPoint('power_factor')).toEqual([-1, 1]);
    expect(unitOfPoint('speed_of_light')).toBeUndefined();
  });

  it('refuses the spellings that read as another unit, naming the right one (#18 §1)', () => {
    expect(unitOfPoint('flow_m3_h')).toBeUndefined(); // was hours in one table, m³/h in another
    expect(pointUnitProblem('flow_m3_h')).toMatch(/'_m3h'/);
    expect(unitOfPoint('flow_l_s')).toBeUndefined(); // was seconds
    expect(pointUnitProblem('flow_l_s')).toMatch(/'_m3h'/);
    expect(unitOfPoint('valve_percent')).toBeUndefined();
    expect(pointUnitProblem('valve_percent')).toMatch(/'_pct'/);
    expect(pointUnitProblem('speed_of_light')).toMatch(/must end in a unit suffix/);
  });

  it('converts what a device reports to the unit of the name, and back', () => {
    expect(conversionFor('power_kw', 'W').toCanonical(5400)).toBeCloseTo(5.4, 9);
    expect(conversionFor('supply_temp_c', '°F').toCanonical(212)).toBeCloseTo(100, 9);
    expect(conversionFor('supply_temp_c', '°F').toDevice(0)).toBeCloseTo(32, 9);
    expect(conversionFor('chw_flow_m3h', 'l/s').toCanonical(10)).toBeCloseTo(36, 9);
    expect(conversionFor('filter_dp_kpa', 'Pa').toCanonical(250)).toBeCloseTo(0.25, 9);
    expect(conversionFor('heat_kwh', 'MJ').toCanonical(36)).toBeCloseTo(10, 9);
    expect(() => conversionFor('power_kw', '°C')).toThrow('device reports °C (temperature) for a power point');
    expect(() => conversionFor('power_kw', 'furlong')).toThrow(/no conversion to kW/);
    expect(deviceUnitSymbol('m3/h')).toBe('m³/h');
    expect(deviceUnitSymbol('degC')).toBe('°C');
  });

  it('checks the unit a template row declares against its name', () => {
    expect(declaredUnitProblem('power_kw', 'kW')).toBeUndefined();
    expect(declaredUnitProblem('power_kw', 'W')).toMatch(/'W' is not the unit the name 'power_kw' carries \('kW'\)/);
    expect(declaredUnitProblem('power_factor', '1')).toMatch(/carries \(''\)/);
  });
});
