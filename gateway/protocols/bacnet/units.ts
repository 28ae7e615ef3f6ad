/**
 * BACnet engineering units (ASHRAE 135 clause 21, BACnetEngineeringUnits) → the unit symbols of the units
 * catalogue (core/units.ts), which owns every conversion. A point's name suffix decides its canonical unit; the
 * device's own `Units` property decides what to convert from.
 */
import { conversionFor, type UnitConversion } from '../../../core/units.ts';
import { EngineeringUnits as U } from './library.ts';

/** The engineering units a controller may report, by the catalogue's symbol for them. */
const SYMBOLS = new Map<number, string>([
  [U.DEGREES_CELSIUS, '°C'], [U.DEGREES_KELVIN, 'K'], [U.DEGREES_FAHRENHEIT, '°F'],
  [U.WATTS, 'W'], [U.KILOWATTS, 'kW'], [U.MEGAWATTS, 'MW'], [U.TONS_REFRIGERATION, 'TR'],
  [U.WATT_HOURS, 'Wh'], [U.KILOWATT_HOURS, 'kWh'], [U.MEGAWATT_HOURS, 'MWh'], [U.KILOJOULES, 'kJ'], [U.MEGAJOULES, 'MJ'],
  [U.PERCENT, '%'], [U.PERCENT_RELATIVE_HUMIDITY, '%RH'],
  [U.CUBIC_METERS_PER_HOUR, 'm³/h'], [U.CUBIC_METERS_PER_SECOND, 'm³/s'], [U.LITERS_PER_SECOND, 'l/s'], [U.LITERS_PER_MINUTE, 'l/min'],
  [U.CUBIC_METERS, 'm³'], [U.LITERS, 'l'],
  [U.PASCALS, 'Pa'], [U.KILOPASCALS, 'kPa'], [U.BARS, 'bar'],
  [U.HERTZ, 'Hz'], [U.PARTS_PER_MILLION, 'ppm'], [U.HOURS, 'h'], [U.NO_UNITS, ''],
]);

/** The catalogue's symbol of a BACnet unit, or undefined for a unit it does not convert. */
export function symbolOfUnits(units: number): string | undefined {
  return SYMBOLS.get(units);
}

/**
 * The conversion from a device's BACnet unit to the point's canonical unit; `undefined` device units (binary and
 * multi-state objects have none) mean "already canonical". Throws one line naming both units otherwise.
 */
export function bacnetConversion(point: string, units: number | undefined): UnitConversion {
  if (units === undefined) return conversionFor(point, undefined);
  const symbol = SYMBOLS.get(units);
  if (symbol === undefined) {
    conversionFor(point, undefined); // a point without a unit suffix says so first
    throw new Error(`device reports engineering unit ${units} (${unitName(units)}), which has no conversion`);
  }
  return conversionFor(point, symbol);
}

/** BACnet unit enumeration by its lower-case name with dashes (`degrees-celsius`), as written in templates. */
export function unitByName(name: string): number | undefined {
  const key = name.toUpperCase().replace(/-/g, '_') as keyof typeof U;
  const v = U[key];
  return typeof v === 'number' ? v : undefined;
}

/** `degrees-celsius` for 62: the template spelling of an engineering unit. */
export function unitName(units: number): string {
  const name = (U as unknown as Record<number, string | undefined>)[units];
  return name ? name.toLowerCase().replace(/_/g, '-') : `unit-${units}`;
}
