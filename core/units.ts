/**
 * The units catalogue (DESIGN D11 and boundary 3, decision 0602): the suffix of a point name fixes its quantity,
 * its unit symbol, the range a value can physically take and how a device's own unit converts into it. One
 * spelling per unit. Gateway, collector and API read units here and nowhere else (decision 0005).
 */

/** A physical quantity; only units of the same quantity convert into each other. */
export type Quantity = 'energy' | 'reactive_energy' | 'power' | 'reactive_power' | 'apparent_power' | 'irradiance'
  | 'irradiation' | 'voltage' | 'current' | 'frequency' | 'temperature' | 'percentage' | 'factor' | 'volume_flow'
  | 'volume' | 'pressure' | 'concentration' | 'duration' | 'state' | 'count';

/** [min, max] a value can physically take, in its canonical unit. */
export type PhysicalRange = readonly [number, number];

/** What a point-name suffix promises: the quantity, the unit's symbol ('' when dimensionless) and the range. */
export interface PointUnit {
  readonly suffix: string;
  readonly quantity: Quantity;
  readonly symbol: string;
  /** generous bounds that only catch impossible values; a template's own `range` is tighter */
  readonly range: PhysicalRange;
}

const BIG = 1e12;
const unit = (suffix: string, quantity: Quantity, symbol: string, range: PhysicalRange): PointUnit => ({ suffix, quantity, symbol, range });

/** The canonical units, one suffix each. */
export const POINT_UNITS: readonly PointUnit[] = [
  unit('_kwh', 'energy', 'kWh', [0, BIG]),
  unit('_kvarh', 'reactive_energy', 'kvarh', [0, BIG]),
  unit('_kw', 'power', 'kW', [-1e7, 1e7]),
  unit('_kvar', 'reactive_power', 'kvar', [-1e7, 1e7]),
  unit('_kva', 'apparent_power', 'kVA', [-1e7, 1e7]),
  unit('_w_m2', 'irradiance', 'W/m²', [0, 2000]), // the solar constant is 1361 W/m²
  unit('_kwh_m2', 'irradiation', 'kWh/m²', [0, 100]), // a clear summer day brings about 8 kWh/m²
  unit('_v', 'voltage', 'V', [0, 1.2e6]),
  unit('_a', 'current', 'A', [-1e6, 1e6]),
  unit('_hz', 'frequency', 'Hz', [0, 1000]),
  unit('_c', 'temperature', '°C', [-90, 1000]), // air, water, module, boiler flue
  unit('_pct', 'percentage', '%', [0, 100]),
  unit('_power_factor', 'factor', '', [-1, 1]),
  unit('_ratio', 'factor', '', [0, 1e6]), // instrument-transformer ratios
  unit('_m3h', 'volume_flow', 'm³/h', [-1e7, 1e7]), // bidirectional meters report reverse flow negative
  unit('_m3', 'volume', 'm³', [0, BIG]),
  unit('_pa', 'pressure', 'Pa', [-1e7, 1e8]),
  unit('_kpa', 'pressure', 'kPa', [-1e4, 1e5]),
  unit('_ppm', 'concentration', 'ppm', [0, 1e6]),
  unit('_h', 'duration', 'h', [0, BIG]),
  unit('_on', 'state', '', [0, 1]), // binary state, 1 = the condition the name states
  unit('_mode', 'state', '', [-BIG, BIG]),
  unit('_state', 'state', '', [-BIG, BIG]),
  unit('_count', 'count', '', [0, BIG]),
];

/** Spellings that are not units here, with the one to use: each would otherwise read as another unit (`_m3_h` as hours). */
const MISSPELLINGS: ReadonlyMap<string, string> = new Map([
  ['_m3_h', "volume flow is spelt '_m3h' (m³/h)"],
  ['_l_s', "volume flow is m³/h, spelt '_m3h'; the device's l/s converts at the edge"],
  ['_percent', "a percentage is spelt '_pct'"],
  ['_rh', "relative humidity is a percentage, spelt '_pct'"],
  ['_w', "power is kW, spelt '_kw'; the device's W converts at the edge"],
  ['_pf', "a power factor is spelt 'power_factor'"],
]);

/** Every suffix a point name may end with, for messages. */
export const POINT_SUFFIXES: readonly string[] = POINT_UNITS.map((u) => u.suffix);

const endsWithSuffix = (point: string, suffix: string) => point === suffix.slice(1) || point.endsWith(suffix);

/** Every catalogue suffix and misspelling the name ends with (a name of a template resolves to exactly one). */
export function suffixesMatching(point: string): string[] {
  return [...POINT_SUFFIXES, ...MISSPELLINGS.keys()].filter((s) => endsWithSuffix(point, s));
}

/** Point names seen so far (names come from gateways: bounded); the suffix tests cost more than a point's other checks. */
const byName = new Map<string, PointUnit | string>();

/** The unit of a point name, or the one-line problem with it (no suffix, or a spelling that is not the catalogue's). */
function resolve(point: string): PointUnit | string {
  let hit = byName.get(point);
  if (hit === undefined) {
    const longest = suffixesMatching(point).sort((a, b) => b.length - a.length)[0];
    const misspelt = longest === undefined ? undefined : MISSPELLINGS.get(longest);
    hit = misspelt ? `point '${point}': ${misspelt}` : POINT_UNITS.find((u) => u.suffix === longest)
      ?? `point name '${point}' must end in a unit suffix (${POINT_SUFFIXES.join(', ')})`;
    if (byName.size >= 10_000) byName.clear();
    byName.set(point, hit);
  }
  return hit;
}

