/**
 * BACnet engineering units (ASHRAE 135 clause 21, BACnetEngineeringUnits) → the canonical units that point names
 * carry (DESIGN.md boundary 3). A point's name suffix decides its canonical unit (`supply_temp_c` is °C,
 * `power_kw` kW); the device's own `Units` property decides the conversion. Conversions go through one base unit
 * per quantity so that any device unit of a quantity reaches any canonical unit of the same quantity.
 */
import { EngineeringUnits as U } from './library.ts';

/** A physical quantity; only units of the same quantity convert into each other. */
export type Quantity = 'temperature' | 'power' | 'energy' | 'ratio' | 'volume_flow' | 'volume' | 'pressure'
  | 'frequency' | 'concentration' | 'duration' | 'state';

interface Scale { quantity: Quantity; toBase: (v: number) => number; fromBase: (v: number) => number }
const linear = (quantity: Quantity, factor: number, offset = 0): Scale => ({
  quantity, toBase: (v) => v * factor + offset, fromBase: (v) => (v - offset) / factor,
});

/** Device units, each to its quantity's base (°C, kW, kWh, %, m³/h, m³, Pa, Hz, ppm, h, state). */
const deviceUnits = new Map<number, Scale & { symbol: string }>([
  [U.DEGREES_CELSIUS, { ...linear('temperature', 1), symbol: '°C' }],
  [U.DEGREES_KELVIN, { ...linear('temperature', 1, -273.15), symbol: 'K' }],
  [U.DEGREES_FAHRENHEIT, { ...linear('temperature', 5 / 9, -32 * 5 / 9), symbol: '°F' }],
  [U.WATTS, { ...linear('power', 0.001), symbol: 'W' }],
  [U.KILOWATTS, { ...linear('power', 1), symbol: 'kW' }],
  [U.MEGAWATTS, { ...linear('power', 1000), symbol: 'MW' }],
  // 1 ton of refrigeration = 12 000 BTU/h = 3.516 853 kW (ASHRAE Handbook, Fundamentals, ch. 38)
  [U.TONS_REFRIGERATION, { ...linear('power', 3.516853), symbol: 'TR' }],
  [U.WATT_HOURS, { ...linear('energy', 0.001), symbol: 'Wh' }],
  [U.KILOWATT_HOURS, { ...linear('energy', 1), symbol: 'kWh' }],
  [U.MEGAWATT_HOURS, { ...linear('energy', 1000), symbol: 'MWh' }],
  [U.KILOJOULES, { ...linear('energy', 1 / 3600), symbol: 'kJ' }],
  [U.MEGAJOULES, { ...linear('energy', 1 / 3.6), symbol: 'MJ' }],
  [U.PERCENT, { ...linear('ratio', 1), symbol: '%' }],
  [U.PERCENT_RELATIVE_HUMIDITY, { ...linear('ratio', 1), symbol: '%RH' }],
  [U.CUBIC_METERS_PER_HOUR, { ...linear('volume_flow', 1), symbol: 'm³/h' }],
  [U.CUBIC_METERS_PER_SECOND, { ...linear('volume_flow', 3600), symbol: 'm³/s' }],
  [U.LITERS_PER_SECOND, { ...linear('volume_flow', 3.6), symbol: 'l/s' }],
  [U.LITERS_PER_MINUTE, { ...linear('volume_flow', 0.06), symbol: 'l/min' }],
  [U.CUBIC_METERS, { ...linear('volume', 1), symbol: 'm³' }],
  [U.LITERS, { ...linear('volume', 0.001), symbol: 'l' }],
  [U.PASCALS, { ...linear('pressure', 1), symbol: 'Pa' }],
  [U.KILOPASCALS, { ...linear('pressure', 1000), symbol: 'kPa' }],
  [U.BARS, { ...linear('pressure', 100_000), symbol: 'bar' }],
  [U.HERTZ, { ...linear('frequency', 1), symbol: 'Hz' }],
  [U.PARTS_PER_MILLION, { ...linear('concentration', 1), symbol: 'ppm' }],
  [U.HOURS, { ...linear('duration', 1), symbol: 'h' }],
  [U.NO_UNITS, { ...linear('state', 1), symbol: '' }],
]);

