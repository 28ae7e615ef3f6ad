/**
 * What the collector accepts from a device: the points of its model in the catalogue and each point's physical
 * range (the template's `range` scaled by CT/PT like the gateway scales the value, else the range of the unit its
 * name carries). Also the counter's roll-over and maximum rate for the energy rules.
 */
import { COUNTER_POINT, GENERATION_COUNTER_POINT } from '../core/measurements.ts';
import type { Device, Medium } from '../core/site/schema.ts';
import { loadModel } from '../core/devices/catalogue.ts';
import { maxPowerKw } from '../core/devices/model.ts';
import type { PhysicalRange } from '../core/units.ts';

/** The points of one device the collector accepts. */
export interface DevicePointRules {
  /** the points of the device's model and their ranges (after CT/PT); any other point is unknown */
  points: ReadonlyMap<string, PhysicalRange>;
  /** the cumulative point energy is derived from (meters, and inverters' yield counters) */
  counterPoint?: string;
  /** the medium of the counter's quantity (an inverter's yield: electricity) */
  counterMedium?: Medium;
  /** value at which the counter wraps to zero (after CT/PT), when known */
  counterRollover?: number;
  /** the most the counter can advance per hour (kW for a kWh counter): `max_power_kw`, else from the template */
  counterMaxRatePerH?: number;
}

/**
 * Rules for a device from its model in the catalogue (core/devices/catalogue.ts); an unknown template is a
 * ConfigError, so the collector refuses to start rather than judge points by their names alone (#18 §2).
 */
export function devicePointRules(device: Device, dir?: string): DevicePointRules {
  const counter = energyCounter(device);
  const counterPoint = counter?.point;
  const model = loadModel(device.template, dir);
  const ct = device.ct_ratio ?? 1;
  const pt = device.pt_ratio ?? 1;
  const points = new Map<string, PhysicalRange>();
  let templateRollover: number | undefined;
  for (const p of model.points.values()) {
    const k = (p.ct ? ct : 1) * (p.pt ? pt : 1);
    // The instrument's range, scaled like the gateway scales the value; 1 % slack for float rounding.
    points.set(p.point, p.range ? [Math.min(p.range[0] * k * 1.01, p.range[0] * k * 0.99), p.range[1] * k * 1.01] : p.unit.range);
    // The exact modulus of the register (2^32 × 0.01 for a u32 at 0.01), never the rounded `range` (#12.4).
    if (p.point === counterPoint && p.rollover !== undefined) templateRollover = p.rollover * k;
  }
  // The bound is a power: it applies to kWh counters only (electricity, heat, cooling), never to m³.
  const kwh = counterPoint !== undefined && counterPoint.endsWith('_kwh');
  const fromTemplateKw = counter?.medium === 'electricity' ? maxPowerKw(model, ct, pt) : undefined;
  const counterMaxRatePerH = kwh ? device.max_power_kw ?? fromTemplateKw : undefined;
  return { points, counterPoint, counterMedium: counter?.medium, counterRollover: device.counter_rollover ?? templateRollover, counterMaxRatePerH };
}

/**
 * The counter a device's interval energy comes from: a meter's medium counter (COUNTER_POINT), or an inverter's
 * AC yield (GENERATION_COUNTER_POINT, electricity; issue 18 §3: the collector is the only energy writer). An
 * inverter's rows hold the energy it generated, positive, and never enter a building's consumption totals.
 */
export function energyCounter(device: Device): { point: string; medium: Medium } | undefined {
  if (device.kind === 'meter' && device.medium) return { point: COUNTER_POINT[device.medium], medium: device.medium };
  if (device.kind === 'inverter') return { point: GENERATION_COUNTER_POINT, medium: 'electricity' };
  return undefined;
}
