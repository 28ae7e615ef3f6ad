/** Units of points: from the device template where it lists the point, else from the name's suffix. */
import { describe, expect, it } from 'vitest';
import { loadTemplate } from '../gateway/devices/templates.ts';
import { templateUnitsFrom, unitOfPoint } from './units.ts';

describe('point units', () => {
  it('reads the suffix of canonical names', () => {
    expect(unitOfPoint('power_kw')).toBe('kW');
    expect(unitOfPoint('energy_import_kwh')).toBe('kWh');
    expect(unitOfPoint('irradiance_w_m2')).toBe('W/m²');
    expect(unitOfPoint('supply_temp_c')).toBe('°C');
    expect(unitOfPoint('flow_m3_h')).toBe('m³/h');
    expect(unitOfPoint('power_factor')).toBe('');
    expect(unitOfPoint('valve_open')).toBe('');
  });

  it('prefers the shipped template, and survives an unknown one', () => {
    const units = templateUnitsFrom((id) => loadTemplate(id));
    expect(units('sunspec-inverter').get('energy_yield_kwh')).toBe('kWh');
    expect(units('water-meter-modbus').get('flow_m3_h')).toBe('m³/h');
    expect(units('no-such-template').size).toBe(0);
  });
});
