/**
 * A Modbus bus: the one object that owns a TCP socket or an RTU serial line (modbus-serial). Every request on it
 * goes through one queue, because a Modbus master may have only one request outstanding on a serial line, and a
 * TCP-to-RS-485 gateway behind the socket usually serialises anyway. Per request: timeout, retries with backoff,
 * reconnect when the link dropped. A unit (slave) that stops answering is suspended with a growing back-off, so
 * one dead meter costs one timeout per probe instead of stalling the whole line every cycle.
 *
 * API used by the Modbus and SunSpec sources: `acquireBus(endpoint)` / `releaseBus(bus)` share one bus per
 * endpoint; `bus.read(unit, register, address, count)` returns raw 16-bit words (bits as 0/1);
 * `writeCoil`, `writeRegister`, `writeRegisters` (FC 5, 6, 16). Failures are `ModbusError`.
 */
import ModbusSerial from 'modbus-serial';
import type { ModbusRTU, NodeStyleCallback, ReadCoilResult, ReadRegisterResult, WriteCoilResult, WriteMultipleResult, WriteRegisterResult } from 'modbus-serial/ModbusRTU.js';
import { ConfigError } from '../../../core/config/yaml-file.ts';
import type { Logger } from '../../../core/log.ts';
import { logger } from '../../../core/log.ts';
import type { RegisterKind } from './template.ts';

/** Where a bus connects: a TCP socket (Modbus TCP, or a TCP gateway to RS-485) or a serial line (RTU). */
export type ModbusEndpoint =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'rtu'; path: string; baudRate?: number; parity?: 'none' | 'even' | 'odd' };

/** modbus-serial is CommonJS: its `module.exports` is the client class (typed as the default export). */
const ModbusClient = ModbusSerial as unknown as new () => ModbusRTU;

/** Exception codes, Modbus Application Protocol v1.1b3 §7. */
export const EXCEPTION_NAMES: Record<number, string> = {
  1: 'ILLEGAL FUNCTION',
  2: 'ILLEGAL DATA ADDRESS',
  3: 'ILLEGAL DATA VALUE',
  4: 'SERVER DEVICE FAILURE',
  5: 'ACKNOWLEDGE',
  6: 'SERVER DEVICE BUSY',
  8: 'MEMORY PARITY ERROR',
  10: 'GATEWAY PATH UNAVAILABLE',
  11: 'GATEWAY TARGET DEVICE FAILED TO RESPOND',
};

/** Why a request failed: the slave answered with an exception, did not answer, the link is down, or it was skipped. */
export type ModbusFailure = 'exception' | 'timeout' | 'connection' | 'suspended' | 'closed';

/** A failed request; `exceptionCode`/`exceptionName` when the slave replied with an exception. */
export class ModbusError extends Error {
  constructor(
    readonly failure: ModbusFailure,
    message: string,
    readonly exceptionCode?: number,
  ) {
    super(message);
    this.name = 'ModbusError';
  }
  /** e.g. ILLEGAL DATA ADDRESS */
  get exceptionName(): string | undefined {
    return this.exceptionCode === undefined ? undefined : EXCEPTION_NAMES[this.exceptionCode] ?? `EXCEPTION ${this.exceptionCode}`;
  }
}

/** Per-bus behaviour; every field has a default. */
export interface BusOptions {
  /** per-request answer timeout, default 1000 ms */
  timeoutMs?: number;
  /** extra attempts after a timeout or link error, default 1 (exception replies are never retried) */
  retries?: number;
  /** first back-off between attempts, doubled each time, default 100 ms */
  retryBackoffMs?: number;
  /** consecutive unanswered requests before a unit is suspended, default 2 */
  suspendAfter?: number;
  /** first suspension, doubled per failed probe up to `maxSuspendMs`; defaults 5 s and 5 min */
  suspendMs?: number;
  maxSuspendMs?: number;
  /** pause between two requests, for slow RS-485 converters; default 0 */
  interRequestDelayMs?: number;
  log?: Logger;
}

/** Per-request overrides (a device's template may set its own timeout and retries). */
export interface RequestOptions {
  timeoutMs?: number;
  retries?: number;
}

