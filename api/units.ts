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

/** Template file loader used for units; injectable so the API does not depend on the gateway's files in tests. */
export type TemplateUnits = (templateId: string) => Map<string, string>;

/**
 * Units as the device template declares them (rows `{ point, unit }`), cached per template; a template that
 * cannot be loaded, or a point it does not list, falls back to the point-name suffix.
 */
export function templateUnitsFrom(load: (id: string) => unknown): TemplateUnits {
  const cache = new Map<string, Map<string, string>>();
  return (id) => {
    let units = cache.get(id);
    if (!units) {
      units = new Map();
      try {
        // Point rows sit in `registers` (Modbus), `points` (SunSpec, BACnet, MQTT): any list of { point, unit }.
        const t = load(id) as Record<string, unknown>;
        for (const p of Object.values(t).filter(Array.isArray).flat()) {
          const row = p as { point?: unknown; unit?: unknown };
          if (typeof row.point === 'string' && typeof row.unit === 'string' && !row.point.includes('{')) units.set(row.point, row.unit === '1' ? '' : row.unit);
        }
      } catch { /* unknown template: suffix units */ }
      cache.set(id, units);
    }
    return units;
  };
}
