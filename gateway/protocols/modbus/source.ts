/**
 * The Modbus device source: polls one configured device on its interval through the shared bus of its
 * endpoint, decodes with its template and emits one DeviceReading per cycle.
 */
import { ConfigError } from '../../../core/config/yaml-file.ts';
import type { Device } from '../../../core/site/schema.ts';
import { pollIntervalMs, TickLoop } from '../../schedule.ts';

/** Re-exported for the sources that imported it from here (it lives in gateway/schedule.ts). */
export { pollIntervalMs };
import { WriteRefusedError, type DeviceSource, type SourceContext, type SourceFactory } from '../../source.ts';
import { acquireBus, endpointKey, ModbusError, releaseBus, type ModbusBus, type ModbusEndpoint } from './bus.ts';
import { compileTemplate, decodePoints, type DevicePlan, type ReadResults } from './device-map.ts';
import { encodeValue, integerLimits } from './codec.ts';
import type { ModbusTemplate } from './template.ts';

/** The bus endpoint and unit id of a Modbus device, from its site-model address. */
export function modbusAddressOf(device: Device): { endpoint: ModbusEndpoint; unit: number } {
  const a = device.address;
  if (a.protocol === 'modbus-tcp') return { endpoint: { kind: 'tcp', host: a.host, port: a.port ?? 502 }, unit: a.unit_id ?? 1 };
  if (a.protocol === 'modbus-rtu') {
    return { endpoint: { kind: 'rtu', path: a.path, baudRate: a.baud_rate ?? 9600, parity: a.parity ?? 'none' }, unit: a.unit_id };
  }
  throw new ConfigError(`device ${device.id}`, 'address.protocol', `a Modbus template needs a modbus-tcp or modbus-rtu address, not ${a.protocol}`);
}

/** Read every planned request of one device (sequentially, through the bus queue). */
export async function readPlan(bus: ModbusBus, unit: number, plan: DevicePlan): Promise<ReadResults> {
  const d = plan.template.defaults;
  const results: ReadResults = [];
  for (const r of plan.reads) {
    try {
      results.push(await bus.read(unit, r.register, r.address, r.count, { timeoutMs: d?.timeout_ms, retries: d?.retries }));
    } catch (err) {
      if (!(err instanceof ModbusError)) throw err;
      results.push(err);
      // a unit that does not answer will not answer the next request either: skip the rest of this cycle
      if (err.failure !== 'exception') {
        while (results.length < plan.reads.length) results.push(err);
        break;
      }
    }
  }
  return results;
}

class ModbusSource implements DeviceSource {
  readonly deviceId: string;
  private bus: ModbusBus | undefined;
  private stopped = false;
  private readonly loop: TickLoop;
  private readonly plan: DevicePlan;
  private readonly endpoint: ModbusEndpoint;
  private readonly unit: number;

  constructor(private readonly ctx: SourceContext, template: ModbusTemplate) {
    this.deviceId = ctx.device.id;
    // everything that can be wrong in configuration fails here, before any I/O
    this.plan = compileTemplate(template);
    ({ endpoint: this.endpoint, unit: this.unit } = modbusAddressOf(ctx.device));
    this.loop = new TickLoop(pollIntervalMs(ctx.site, ctx.device), () => this.poll());
  }

  async start(): Promise<void> {
    this.bus = acquireBus(this.endpoint);
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const idle = this.loop.stop();
    // release first: the last source of a bus closes it, which cuts short any back-off the running poll waits in
    const bus = this.bus;
    this.bus = undefined;
    const released = bus ? releaseBus(bus) : Promise.resolve();
    await idle;
    await released;
  }

  /**
   * Write a point the template marks writable, in its canonical unit: raw = (value − offset) / scale, FC 5 for a
   * coil, FC 6 for one register, FC 16 for more. Refused (nothing sent) otherwise, out of min/max, or for null:
   * Modbus has no priorities to relinquish.
   */
  async write(pointName: string, value: number | null): Promise<void> {
    const c = this.plan.rows.find((r) => r.row.point === pointName && r.row.publish !== false);
    const fail = (why: string) => new WriteRefusedError(`device ${this.deviceId}: ${why}`);
    if (!c) throw fail(`no point '${pointName}'`);
    const row = c.row;
    if (!row.writable) throw fail(`point '${pointName}' is not configured writable`);
    if (value === null) throw fail(`${pointName}: Modbus has no command priorities; write a value instead of relinquishing`);
    if (!Number.isFinite(value)) throw fail(`${pointName}: not a number`);
    if (row.min !== undefined && value < row.min) throw fail(`${pointName}: ${value} is below the minimum ${row.min}`);
    if (row.max !== undefined && value > row.max) throw fail(`${pointName}: ${value} is above the maximum ${row.max}`);
    const bus = this.bus;
    if (!bus) throw fail('source not started');
    const opts = { timeoutMs: this.plan.template.defaults?.timeout_ms };
    if (c.register === 'coil') return bus.writeCoil(this.unit, row.address, value >= 0.5, opts);
    const raw = (value - (row.offset ?? 0)) / (row.scale ?? 1);
    const limits = integerLimits(row.type);
    if (limits && (Math.round(raw) < limits[0] || Math.round(raw) > limits[1])) throw fail(`${pointName}: ${value} does not fit ${row.type}`);
    const words = encodeValue(raw, row.type, c.order);
    if (words.length === 1) return bus.writeRegister(this.unit, row.address, words[0], opts);
    return bus.writeRegisters(this.unit, row.address, words, opts);
  }

  private async poll(): Promise<void> {
    const bus = this.bus;
    if (!bus) return;
    const ts = Date.now();
    const results = await readPlan(bus, this.unit, this.plan);
    if (this.stopped) return;
    const answered = results.some((r) => !(r instanceof ModbusError) || r.failure === 'exception');
    if (!answered) {
      const err = results.find((r): r is ModbusError => r instanceof ModbusError);
      // a stable text, so the retained status is republished when the cause changes, not on every probe
      const where = `unit ${this.unit} on ${endpointKey(this.endpoint)}`;
      this.ctx.setOnline(false, err?.failure === 'connection' ? `link down: ${err.message}` : `no answer from ${where}`);
      return;
    }
    const firstException = results.find((r): r is ModbusError => r instanceof ModbusError);
    this.ctx.setOnline(true, firstException ? `${firstException.exceptionName ?? firstException.failure} on some reads` : undefined);
    const points = decodePoints(this.plan, results, { ct: this.ctx.device.ct_ratio ?? 1, pt: this.ctx.device.pt_ratio ?? 1 });
    this.ctx.emit({ device: this.deviceId, ts, points });
  }
}

/** The source of a device with a Modbus template (gateway/protocols/index.ts). */
export const modbusSourceFactory: SourceFactory<ModbusTemplate> = (ctx, template) => new ModbusSource(ctx, template);