/** Counters of one bus. */
export interface BusStats {
  requests: number;
  failures: number;
  timeouts: number;
  exceptions: number;
  reconnects: number;
  suspendedUnits: number[];
}

interface UnitHealth {
  misses: number;
  suspendedUntil: number;
  suspendMs: number;
}

/** Key of an endpoint: buses are shared per key. */
export function endpointKey(e: ModbusEndpoint): string {
  return e.kind === 'tcp' ? `tcp://${e.host}:${e.port}` : `rtu://${e.path}`;
}

/** One Modbus connection with a serialised request queue. */
export class ModbusBus {
  readonly key: string;
  private client = new ModbusClient();
  private tail: Promise<unknown> = Promise.resolve();
  private connecting: Promise<void> | undefined;
  private closed = false;
  /** wakes every back-off sleep when the bus closes, so stopping never waits out a reconnect delay */
  private readonly closing = new AbortController();
  private linkDownLogged = false;
  private reconnectDelayMs = 0;
  private units = new Map<number, UnitHealth>();
  private readonly o: Required<Omit<BusOptions, 'log'>>;
  private readonly log: Logger;
  private counters = { requests: 0, failures: 0, timeouts: 0, exceptions: 0, reconnects: 0 };

  constructor(readonly endpoint: ModbusEndpoint, options: BusOptions = {}) {
    this.key = endpointKey(endpoint);
    this.o = {
      timeoutMs: options.timeoutMs ?? 1000,
      retries: options.retries ?? 1,
      retryBackoffMs: options.retryBackoffMs ?? 100,
      suspendAfter: options.suspendAfter ?? 2,
      suspendMs: options.suspendMs ?? 5000,
      maxSuspendMs: options.maxSuspendMs ?? 300_000,
      interRequestDelayMs: options.interRequestDelayMs ?? 0,
    };
    this.log = options.log ?? logger('modbus-bus', { bus: this.key });
  }

  /** Read `count` registers (or bits) of `register` from `unit`; words are unsigned 16-bit, bits 0/1. */
  read(unit: number, register: RegisterKind, address: number, count: number, opts: RequestOptions = {}): Promise<number[]> {
    return this.enqueue(unit, opts, async (c) => {
      switch (register) {
        case 'coil': return bitsOf(await request<ReadCoilResult>((done) => c.writeFC1(unit, address, count, done)), count);
        case 'discrete': return bitsOf(await request<ReadCoilResult>((done) => c.writeFC2(unit, address, count, done)), count);
        case 'holding': return (await request<ReadRegisterResult>((done) => c.writeFC3(unit, address, count, done))).data;
        case 'input': return (await request<ReadRegisterResult>((done) => c.writeFC4(unit, address, count, done))).data;
      }
    });
  }

  /** FC 5 write single coil. */
  async writeCoil(unit: number, address: number, value: boolean, opts: RequestOptions = {}): Promise<void> {
    await this.enqueue(unit, { retries: 0, ...opts }, (c) => request<WriteCoilResult>((done) => c.writeFC5(unit, address, value, done)));
  }

  /** FC 6 write single register (raw 16-bit word). */
  async writeRegister(unit: number, address: number, word: number, opts: RequestOptions = {}): Promise<void> {
    await this.enqueue(unit, { retries: 0, ...opts }, (c) => request<WriteRegisterResult>((done) => c.writeFC6(unit, address, word & 0xffff, done)));
  }

  /** FC 16 write multiple registers (raw 16-bit words). */
  async writeRegisters(unit: number, address: number, words: number[], opts: RequestOptions = {}): Promise<void> {
    await this.enqueue(unit, { retries: 0, ...opts }, (c) => request<WriteMultipleResult>((done) => c.writeFC16(unit, address, words.map((w) => w & 0xffff), done)));
  }

  /** Units currently skipped because they stopped answering. */
  suspendedUnits(now = Date.now()): number[] {
    return [...this.units.entries()].filter(([, h]) => h.suspendedUntil > now).map(([u]) => u);
  }

  /** Counters since the bus was made. */
  stats(): BusStats {
    return { ...this.counters, suspendedUnits: this.suspendedUnits() };
  }

