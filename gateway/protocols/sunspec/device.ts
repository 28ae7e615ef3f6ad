/**
 * One SunSpec device behind a Modbus unit: discovered once (and again after a failure), then read model by
 * model — each model in as few requests as Modbus allows — and decoded from the official definitions.
 */
import { ModbusError, type ModbusBus } from '../modbus/bus.ts';
import { decodeModel, type DecodedModel } from './codec.ts';
import { discoverSunspec, readSpan, SUNSPEC_BASES, type HoldingReader, type SunspecMap } from './discovery.ts';
import { modelLayout } from './models.ts';

/** A HoldingReader over the gateway's shared Modbus bus (serialised with every other request on the line). */
export function busReader(bus: ModbusBus, unit: number, opts: { timeoutMs?: number; retries?: number } = {}): HoldingReader {
  return { readHolding: (address, count) => bus.read(unit, 'holding', address, count, opts) };
}

/** True for failures where the device did not answer at all (try again later, do not try other bases). */
export function isNoAnswer(err: unknown): boolean {
  return err instanceof ModbusError && err.failure !== 'exception';
}

/** A discovered SunSpec device. */
export class SunspecDevice {
  private map: SunspecMap | undefined;

  constructor(private readonly reader: HoldingReader, private readonly bases: number[] = SUNSPEC_BASES) {}

  /** The model chain (discovering it on first use). */
  async models(): Promise<SunspecMap> {
    this.map ??= await discoverSunspec(this.reader, this.bases, isNoAnswer);
    return this.map;
  }

  /** Forget the chain (after a failed read: the device may have been replaced or re-flashed). */
  forget(): void {
    this.map = undefined;
  }

  /**
   * Read and decode the first instance of each wanted model the device has (all models when `wanted` is
   * absent). Models without a shipped definition are skipped.
   */
  async read(wanted?: Set<number>): Promise<Map<number, DecodedModel>> {
    const map = await this.models();
    const out = new Map<number, DecodedModel>();
    for (const entry of map.models) {
      if (out.has(entry.id) || (wanted && !wanted.has(entry.id))) continue;
      const layout = modelLayout(entry.id);
      if (!layout) continue;
      const words = await readSpan(this.reader, entry.address, entry.length + 2);
      if (words[0] !== entry.id) {
        // the map moved under us: rediscover on the next cycle
        this.forget();
        throw new Error(`SunSpec model ${entry.id} expected at ${entry.address}, found ${words[0]}`);
      }
      out.set(entry.id, decodeModel(layout, words, entry.address));
    }
    return out;
  }
}
