/**
 * A simulated device's physical state, independent of the protocol that serves it: canonical point name →
 * value in that point's unit (energy_import_kwh, power_kw, temp_c …) at an instant. Protocol servers
 * (simulators/modbus, simulators/sunspec, simulators/bacnet, simulators/mqtt) encode these values the way
 * the device's template or standard model lays them out. Deterministic for a given seed and time.
 */
export interface SimulatedDevice {
  readonly id: string;
  /** values at `nowMs` (UTC epoch ms); counters are integrals of power, so they agree with it */
  read(nowMs: number): Record<string, number>;
}