  /** Close the link; queued requests fail with failure 'closed'. */
  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    await this.tail.catch(() => undefined);
    await new Promise<void>((resolve) => {
      if (!this.client.isOpen) return resolve();
      this.client.close(() => resolve());
    });
  }

  private enqueue<T>(unit: number, opts: RequestOptions, op: (c: ModbusRTU) => Promise<T>): Promise<T> {
    const run = this.tail.then(() => this.attempt(unit, opts, op));
    this.tail = run.catch(() => undefined).then(() => (this.o.interRequestDelayMs ? sleep(this.o.interRequestDelayMs, this.closing.signal) : undefined));
    return run;
  }

  private async attempt<T>(unit: number, opts: RequestOptions, op: (c: ModbusRTU) => Promise<T>): Promise<T> {
    if (this.closed) throw new ModbusError('closed', `${this.key}: bus closed`);
    const health = this.healthOf(unit);
    const now = Date.now();
    if (health.suspendedUntil > now) {
      throw new ModbusError('suspended', `unit ${unit} on ${this.key} not answering; next try in ${Math.ceil((health.suspendedUntil - now) / 1000)} s`);
    }
    // a unit coming out of suspension gets one probe, not the full retries
    const probing = health.misses >= this.o.suspendAfter;
    const retries = probing ? 0 : opts.retries ?? this.o.retries;
    const timeoutMs = opts.timeoutMs ?? this.o.timeoutMs;
    let backoff = this.o.retryBackoffMs;
    for (let attempt = 0; ; attempt++) {
      this.counters.requests++;
      try {
        await this.connect();
        this.client.setID(unit);
        this.client.setTimeout(timeoutMs);
        const result = await withTimeout(op(this.client), timeoutMs + 250);
        health.misses = 0;
        health.suspendMs = this.o.suspendMs;
        return result;
      } catch (err) {
        const failure = this.classify(err, unit);
        this.counters.failures++;
        if (failure.failure === 'exception') {
          this.counters.exceptions++;
          health.misses = 0; // it answered: the unit is alive
          throw failure;
        }
        if (failure.failure === 'timeout') this.counters.timeouts++;
        if (failure.failure === 'connection') this.dropLink();
        if (attempt >= retries || this.closed) {
          if (failure.failure === 'timeout') this.noteMiss(unit, health);
          throw failure;
        }
        await sleep(backoff, this.closing.signal);
        backoff *= 2;
      }
    }
  }

  private healthOf(unit: number): UnitHealth {
    let h = this.units.get(unit);
    if (!h) {
      h = { misses: 0, suspendedUntil: 0, suspendMs: this.o.suspendMs };
      this.units.set(unit, h);
    }
    return h;
  }

  private noteMiss(unit: number, h: UnitHealth): void {
    h.misses++;
    if (h.misses >= this.o.suspendAfter) {
      h.suspendedUntil = Date.now() + h.suspendMs;
      this.log.warn({ unit, suspend_ms: h.suspendMs }, 'unit not answering: suspended so the rest of the line keeps its pace');
      h.suspendMs = Math.min(h.suspendMs * 2, this.o.maxSuspendMs);
    }
  }

  private classify(err: unknown, unit: number): ModbusError {
    if (err instanceof ModbusError) return err;
    const e = err as { modbusCode?: number; errno?: string; code?: string; message?: string };
    if (typeof e.modbusCode === 'number') {
      const name = EXCEPTION_NAMES[e.modbusCode] ?? `EXCEPTION ${e.modbusCode}`;
      return new ModbusError('exception', `unit ${unit} on ${this.key}: exception ${e.modbusCode} ${name}`, e.modbusCode);
    }
    if (e.errno === 'ETIMEDOUT' || e.message === 'Timed out') {
      return new ModbusError('timeout', `unit ${unit} on ${this.key}: no answer`);
    }
    return new ModbusError('connection', `${this.key}: ${e.message ?? e.errno ?? e.code ?? String(err)}`);
  }

  private dropLink(): void {
    if (this.client.isOpen) this.client.close(() => undefined);
  }

  private connect(): Promise<void> {
    if (this.client.isOpen) return Promise.resolve();
    this.connecting ??= this.open().finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  private async open(): Promise<void> {
    if (this.reconnectDelayMs > 0) await sleep(this.reconnectDelayMs, this.closing.signal);
    if (this.closed) throw new ModbusError('closed', `${this.key}: bus closed`);
    const fresh = new ModbusClient();
    fresh.on('error', () => undefined); // errors surface through the pending request
    this.client = fresh;
    try {
      const e = this.endpoint;
      if (e.kind === 'tcp') await fresh.connectTCP(e.host, { port: e.port, timeout: this.o.timeoutMs });
      else await fresh.connectRTUBuffered(e.path, { baudRate: e.baudRate ?? 9600, parity: e.parity ?? 'none', dataBits: 8, stopBits: 1 });
      if (this.linkDownLogged) this.log.info('link restored');
      if (this.reconnectDelayMs > 0) this.counters.reconnects++;
      this.linkDownLogged = false;
      this.reconnectDelayMs = 0;
    } catch (err) {
      if (!this.linkDownLogged) this.log.warn({ err: (err as Error).message }, 'link down; reconnecting with back-off');
      this.linkDownLogged = true;
      this.reconnectDelayMs = Math.min(Math.max(this.reconnectDelayMs * 2, 250), 30_000);
      throw err;
    }
  }
}

