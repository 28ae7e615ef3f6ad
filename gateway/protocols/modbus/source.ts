/**
 * The Modbus device source: polls one configured device on its interval through the shared bus of its
 * endpoint, decodes with its template and emits one DeviceReading per cycle.
 */
import { ConfigError } from '../../../core/config/yaml-file.ts';
import type { Device } from '../../../core/site/schema.ts';
import { pollIntervalMs, TickLoop } from '../../schedule.ts';

/** Re-exported for the sources that imported it from here (it lives in gateway/schedule.ts). */
export { pollIntervalMs };
import type { DeviceSource, SourceContext, SourceFactory } from '../../source.ts';
import { acquireBus, endpointKey, ModbusError, releaseBus, type ModbusBus, type ModbusEndpoint } from './bus.ts';
import { compileTemplate, decodePoints, type DevicePlan, type ReadResults } from './device-map.ts';
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
