/**
 * What the collector accepts from a device: which points it has and each point's physical range. From the
 * device's template when it lists its points (Modbus templates: rows with `range`, scaled by CT/PT like the
 * gateway does), otherwise from the unit in the point name (DESIGN.md boundary 3). Also the counter's
 * roll-over value for the energy rules.
 */
import { COUNTER_POINT, GENERATION_COUNTER_POINT } from '../core/measurements.ts';
import type { Device, Medium } from '../core/site/schema.ts';
import { loadTemplate } from '../gateway/devices/templates.ts';
import { rangeOfPoint, type PhysicalRange } from '../core/units.ts';

/** The points of one device the collector accepts. */
export interface DevicePointRules {
  /** known points and their ranges; undefined: the template does not list points, accept any by unit suffix */
  points?: ReadonlyMap<string, PhysicalRange>;
  /** the cumulative point energy is derived from (meters, and inverters' yield counters) */
  counterPoint?: string;
  /** the medium of the counter's quantity (an inverter's yield: electricity) */
  counterMedium?: Medium;
  /** value at which the counter wraps to zero, when known */
  counterRollover?: number;
  /** the most the counter can advance per hour (kW for a kWh counter): `max_power_kw`, else from the template */
  counterMaxRatePerH?: number;
}

/** A template row as far as the maximum power needs it. */
interface RatedRow {
  point: string;
  range?: readonly number[];
  ct?: boolean;
  pt?: boolean;
}

/**
 * A meter's maximum power in kW from its template's voltage and current rows, scaled like the gateway scales
 * them: P_max = Σ over phases U_max × I_max / 1000, with U_max the highest phase voltage row's range maximum × PT
 * (a line voltage counts / √3), I_max the current row's range maximum × CT, one term per phase current row and
 * power factor 1. Undefined when the template has no voltage or no current row with a range.
 */
export function templateMaxPowerKw(rows: readonly RatedRow[], ct_ratio = 1, pt_ratio = 1): number | undefined {
  let phaseVoltage = 0;
  const currents: number[] = [];
  for (const row of rows) {
    if (!row.range) continue;
    const max = row.range[1] * (row.ct ? ct_ratio : 1) * (row.pt ? pt_ratio : 1);
    if (/^voltage(_l[123])?_v$/.test(row.point)) phaseVoltage = Math.max(phaseVoltage, max);
    else if (/^voltage_l(12|23|31)_v$/.test(row.point)) phaseVoltage = Math.max(phaseVoltage, max / Math.sqrt(3));
    else if (/^current(_l[123])?_a$/.test(row.point)) currents.push(max);
  }
  if (phaseVoltage === 0 || currents.length === 0) return undefined;
  return currents.reduce((p, i) => p + (phaseVoltage * i) / 1000, 0);
}

const BIG = 1e12;

/** Rules for a device from its template, falling back to point-name units when the template lists no points. */
export function devicePointRules(device: Device): DevicePointRules {
  const counter = energyCounter(device);
  const counterPoint = counter?.point;
  let points: Map<string, PhysicalRange> | undefined;
  let templateRollover: number | undefined;
  let fromTemplateKw: number | undefined;
  try {
    const t = loadTemplate(device.template);
    if (t.protocol === 'modbus') {
      fromTemplateKw = templateMaxPowerKw(t.registers, device.ct_ratio ?? 1, device.pt_ratio ?? 1);
      points = new Map();
      for (const row of t.registers) {
        if (row.publish === false) continue;
        const k = (row.ct ? device.ct_ratio ?? 1 : 1) * (row.pt ? device.pt_ratio ?? 1 : 1);
        const byName = rangeOfPoint(row.point) ?? [-BIG, BIG];
        // The instrument's range, scaled like the gateway scales the value; 1 % slack for float rounding.
        const range: PhysicalRange = row.range
          ? [Math.min(row.range[0] * k * 1.01, row.range[0] * k * 0.99), row.range[1] * k * 1.01]
          : byName;
        points.set(row.point, range);
        if (row.point === counterPoint && row.range) templateRollover = row.range[1] * k;
      }
    }
  } catch {
    // No loadable template: the unit suffix decides (a template problem is reported by the gateway and `config check`).
  }
  // The bound is a power: it applies to kWh counters only (electricity, heat, cooling), never to m³.
  const kwh = counterPoint !== undefined && counterPoint.endsWith('_kwh');
  const counterMaxRatePerH = kwh ? device.max_power_kw ?? (counter?.medium === 'electricity' ? fromTemplateKw : undefined) : undefined;
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
