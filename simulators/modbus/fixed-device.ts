/**
 * A simulated device with fixed values, plus counters that grow with a constant power: for tests and for
 * checking a new template against a master before the physics models drive it.
 */
import type { ModbusTemplate } from '../../gateway/protocols/modbus/template.ts';
import type { SimulatedDevice } from '../device.ts';

/** Values held constant; each `counters` entry grows by `per_hour` from its start value. */
export function fixedDevice(id: string, values: Record<string, number>, counters: Record<string, { start: number; per_hour: number }> = {}, t0 = Date.now()): SimulatedDevice {
  return {
    id,
    read(nowMs: number): Record<string, number> {
      const out = { ...values };
      for (const [point, c] of Object.entries(counters)) out[point] = c.start + (c.per_hour * (nowMs - t0)) / 3_600_000;
      return out;
    },
  };
}

/** A plausible value for every row of a template: inside its range, on its scale's step (bits and flags: 1). */
export function sampleValues(t: ModbusTemplate): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of t.registers) {
    if (r.type === 'bool' || r.type === 'bitfield') { out[r.point] = 1; continue; }
    const [lo, hi] = r.range ?? [0, 1000];
    const step = r.scale ?? 0.001;
    out[r.point] = Math.round((lo + (hi - lo) * 0.37) / step) * step;
  }
  return out;
}