/** Canonical units by point-name suffix (longest suffix wins). `_on` is a binary state 0/1, `_mode` a multi-state. */
const suffixes: Array<[string, Scale & { symbol: string }]> = [
  ['_kwh', { ...linear('energy', 1), symbol: 'kWh' }],
  ['_kw', { ...linear('power', 1), symbol: 'kW' }],
  ['_m3h', { ...linear('volume_flow', 1), symbol: 'm³/h' }],
  ['_m3', { ...linear('volume', 1), symbol: 'm³' }],
  ['_kpa', { ...linear('pressure', 1000), symbol: 'kPa' }],
  ['_pa', { ...linear('pressure', 1), symbol: 'Pa' }],
  ['_pct', { ...linear('ratio', 1), symbol: '%' }],
  ['_hz', { ...linear('frequency', 1), symbol: 'Hz' }],
  ['_ppm', { ...linear('concentration', 1), symbol: 'ppm' }],
  ['_h', { ...linear('duration', 1), symbol: 'h' }],
  ['_c', { ...linear('temperature', 1), symbol: '°C' }],
  ['_on', { ...linear('state', 1), symbol: '' }],
  ['_mode', { ...linear('state', 1), symbol: '' }],
  ['_state', { ...linear('state', 1), symbol: '' }],
  ['_count', { ...linear('state', 1), symbol: '' }],
];

/** The canonical unit a point name promises, or undefined when its suffix names no known unit. */
export function canonicalUnit(point: string): { quantity: Quantity; symbol: string } | undefined {
  const hit = suffixes.find(([s]) => point.endsWith(s));
  return hit ? { quantity: hit[1].quantity, symbol: hit[1].symbol } : undefined;
}

/** Every suffix a point name may end with, for error messages. */
export const POINT_SUFFIXES = suffixes.map(([s]) => s);

/** The BACnet unit's symbol and quantity, or undefined for a unit this table does not know. */
export function deviceUnit(units: number): { quantity: Quantity; symbol: string } | undefined {
  const u = deviceUnits.get(units);
  return u ? { quantity: u.quantity, symbol: u.symbol } : undefined;
}

/** Converts between a device unit and a point's canonical unit (both ways, the latter for writes). */
export interface UnitConversion {
  toCanonical(deviceValue: number): number;
  toDevice(canonicalValue: number): number;
}

/**
 * The conversion from a device's BACnet unit to the point's canonical unit; `undefined` device units (binary and
 * multi-state objects have none) mean "already canonical". Throws a message naming both units when the quantity
 * differs or the unit is unknown — the point is then reported bad rather than silently wrong.
 */
export function conversionFor(point: string, units: number | undefined): UnitConversion {
  const target = suffixes.find(([s]) => point.endsWith(s))?.[1];
  if (!target) throw new Error(`point '${point}' has no unit suffix (${POINT_SUFFIXES.join(', ')})`);
  if (units === undefined) return { toCanonical: (v) => v, toDevice: (v) => v };
  const source = deviceUnits.get(units);
  if (!source) throw new Error(`device reports engineering unit ${units}, which has no conversion to ${target.symbol || target.quantity}`);
  if (source.quantity !== target.quantity && source.quantity !== 'state') {
    throw new Error(`device reports ${source.symbol} (${source.quantity}) for a ${target.quantity} point`);
  }
  if (source.quantity === 'state') return { toCanonical: (v) => v, toDevice: (v) => v };
  return {
    toCanonical: (v) => target.fromBase(source.toBase(v)),
    toDevice: (v) => source.fromBase(target.toBase(v)),
  };
}

/** BACnet unit enumeration by its lower-case name with dashes (`degrees-celsius`), as written in templates. */
export function unitByName(name: string): number | undefined {
  const key = name.toUpperCase().replace(/-/g, '_') as keyof typeof U;
  const v = U[key];
  return typeof v === 'number' ? v : undefined;
}

/** The BACnet unit with this symbol (`W`, `kWh`, `°C`, `l/s` …), for vendors that name units in text. */
export function unitBySymbol(symbol: string): number | undefined {
  const wanted = symbol.trim().replace(/^m3/, 'm³').replace(/^degC$|^C$/, '°C').replace(/^degF$|^F$/, '°F');
  for (const [id, u] of deviceUnits) if (u.symbol === wanted) return id;
  return undefined;
}

/** `degrees-celsius` for 62: the template spelling of an engineering unit. */
export function unitName(units: number): string {
  const name = (U as unknown as Record<number, string | undefined>)[units];
  return name ? name.toLowerCase().replace(/_/g, '-') : `unit-${units}`;
}
