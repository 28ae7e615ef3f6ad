/**
 * Template-driven Modbus simulator: several unit ids on one Modbus TCP port (like a TCP-to-RS-485 gateway with
 * meters behind it) or on one RTU serial line, each answering with its template's register layout. Protocol
 * faults per unit: offline (no answer), slow (answer after a delay), exception replies (a given code).
 */
import { createServer } from 'node:net';
import ModbusSerial from 'modbus-serial';
import type { IServiceVector, ServerTCP as ServerTCPType, ServerSerial as ServerSerialType } from 'modbus-serial';
import type { SimulatedDevice } from '../device.ts';
import type { Template } from '../../gateway/devices/templates.ts';
import type { RegisterKind } from '../../gateway/protocols/modbus/template.ts';
import { buildImage, serveTemplate, type RegisterImage, type ServedTemplate } from './image.ts';

/** One simulated unit: its template, its physics, and the CT/PT it is wired with. */
export interface SimUnit {
  template: Template;
  device: SimulatedDevice;
  ctRatio?: number;
  ptRatio?: number;
}

/** A protocol-level fault of one unit; `null` clears it. */
export type ModbusFault =
  | { kind: 'offline' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'exception'; code: number }
  | null;

/** Options shared by the TCP and RTU simulators. */
export interface SimulatorOptions {
  units: Map<number, SimUnit>;
  /** clock of the physics, default Date.now (tests and backfill may pass their own) */
  now?: () => number;
  /** how long one encoded image is reused, default 200 ms (values change slower than masters poll) */
  imageCacheMs?: number;
}

/** One read request the simulator received (for tests that count what a master asks for). */
export interface ReadRequest {
  unit: number;
  register: RegisterKind;
  address: number;
  count: number;
}

/** A running simulator. */
export interface ModbusSimulator {
  port: number;
  stop(): Promise<void>;
  setFault(unit: number, fault: ModbusFault): void;
  /** TCP clients connected right now */
  connections(): number;
  /** the read requests received for known units, oldest first (the last 10 000) */
  reads(): ReadRequest[];
}

const READ_LOG_LIMIT = 10_000;

const { ServerTCP, ServerSerial } = ModbusSerial as unknown as {
  ServerTCP: typeof ServerTCPType;
  ServerSerial: typeof ServerSerialType;
};

interface UnitState {
  served: ServedTemplate;
  sim: SimUnit;
  image?: RegisterImage;
  imageAt: number;
  written: RegisterImage;
  fault: ModbusFault;
}

type Done<T> = (err: Error | null, value: T) => void;

/** The register logic behind both transports. */
class UnitTable {
  readonly units = new Map<number, UnitState>();
  readonly readLog: ReadRequest[] = [];
  private readonly now: () => number;
  private readonly cacheMs: number;

  constructor(opts: SimulatorOptions) {
    this.now = opts.now ?? Date.now;
    this.cacheMs = opts.imageCacheMs ?? 200;
    for (const [id, sim] of opts.units) {
      if (sim.template.protocol !== 'modbus') throw new Error(`unit ${id}: template '${sim.template.id}' is ${sim.template.protocol}, not modbus`);
      this.units.set(id, {
        served: serveTemplate(sim.template), sim, imageAt: -Infinity, fault: null,
        written: { coil: new Map(), discrete: new Map(), holding: new Map(), input: new Map() },
      });
    }
  }

  private imageOf(u: UnitState): RegisterImage {
    const t = this.now();
    if (!u.image || t - u.imageAt > this.cacheMs) {
      u.image = buildImage(u.served, u.sim.device.read(t), { ct: u.sim.ctRatio, pt: u.sim.ptRatio }, u.sim.device.id.slice(0, 12));
      u.imageAt = t;
    }
    return u.image;
  }

  /** Answer a read through `done`, honouring the unit's fault; unknown units stay silent like an empty bus address. */
  read(kind: RegisterKind, address: number, count: number, unitId: number, done: Done<number[]>): void {
    const u = this.units.get(unitId);
    if (!u) return;
    this.readLog.push({ unit: unitId, register: kind, address, count });
    if (this.readLog.length > READ_LOG_LIMIT) this.readLog.splice(0, this.readLog.length - READ_LOG_LIMIT);
    if (u.fault?.kind === 'offline') return;
    const answer = () => {
      if (u.fault?.kind === 'exception') return done(modbusException(u.fault.code), []);
      let touches = false;
      for (let a = address; a < address + count && !touches; a++) touches = u.served.mapped[kind].has(a) || u.written[kind].has(a);
      if (!touches) return done(modbusException(2), []);
      const image = this.imageOf(u);
      const out: number[] = [];
      for (let a = address; a < address + count; a++) out.push(u.written[kind].get(a) ?? image[kind].get(a) ?? 0);
      done(null, out);
    };
    if (u.fault?.kind === 'slow') setTimeout(answer, u.fault.delayMs);
    else answer();
  }

