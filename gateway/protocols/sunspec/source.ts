/**
 * The SunSpec device source (registered under `sunspec`): polls a SunSpec inverter or sensor through the
 * shared Modbus bus of its address, finds its models by discovery alone, and emits the canonical points its
 * template maps. Configuration problems fail at construction, before any I/O.
 */
import type { DeviceSource, SourceContext, SourceFactory } from '../../source.ts';
import { acquireBus, releaseBus, type ModbusBus, type ModbusEndpoint } from '../modbus/bus.ts';
import { modbusAddressOf } from '../modbus/source.ts';
import { pollIntervalMs, TickLoop } from '../../schedule.ts';
import { busReader, SunspecDevice } from './device.ts';
import { mapPoints, neededModels } from './mapping.ts';
import type { SunspecTemplate } from './template.ts';

class SunspecSource implements DeviceSource {
  readonly deviceId: string;
  private readonly template: SunspecTemplate;
  private readonly endpoint: ModbusEndpoint;
  private readonly unit: number;
  private readonly wanted: Set<number>;
  private bus: ModbusBus | undefined;
  private device: SunspecDevice | undefined;
  private stopped = false;
  private readonly loop: TickLoop;

  constructor(private readonly ctx: SourceContext, template: SunspecTemplate) {
    this.deviceId = ctx.device.id;
    this.template = template;
    ({ endpoint: this.endpoint, unit: this.unit } = modbusAddressOf(ctx.device));
    this.loop = new TickLoop(pollIntervalMs(ctx.site, ctx.device), () => this.poll());
    this.wanted = neededModels(this.template);
  }

  async start(): Promise<void> {
    this.bus = acquireBus(this.endpoint);
    this.device = new SunspecDevice(busReader(this.bus, this.unit, { timeoutMs: this.template.timeout_ms, retries: this.template.retries }), this.template.base_addresses);
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop.stop();
    if (this.bus) await releaseBus(this.bus);
    this.bus = undefined;
  }


  private async poll(): Promise<void> {
    const device = this.device;
    if (!device) return;
    const ts = Date.now();
    let models;
    try {
      models = await device.read(this.wanted);
    } catch (err) {
      device.forget();
      if (!this.stopped) this.ctx.setOnline(false, (err as Error).message);
      return;
    }
    if (this.stopped) return;
    const points = mapPoints(this.template, models);
    if (Object.keys(points).length === 0) {
      this.ctx.setOnline(true, `none of the template's models (${[...this.wanted].join(', ')}) found on the device`, true);
      return;
    }
    this.ctx.setOnline(true);
    this.ctx.emit({ device: this.deviceId, ts, points });
  }
}

/** The source of a device with a SunSpec template (gateway/protocols/index.ts). */
export const sunspecSourceFactory: SourceFactory<SunspecTemplate> = (ctx, template) => new SunspecSource(ctx, template);
