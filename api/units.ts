/** The unit of a canonical point name, read from its suffix (DESIGN.md boundary 3: point names carry units). */

const SUFFIX_UNITS: [string, string][] = [
  ['_w_m2', 'W/m²'], ['_kwh', 'kWh'], ['_kvarh', 'kvarh'], ['_kvar', 'kvar'], ['_kva', 'kVA'], ['_kw', 'kW'],
  ['_w', 'W'], ['_m3_h', 'm³/h'], ['_m3', 'm³'], ['_l_s', 'L/s'], ['_c', '°C'], ['_pct', '%'], ['_percent', '%'],
  ['_v', 'V'], ['_a', 'A'], ['_hz', 'Hz'], ['_pa', 'Pa'], ['_kpa', 'kPa'], ['_rh', '%RH'], ['_ppm', 'ppm'],
  ['_s', 's'], ['_h', 'h'], ['_pf', ''],
];

/** `power_kw` → `kW`; a name without a known suffix (a state, a count) has no unit: ''. */
export function unitOfPoint(point: string): string {
  if (point === 'power_factor' || point.endsWith('_pf')) return '';
  for (const [suffix, unit] of SUFFIX_UNITS) if (point.endsWith(suffix)) return unit;
  return '';
}
