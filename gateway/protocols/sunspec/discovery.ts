/**
 * SunSpec discovery (SunSpec Modbus specification, "Device Modbus map"): look for the marker "SunS"
 * (0x5375 0x6E53) at the base addresses 40000, 0 and 50000 (holding registers, 0-based protocol addresses);
 * models follow at base + 2 as [ID, L, L registers]; the next model starts at address + L + 2; the chain ends
 * with ID 0xFFFF (and L 0). Devices are walked by L, never by the length the definition expects: some
 * vendors ship model 1 with L 65 instead of 66.
 */

/** Reads holding registers of one device (a Modbus unit) — the narrow interface the SunSpec code needs. */
export interface HoldingReader {
  /** `count` ≤ 125 registers from `address`; rejects on exception or timeout */
  readHolding(address: number, count: number): Promise<number[]>;
}

/** The standard base addresses, in the order a client tries them. */
export const SUNSPEC_BASES = [40000, 0, 50000];
/** "SunS" as two registers. */
export const SUNS_MARKER = [0x5375, 0x6e53];
/** Modbus allows at most 125 registers per read (Modbus Application Protocol §6.3). */
export const MAX_READ = 125;
/** A chain longer than this is treated as corrupt rather than walked for ever. */
const MAX_MODELS = 64;

/** One model found on the device: ID register address and length L. */
export interface ModelEntry {
  id: number;
  address: number;
  length: number;
}

/** What discovery found. */
export interface SunspecMap {
  base: number;
  models: ModelEntry[];
}

/** Read any number of registers in reads of at most 125. */
export async function readSpan(reader: HoldingReader, address: number, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let at = address; at < address + count; at += MAX_READ) {
    out.push(...(await reader.readHolding(at, Math.min(MAX_READ, address + count - at))));
  }
  return out;
}

/** Why discovery failed, when the device answered but is not SunSpec, or the chain is broken. */
export class SunspecDiscoveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SunspecDiscoveryError';
  }
}

/**
 * Find the SunSpec base and walk the model chain. Read errors at a base (ILLEGAL DATA ADDRESS, typically)
 * move on to the next base; a timeout is rethrown (the device is not answering at all).
 */
export async function discoverSunspec(reader: HoldingReader, bases: number[] = SUNSPEC_BASES, isTimeout: (err: unknown) => boolean = () => false): Promise<SunspecMap> {
  const tried: string[] = [];
  for (const base of bases) {
    let marker: number[];
    try {
      marker = await reader.readHolding(base, 2);
    } catch (err) {
      if (isTimeout(err)) throw err;
      tried.push(`${base}: ${(err as Error).message}`);
      continue;
    }
    if (marker[0] !== SUNS_MARKER[0] || marker[1] !== SUNS_MARKER[1]) {
      tried.push(`${base}: no "SunS" marker`);
      continue;
    }
    const models: ModelEntry[] = [];
    let address = base + 2;
    for (;;) {
      const [id, length] = await reader.readHolding(address, 2);
      if (id === 0xffff) break;
      if (id === 0 || models.length >= MAX_MODELS) throw new SunspecDiscoveryError(`SunSpec chain at ${base} broken at register ${address} (model id ${id})`);
      models.push({ id, address, length });
      address += length + 2;
      if (address > 0xffff) throw new SunspecDiscoveryError(`SunSpec chain at ${base} runs past register 65535`);
    }
    return { base, models };
  }
  throw new SunspecDiscoveryError(`no SunSpec device: ${tried.join('; ')}`);
}
