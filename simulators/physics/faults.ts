/**
 * Value-level faults of real meters, injected between the physics and the protocol server so the collector's
 * counter handling (D3) and the gateway's quality checks meet them the way they happen in the field:
 *
 *  stuck          the register stops updating (a frozen display, a hung meter CPU) from `from` to `to`
 *  counter_reset  the energy register is cleared at `at` (a technician's reset) and counts on from zero
 *  rollover       the register wraps at `modulus` (e.g. 99 999 999.99 kWh on an 8+2 digit register); the
 *                 device's reading is offset so that the wrap happens at `at` (set on a device already read, the
 *                 register jumps to that track first, which a collector sees as an implausible jump)
 *  replaced       a new meter is fitted at `at`, starting from `initial` (often 0, sometimes a few kWh from
 *                 factory testing)
 *  spike          a transient glitch: values multiplied by `factor` between `from` and `to`
 *
 * Faults apply to the counters named in `points` (default: every point ending in _kwh or _m3) or, for stuck
 * and spike, to every point unless narrowed.
 */
import type { SimulatedDevice } from '../device.ts';

/** One fault in time; instants are UTC epoch ms. */
export type ValueFault =
  | { kind: 'stuck'; from: number; to?: number; points?: string[] }
  | { kind: 'counter_reset'; at: number; points?: string[] }
  | { kind: 'rollover'; at: number; modulus: number; points?: string[] }
  | { kind: 'replaced'; at: number; initial?: number; points?: string[] }
  | { kind: 'spike'; from: number; to: number; factor: number; points?: string[] }
  /** points forced to a value, e.g. an inverter's state to 7 (SunSpec fault) */
  | { kind: 'set'; from: number; to?: number; points: string[]; value: number };

const isCounter = (point: string) => point.endsWith('_kwh') || point.endsWith('_m3') || point.endsWith('_kvarh');

/** Wrap a device so that its readings carry the given faults; the fault list can change at run time. */
export class FaultyDevice implements SimulatedDevice {
  readonly id: string;
  faults: ValueFault[];

  constructor(readonly inner: SimulatedDevice, faults: ValueFault[] = []) {
    this.id = inner.id;
    this.faults = faults;
  }

  read(ms: number): Record<string, number> {
    // A stuck meter repeats what it showed when it froze.
    const stuck = this.faults.find((f): f is Extract<ValueFault, { kind: 'stuck' }> => f.kind === 'stuck' && ms >= f.from && (f.to === undefined || ms < f.to));
    const values = { ...this.inner.read(stuck ? stuck.from : ms) };
    if (stuck && stuck.points) {
      const live = this.inner.read(ms);
      for (const k of Object.keys(live)) if (!stuck.points.includes(k)) values[k] = live[k];
    }
    const readAt = (at: number) => this.inner.read(at);
    for (const f of this.faults) {
      const applies = (k: string) => (f.points ? f.points.includes(k) : isCounter(k));
      switch (f.kind) {
        case 'counter_reset':
          if (ms >= f.at) { const base = readAt(f.at); for (const k of Object.keys(values)) if (applies(k)) values[k] -= base[k]; }
          break;
        case 'replaced':
          if (ms >= f.at) { const base = readAt(f.at); for (const k of Object.keys(values)) if (applies(k)) values[k] = values[k] - base[k] + (f.initial ?? 0); }
          break;
        case 'rollover': {
          const base = readAt(f.at);
          for (const k of Object.keys(values)) {
            if (!applies(k)) continue;
            // Shift so the register reaches the modulus exactly at `at`, then wrap.
            const shifted = values[k] - base[k] + f.modulus;
            values[k] = ((shifted % f.modulus) + f.modulus) % f.modulus;
          }
          break;
        }
        case 'spike':
          if (ms >= f.from && ms < f.to) for (const k of Object.keys(values)) if (f.points ? f.points.includes(k) : true) values[k] *= f.factor;
          break;
        case 'set':
          if (ms >= f.from && (f.to === undefined || ms < f.to)) for (const k of f.points) if (k in values) values[k] = f.value;
          break;
        case 'stuck':
          break;
      }
    }
    return values;
  }
}