/** `power_kw` → kW, power, [-1e7, 1e7]; undefined when the name carries no unit of the catalogue. */
export function unitOfPoint(point: string): PointUnit | undefined {
  const hit = resolve(point);
  return typeof hit === 'string' ? undefined : hit;
}

/** Why a point name has no unit (one line for a configuration error), or undefined when it has one. */
export function pointUnitProblem(point: string): string | undefined {
  const hit = resolve(point);
  return typeof hit === 'string' ? hit : undefined;
}

/** The physical range implied by a point name's unit, or undefined when the name carries no known unit. */
export function rangeOfPoint(point: string): PhysicalRange | undefined {
  return unitOfPoint(point)?.range;
}

/** A unit a device may report, as a linear map onto its quantity's base unit. */
interface DeviceUnit { quantity: Quantity | 'none'; factor: number; offset: number }
const du = (quantity: Quantity | 'none', factor = 1, offset = 0): DeviceUnit => ({ quantity, factor, offset });

/**
 * Device units by symbol, each to its quantity's base (°C, kW, kWh, kvar, kVA, %, m³/h, m³, Pa, Hz, ppm, h, V, A,
 * W/m², kWh/m²). Every canonical symbol is among them. `''` is "no units" (BACnet NO_UNITS, binary objects).
 */
const DEVICE_UNITS: ReadonlyMap<string, DeviceUnit> = new Map([
  ['°C', du('temperature')], ['K', du('temperature', 1, -273.15)], ['°F', du('temperature', 5 / 9, -32 * 5 / 9)],
  ['W', du('power', 0.001)], ['kW', du('power')], ['MW', du('power', 1000)],
  // 1 ton of refrigeration = 12 000 BTU/h = 3.516 853 kW (ASHRAE Handbook, Fundamentals, ch. 38)
  ['TR', du('power', 3.516853)],
  ['Wh', du('energy', 0.001)], ['kWh', du('energy')], ['MWh', du('energy', 1000)],
  ['kJ', du('energy', 1 / 3600)], ['MJ', du('energy', 1 / 3.6)],
  ['kvarh', du('reactive_energy')], ['kvar', du('reactive_power')], ['kVA', du('apparent_power')],
  ['W/m²', du('irradiance')], ['kWh/m²', du('irradiation')], ['V', du('voltage')], ['A', du('current')],
  ['%', du('percentage')], ['%RH', du('percentage')],
  ['m³/h', du('volume_flow')], ['m³/s', du('volume_flow', 3600)], ['l/s', du('volume_flow', 3.6)], ['l/min', du('volume_flow', 0.06)],
  ['m³', du('volume')], ['l', du('volume', 0.001)],
  ['Pa', du('pressure')], ['kPa', du('pressure', 1000)], ['bar', du('pressure', 100_000)],
  ['Hz', du('frequency')], ['ppm', du('concentration')], ['h', du('duration')],
  ['', du('none')],
]);

/** The catalogue's spelling of a unit symbol a vendor writes in text (`m3/h`, `degC`, `C`), or undefined when unknown. */
export function deviceUnitSymbol(text: string): string | undefined {
  const wanted = text.trim().replace(/^m3/, 'm³').replace(/^degC$|^C$/, '°C').replace(/^degF$|^F$/, '°F').replace(/^L\//, 'l/');
  return DEVICE_UNITS.has(wanted) ? wanted : undefined;
}

/** The quantity of a device unit symbol, or undefined when unknown ('none' for no units). */
export function quantityOfDeviceUnit(symbol: string): Quantity | 'none' | undefined {
  return DEVICE_UNITS.get(symbol)?.quantity;
}

/** Converts between a device unit and a point's canonical unit (both ways, the latter for writes). */
export interface UnitConversion {
  toCanonical(deviceValue: number): number;
  toDevice(canonicalValue: number): number;
}

const IDENTITY: UnitConversion = { toCanonical: (v) => v, toDevice: (v) => v };

/**
 * The conversion from what a device reports (a symbol of `deviceUnitSymbol`; undefined or '' means "already
 * canonical") to the point's unit. Throws one line naming both units when the quantities differ or the unit is
 * unknown, so the point is reported bad rather than silently wrong.
 */
export function conversionFor(point: string, deviceSymbol: string | undefined): UnitConversion {
  const target = unitOfPoint(point);
  if (!target) throw new Error(pointUnitProblem(point));
  if (deviceSymbol === undefined) return IDENTITY;
  const source = DEVICE_UNITS.get(deviceSymbol);
  if (!source) throw new Error(`device unit '${deviceSymbol}' has no conversion to ${target.symbol || target.quantity}`);
  if (source.quantity === 'none') return IDENTITY;
  if (source.quantity !== target.quantity) throw new Error(`device reports ${deviceSymbol} (${source.quantity}) for a ${target.quantity} point`);
  const base = DEVICE_UNITS.get(target.symbol) ?? du(target.quantity);
  if (source.factor === base.factor && source.offset === base.offset) return IDENTITY;
  return {
    toCanonical: (v) => (v * source.factor + source.offset - base.offset) / base.factor,
    toDevice: (v) => (v * base.factor + base.offset - source.offset) / source.factor,
  };
}

/** What is wrong with a template row that names a point and declares its canonical unit, or undefined. */
export function declaredUnitProblem(point: string, declared: string): string | undefined {
  const target = unitOfPoint(point);
  if (!target) return pointUnitProblem(point);
  if (declared === target.symbol) return undefined;
  return `unit '${declared}' is not the unit the name '${point}' carries ('${target.symbol}')`;
}
