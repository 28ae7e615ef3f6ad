/**
 * SunSpec Modbus TCP simulator: one port, one or more unit ids, each a SunSpec device ("SunS", models from the
 * official definitions, end marker) filled from its SimulatedDevice at the instant of the read. Any SunSpec
 * client finds it by discovery alone. Protocol faults per unit: offline, slow, exception replies.
 */
import { freePort, listenModbusTcp, modbusException } from '../modbus/server.ts';
import type { IServiceVector } from 'modbus-serial';
import type { SimulatedDevice } from '../device.ts';
import type { SunspecImage } from './layout.ts';

/** One simulated SunSpec unit. */
export interface SunspecUnit {
  device: SimulatedDevice;
  image: SunspecImage;
}

/** A protocol fault of one unit; null clears it. */
export type SunspecFault = { kind: 'offline' } | { kind: 'slow'; delayMs: number } | { kind: 'exception'; code: number } | null;

/** A running SunSpec simulator. */
export interface SunspecSimulator {
  port: number;
  stop(): Promise<void>;
  setFault(unit: number, fault: SunspecFault): void;
}

interface UnitState {
  unit: SunspecUnit;
  words?: number[];
  wordsAt: number;
  fault: SunspecFault;
}

type Done<T> = (err: Error | null, value: T) => void;



/** Serve SunSpec units over Modbus TCP on `host:port` (port 0 or absent: a free one). */
export async function startSunspecSimulator(opts: {
  units: Map<number, SunspecUnit>;
  host?: string;
  port?: number;
  /** clock of the physics, default Date.now */
  now?: () => number;
  /** how long one encoded image is reused, default 200 ms */
  imageCacheMs?: number;
}): Promise<SunspecSimulator> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port || await freePort(host);
  const now = opts.now ?? Date.now;
  const cacheMs = opts.imageCacheMs ?? 200;
  const states = new Map<number, UnitState>([...opts.units].map(([id, unit]) => [id, { unit, wordsAt: -Infinity, fault: null }]));

  const wordsOf = (s: UnitState): number[] => {
    const t = now();
    if (!s.words || t - s.wordsAt > cacheMs) {
      s.words = s.unit.image.words(s.unit.device.read(t), t);
      s.wordsAt = t;
    }
    return s.words;
  };

  const read = (address: number, count: number, unitId: number, done: Done<number[]>): void => {
    const s = states.get(unitId);
    if (!s || s.fault?.kind === 'offline') return; // silence, like an empty bus address
    const answer = () => {
      if (s.fault?.kind === 'exception') return done(modbusException(s.fault.code), []);
      const words = wordsOf(s);
      const base = s.unit.image.base;
      // Outside the SunSpec map a device answers ILLEGAL DATA ADDRESS (how clients tell the bases apart).
      if (address < base || address + count > base + words.length) return done(modbusException(2), []);
      done(null, words.slice(address - base, address - base + count));
    };
    if (s.fault?.kind === 'slow') setTimeout(answer, s.fault.delayMs);
    else answer();
  };
  const refuse = (_a: unknown, _b: unknown, unitId: number, cb: (err: Error | null) => void) => {
    if (states.has(unitId)) cb(modbusException(1));
  };
  const vector: IServiceVector = {
    getHoldingRegister: (addr: number, unitID: number, cb: Done<number>) => read(addr, 1, unitID, (err, v) => cb(err, v[0])),
    getMultipleHoldingRegisters: (addr: number, length: number, unitID: number, cb: Done<number[]>) => read(addr, length, unitID, cb),
    getInputRegister: (_addr: number, unitID: number, cb: Done<number>) => { if (states.has(unitID)) cb(modbusException(2), 0); },
    getCoil: (_addr: number, unitID: number, cb: Done<boolean>) => { if (states.has(unitID)) cb(modbusException(1), false); },
    setRegister: refuse,
    setCoil: refuse,
  };
  const server = await listenModbusTcp(vector, host, port);
  return {
    port,
    setFault: (unit, fault) => {
      const s = states.get(unit);
      if (!s) throw new Error(`no simulated SunSpec unit ${unit}`);
      s.fault = fault;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
