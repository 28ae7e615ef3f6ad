/**
 * What the collector accepts from a device: which points it has and each point's physical range. From the
 * device's template when it lists its points (Modbus templates: rows with `range`, scaled by CT/PT like the
 * gateway does), otherwise from the unit in the point name (DESIGN.md boundary 3). Also the counter's
 * roll-over value for the energy rules.
 */
import { COUNTER_POINT } from '../core/measurements.ts';
import type { Device } from '../core/site/schema.ts';
import { loadTemplate } from '../gateway/devices/templates.ts';

/** [min, max] a value of the point can physically take, in its canonical unit. */
export type PhysicalRange = readonly [number, number];

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
/** Ranges by unit suffix of canonical point names (the suffixes of decision 0602 and the meter templates); generous bounds that only catch impossible values. */
const SUFFIX_RANGES: [RegExp, PhysicalRange][] = [
  [/_(kwh|mwh|kvarh|m3|gj|kg|t)$/, [0, BIG]],
  [/_w_m2$/, [0, 2000]],                 // irradiance: the solar constant is 1361 W/m²
  [/_(kw|kvar|kva)$/, [-1e7, 1e7]],
  [/_w$/, [-1e10, 1e10]],
  [/_v$/, [0, 1.2e6]],
  [/_a$/, [-1e6, 1e6]],
  [/_hz$/, [0, 1000]],
  [/_c$/, [-90, 1000]],                  // temperatures (air, water, module, boiler flue)
  [/_(pct|rh)$/, [0, 100]],
  [/_m3_?h$/, [0, 1e7]],                 // volume flow, m³/h (decision 0602 spells it _m3h)
  [/_on$/, [0, 1]],                      // binary state
  [/_ppm$/, [0, 1e6]],
  [/_(pa|kpa|bar)$/, [-1e7, 1e8]],
  [/_(s|h|count|state|mode)$/, [-BIG, BIG]],
  [/^power_factor(_l[1-3])?$/, [-1, 1]],
  [/_ratio$/, [0, 1e6]],
];

/** The physical range implied by a point name's unit suffix, or undefined when the name carries no known unit. */
export function rangeFromName(point: string): PhysicalRange | undefined {
  let range = rangeByName.get(point);
  if (range === undefined) {
    range = SUFFIX_RANGES.find(([re]) => re.test(point))?.[1] ?? null;
    if (rangeByName.size >= 10_000) rangeByName.clear(); // names come from gateways: bounded
    rangeByName.set(point, range);
  }
  return range ?? undefined;
}

/** Point names seen so far and their range (null: no known unit); the suffix tests cost more than the rest of a point's checks. */
const rangeByName = new Map<string, PhysicalRange | null>();

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
        const byName = rangeFromName(row.point) ?? [-BIG, BIG];
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