  write(kind: 'coil' | 'holding', address: number, words: number[], unitId: number, done: (err: Error | null) => void): void {
    const u = this.units.get(unitId);
    if (!u || u.fault?.kind === 'offline') return;
    if (u.fault?.kind === 'exception') return done(modbusException(u.fault.code));
    if (!u.served.mapped[kind].has(address)) return done(modbusException(2));
    words.forEach((w, i) => u.written[kind].set(address + i, w));
    done(null);
  }

  vector(): IServiceVector {
    const one = (kind: RegisterKind) => (addr: number, unitID: number, cb: Done<number>) =>
      this.read(kind, addr, 1, unitID, (err, v) => cb(err, v[0]));
    const bit = (kind: RegisterKind) => (addr: number, unitID: number, cb: Done<boolean>) =>
      this.read(kind, addr, 1, unitID, (err, v) => cb(err, v[0] === 1));
    const many = (kind: RegisterKind) => (addr: number, length: number, unitID: number, cb: Done<number[]>) =>
      this.read(kind, addr, length, unitID, cb);
    return {
      getCoil: bit('coil'),
      getDiscreteInput: bit('discrete'),
      getHoldingRegister: one('holding'),
      getInputRegister: one('input'),
      getMultipleHoldingRegisters: many('holding'),
      getMultipleInputRegisters: many('input'),
      setCoil: (addr: number, value: boolean, unitID: number, cb: (err: Error | null) => void) => this.write('coil', addr, [value ? 1 : 0], unitID, cb),
      setRegister: (addr: number, value: number, unitID: number, cb: (err: Error | null) => void) => this.write('holding', addr, [value], unitID, cb),
      setRegisterArray: (addr: number, value: number[], unitID: number, cb: (err: Error | null) => void) => this.write('holding', addr, value, unitID, cb),
    };
  }

  setFault(unit: number, fault: ModbusFault): void {
    const u = this.units.get(unit);
    if (!u) throw new Error(`no simulated unit ${unit}`);
    u.fault = fault;
  }
}

/** modbus-serial answers with an exception PDU when the error carries `modbusErrorCode`. */
export function modbusException(code: number): Error {
  return Object.assign(new Error(`exception ${code}`), { modbusErrorCode: code });
}

/** A TCP port free on `host` right now. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A modbus-serial TCP server answering every unit id on host:port, once it listens. Client socket errors are
 * the clients' business (a master that disconnects mid-request must not stop the simulator).
 */
export async function listenModbusTcp(vector: IServiceVector, host: string, port: number): Promise<ServerTCPType> {
  // unitID 255: answer every unit id (the option otherwise silently drops all ids but one)
  const server = new ServerTCP(vector, { host, port, unitID: 255 });
  await new Promise<void>((resolve, reject) => {
    server.once('initialized', () => resolve());
    server.once('serverError', (err: Error | null) => reject(err ?? new Error(`cannot listen on ${host}:${port}`)));
  });
  server.on('socketError', () => undefined);
  server.on('error', () => undefined);
  return server;
}

/** Serve the units over Modbus TCP on `host:port` (port 0 or absent: a free one). */
export async function startModbusSimulator(opts: SimulatorOptions & { host?: string; port?: number }): Promise<ModbusSimulator> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port || await freePort(host);
  const table = new UnitTable(opts);
  const server = await listenModbusTcp(table.vector(), host, port);
  return {
    port,
    setFault: (unit, fault) => table.setFault(unit, fault),
    connections: () => server.socks.size,
    reads: () => [...table.readLog],
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Serve the units over Modbus RTU on a serial device (a socat pty in tests). */
export async function startModbusRtuSimulator(opts: SimulatorOptions & { path: string; baudRate?: number }): Promise<Omit<ModbusSimulator, 'port' | 'connections'>> {
  const table = new UnitTable(opts);
  let opened: (err: Error | null) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => { opened = (err) => (err ? reject(err) : resolve()); });
  const server = new ServerSerial(table.vector(), {
    path: opts.path, baudRate: opts.baudRate ?? 9600, parity: 'none', dataBits: 8, stopBits: 1, unitID: 255,
    openCallback: (err: Error | null) => opened(err),
  });
  server.on('error', () => undefined);
  await ready;
  return {
    setFault: (unit, fault) => table.setFault(unit, fault),
    reads: () => [...table.readLog],
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