/** The first `count` bits of a coil or discrete-input reply as 0/1 (the reply is padded to whole bytes). */
function bitsOf(result: ReadCoilResult, count: number): number[] {
  return result.data.slice(0, count).map((b) => (b ? 1 : 0));
}

/** Where a request's outcome goes; emptied once it has settled. */
interface Settlement<T> {
  resolve?: (value: T) => void;
  reject?: (err: Error) => void;
}

/**
 * One modbus-serial request through its callback API, as a promise. modbus-serial 8 keeps each request's entry,
 * with the callback it was given, in a per-client table keyed by the Modbus TCP transaction id (index.js
 * `_transactions`, 256 ids per connection, overwritten but never deleted). Through its promise API that callback
 * holds the settled promise and so the whole response (data array and a slice of the received chunk) until the
 * id comes round again: 256 responses per connection, 12 800 on the 50 links of bench:gateway. The callback made
 * here lets go of the caller as soon as it has settled, so the table holds only an empty `Settlement`.
 */
function request<T>(call: (done: NodeStyleCallback<T>) => void): Promise<T> {
  const settlement: Settlement<T> = {};
  const promise = new Promise<T>((resolve, reject) => { settlement.resolve = resolve; settlement.reject = reject; });
  call(settleOnce(settlement));
  return promise;
}

/** The callback of `request`: defined apart so that its closure holds the settlement alone. */
function settleOnce<T>(settlement: Settlement<T>): NodeStyleCallback<T> {
  return (err, value) => {
    const { resolve, reject } = settlement;
    settlement.resolve = undefined;
    settlement.reject = undefined;
    if (err) reject?.(err);
    else resolve?.(value);
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('Timed out'), { errno: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

const pool = new Map<string, { bus: ModbusBus; refs: number }>();

/** The shared bus of an endpoint (made on first use); pair each call with `releaseBus`. */
export function acquireBus(endpoint: ModbusEndpoint, options?: BusOptions): ModbusBus {
  const key = endpointKey(endpoint);
  let entry = pool.get(key);
  if (entry && JSON.stringify(entry.bus.endpoint) !== JSON.stringify(endpoint)) {
    // one serial line has one baud rate and parity: devices that disagree are a configuration error
    throw new ConfigError(key, 'address', `devices on ${key} disagree on line settings: ${JSON.stringify(entry.bus.endpoint)} vs ${JSON.stringify(endpoint)}`);
  }
  if (!entry) {
    entry = { bus: new ModbusBus(endpoint, options), refs: 0 };
    pool.set(key, entry);
  }
  entry.refs++;
  return entry.bus;
}

/** Drop one reference; the last one closes the bus. */
export async function releaseBus(bus: ModbusBus): Promise<void> {
  const entry = pool.get(bus.key);
  if (!entry || entry.bus !== bus) return bus.close();
  if (--entry.refs <= 0) {
    pool.delete(bus.key);
    await bus.close();
  }
}
