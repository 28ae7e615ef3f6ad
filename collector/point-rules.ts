/**
 * What the collector accepts from a device: which points it has and each point's physical range. From the
 * device's template when it lists its points (Modbus templates: rows with `range`, scaled by CT/PT like the
 * gateway does), otherwise from the unit in the point name (DESIGN.md boundary 3). Also the counter's
 * roll-over value for the energy rules.
 */
import { COUNTER_POINT } from '../core/measurements.ts';
import type { Device } from '../core/site/schema.ts';
import { loadTemplate } from '../gateway/devices/templates.ts';
import { rangeOfPoint, type PhysicalRange } from '../core/units.ts';

/** The points of one device the collector accepts. */
export interface DevicePointRules {
  /** known points and their ranges; undefined: the template does not list points, accept any by unit suffix */
  points?: ReadonlyMap<string, PhysicalRange>;
  /** the cumulative point energy is derived from (meters only) */
  counterPoint?: string;
  /** value at which the counter wraps to zero, when known */
  counterRollover?: number;
}

const BIG = 1e12;

/** Rules for a device from its template, falling back to point-name units when the template lists no points. */
export function devicePointRules(device: Device): DevicePointRules {
  const counterPoint = device.medium && device.kind === 'meter' ? COUNTER_POINT[device.medium] : undefined;
  let points: Map<string, PhysicalRange> | undefined;
  let templateRollover: number | undefined;
  try {
    const t = loadTemplate(device.template);
    if (t.protocol === 'modbus') {
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
  return { points, counterPoint, counterRollover: device.counter_rollover ?? templateRollover };
}
