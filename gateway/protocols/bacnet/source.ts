/**
 * The BACnet/IP device source: reads a controller's objects as canonical points, by COV where the device
 * grants it and by polling where it refuses, where a subscription lapses or where notifications stop arriving.
 *
 *  start   probe the Device object (Max_APDU_Length_Accepted, Protocol_Services_Supported), read each
 *          analog object's Units to fix its conversion, SubscribeCOV (clause 13.14) per object
 *  cycle   every poll interval: poll the objects without a live subscription or silent for `cov_silence_s`
 *          (ReadPropertyMultiple chunked to the device's max APDU, ReadProperty when RPM is refused);
 *          a device object heartbeat when everything is on COV, so an offline device is noticed
 *  renew   re-subscribe at 3/4 of the lifetime (same process id and object: clause 13.14.1.1.4), retrying
 *          objects that were refused
 *  restart a device that restarts forgets its subscriptions (clause 13.14: they need not survive); noticed by
 *          its start-up I-Am (clause 16.10) or a changed Database_Revision (clause 12.11.35) in the heartbeat,
 *          it is probed again and resubscribed at once, not at the next renewal
 *  write   WriteProperty at a priority, only for points the template marks writable, within min/max
 */
import type { DeviceReading, PointValue } from '../../../core/contract/v1.ts';
import type { Device } from '../../../core/site/schema.ts';
import type { DeviceSource, SourceContext, SourceFactory } from '../../source.ts';
import { acquireBus, BacnetRequestError, type BacnetBus, type CovNotification, type PropertyResult } from './bus.ts';
import { ApplicationTag, ObjectType, PropertyIdentifier as P, ServicesSupported } from './library.ts';
import { bacnetErrorName, formatObjectId, hasUnits, isMultiState } from './objects.ts';
import { decodeStatusFlags, qualityOf } from './quality.ts';
import { DeviceReader, type ReadRequest } from './reader.ts';
import { resolvePoints, type BacnetTemplate, type ResolvedPoint } from './template.ts';
import type { UnitConversion } from '../../../core/units.ts';
import { bacnetConversion, unitName } from './units.ts';
import { commandFor, WriteRefusedError } from './write.ts';

export { WriteRefusedError } from './write.ts';

/** Timing knobs; the defaults come from the template and the gateway's poll interval. */
export interface BacnetSourceOptions {
  pollIntervalMs: number;
  covLifetimeS?: number;
  covSilenceMs?: number;
  apduTimeoutMs?: number;
}

/** What a test or an operator page can see of a source. */
export interface BacnetSourceStats {
  probed: boolean;
  rpm: boolean | undefined;
  maxApdu: number;
  subscribed: number;
  subscribeRequests: number;
  refused: number;
  covNotifications: number;
  polls: number;
  polledObjects: number;
  /** restarts or reconfigurations noticed (I-Am, Database_Revision) and answered by resubscribing */
  restarts: number;
  rpmRequests: number;
  rpRequests: number;
}

interface PointState {
  point: ResolvedPoint;
  conversion?: UnitConversion;
  unitError?: string;
  covWanted: boolean;
  subscribed: boolean;
  lastCovMs: number;
}

let nextProcessId = 1;
/** An I-Am also answers anyone's Who-Is: at most one resubscription per device in this time. */
const IAM_HOLDOFF_MS = 10_000;

/** One BACnet/IP device. */
export class BacnetSource implements DeviceSource {
  readonly deviceId: string;
  private readonly address: string;
  private readonly points: PointState[];
  private readonly processId = nextProcessId++;
  private bus?: BacnetBus;
  private release?: () => void;
  private reader?: DeviceReader;
  private offCov?: () => void;
  private offIAm?: () => void;
  private readonly deviceObject: { type: number; instance: number };
  /** Database_Revision last read; undefined before the first read */
  private revision: number | undefined;
  private revisionSupported = true;
  private resyncPending = false;
  private lastIAmMs = 0;
  private pollTimer?: NodeJS.Timeout;
  private renewTimer?: NodeJS.Timeout;
  private probed = false;
  private covSupported = true;
  private online: boolean | undefined;
  private busy = false;
  private renewPending = false;
  private stopped = false;
  private readonly counters = { subscribeRequests: 0, refused: 0, covNotifications: 0, polls: 0, polledObjects: 0, restarts: 0 };
  private readonly covLifetimeS: number;
  private readonly covSilenceMs: number;

  constructor(private readonly ctx: SourceContext, readonly template: BacnetTemplate, private readonly opts: BacnetSourceOptions) {
    const device: Device = ctx.device;
    if (device.address.protocol !== 'bacnet-ip') {
      throw new Error(`device ${device.id}: template ${template.id} speaks BACnet/IP but the address is ${device.address.protocol}`);
    }
    this.deviceId = device.id;
    this.address = `${device.address.host}:${device.address.port}`;
    this.deviceObject = { type: ObjectType.DEVICE, instance: device.address.device_instance };
    this.covLifetimeS = opts.covLifetimeS ?? template.cov_lifetime_s ?? 300;
    this.covSilenceMs = opts.covSilenceMs ?? (template.cov_silence_s ?? 600) * 1000;
    this.points = resolvePoints(template).map((point) => ({
      point,
      covWanted: point.cov ?? template.cov ?? true,
      subscribed: false,
      lastCovMs: 0,
    }));
  }

  async start(): Promise<void> {
    const a = this.ctx.device.address;
    if (a.protocol !== 'bacnet-ip') return;
    const { bus, release } = await acquireBus({
      interface: a.local_interface ?? '0.0.0.0',
      port: a.local_port ?? 47808,
      // Polling is unicast; with no subnet configured, a stray broadcast goes to the device itself, never 255.255.255.255.
      broadcastAddress: a.broadcast ?? a.host,
      apduTimeoutMs: this.opts.apduTimeoutMs,
    });
    this.bus = bus;
    this.release = release;
    this.reader = new DeviceReader(bus, this.address);
    this.offCov = bus.onCov((n) => this.onCov(n));
    this.offIAm = bus.onIAm((i) => {
      if (i.deviceInstance !== this.deviceObject.instance || Date.now() - this.lastIAmMs < IAM_HOLDOFF_MS) return;
      this.lastIAmMs = Date.now();
      this.restarted(`I-Am from ${i.address}`);
    });
    this.pollTimer = setInterval(() => void this.cycle(), this.opts.pollIntervalMs);
    this.renewTimer = setInterval(() => void this.renew(), Math.max(1000, this.covLifetimeS * 750));
    void this.cycle();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.renewTimer);
    this.offCov?.();
    this.offIAm?.();
    const bus = this.bus;
    if (bus) {
      // Cancel subscriptions politely so the device frees its table (best effort, bounded by the APDU timeout).
      await Promise.all(this.points.filter((s) => s.subscribed).map((s) => bus.cancelCov(this.address, s.point.objectId, this.processId).catch(() => undefined)));
      for (const s of this.points) s.subscribed = false;
    }
    this.release?.();
  }

  /** Counters for tests and diagnostics. */
  stats(): BacnetSourceStats {
    return {
      probed: this.probed,
      rpm: this.reader?.rpm,
      maxApdu: this.reader?.maxApdu ?? 0,
      subscribed: this.points.filter((s) => s.subscribed).length,
      ...this.counters,
      rpmRequests: this.reader?.stats.rpmRequests ?? 0,
      rpRequests: this.reader?.stats.rpRequests ?? 0,
    };
  }

  /**
   * Write a set-point in its canonical unit. Refused (WriteRefusedError, nothing sent) unless the template marks
   * the point writable and the value lies within its min/max; `priority` defaults to the point's, else 16.
   */
  async write(pointName: string, value: number | null, priority?: number): Promise<void> {
    const s = this.points.find((x) => x.point.point === pointName);
    if (!s) throw new WriteRefusedError(`device ${this.deviceId}: no point '${pointName}'`);
    const command = commandFor(this.deviceId, s.point, s.conversion ?? bacnetConversion(s.point.point, undefined), value, priority);
    if (!this.bus) throw new WriteRefusedError(`device ${this.deviceId}: source not started`);
    await this.bus.writeProperty(this.address, s.point.objectId, P.PRESENT_VALUE, [command.data], command.priority);
  }

  /** Probe the device and fix unit conversions; false when it did not answer. */
  private async probe(): Promise<void> {
    const bus = this.bus as BacnetBus;
    const reader = this.reader as DeviceReader;
    const device = this.deviceObject;
    const maxApdu = await bus.readProperty(this.address, device, P.MAX_APDU_LENGTH_ACCEPTED);
    this.revision = undefined;
    this.revisionSupported = true;
    await this.heartbeat(); // the Database_Revision later heartbeats compare with
    if (typeof maxApdu[0]?.value === 'number' && maxApdu[0].value >= 50) reader.maxApdu = maxApdu[0].value;
    try {
      const services = await bus.readProperty(this.address, device, P.PROTOCOL_SERVICES_SUPPORTED);
      const bits = services[0]?.value as { value: number[] } | undefined;
      if (bits && Array.isArray(bits.value)) {
        const has = (n: number) => ((bits.value[n >> 3] ?? 0) >> (n & 7) & 1) === 1;
        reader.rpmAdvertised = has(ServicesSupported.READ_PROPERTY_MULTIPLE);
        reader.rpm = reader.rpmAdvertised ? undefined : false;
        this.covSupported = has(ServicesSupported.SUBSCRIBE_COV);
      }
    } catch (err) {
      if (!(err instanceof BacnetRequestError && err.kind === 'error')) throw err; // optional for old devices: just try
    }
    const analog = this.points.filter((s) => hasUnits(s.point.objectId.type));
    const units = await reader.read(analog.map((s) => ({ objectId: s.point.objectId, properties: [P.UNITS] })));
    for (const s of this.points) {
      const r = units.find((u) => sameObject(u, s.point));
      const reported = typeof r?.values?.[0]?.value === 'number' ? r.values[0].value as number : s.point.unitsId;
      if (s.point.unitsId !== undefined && reported !== undefined && reported !== s.point.unitsId) {
        this.ctx.log.warn({ device: this.deviceId, point: s.point.point, template: unitName(s.point.unitsId), device_units: unitName(reported) },
          'device reports other engineering units than its template; converting from what the device reports');
      }
      try {
        s.conversion = bacnetConversion(s.point.point, hasUnits(s.point.objectId.type) ? reported : undefined);
        s.unitError = undefined;
      } catch (err) {
        s.unitError = (err as Error).message;
      }
    }
    this.probed = true;
    await this.subscribeAll();
  }

  private async subscribeAll(): Promise<void> {
    if (!this.covSupported || !this.bus) return;
    for (const s of this.points) {
      if (!s.covWanted || this.stopped) continue;
      this.counters.subscribeRequests++;
      try {
        await this.bus.subscribeCov(this.address, s.point.objectId, this.processId, this.covLifetimeS);
        if (!s.subscribed) s.lastCovMs = Date.now(); // the initial notification is due; count silence from now
        s.subscribed = true;
      } catch (err) {
        s.subscribed = false;
        this.counters.refused++;
        if (err instanceof BacnetRequestError && err.kind === 'timeout') throw err;
        this.ctx.log.info({ device: this.deviceId, object: formatObjectId(s.point.objectId), err: (err as Error).message }, 'COV refused; polling this object');
      }
    }
  }

  private async renew(): Promise<void> {
    if (!this.probed || this.stopped) return;
    if (this.busy) {
      this.renewPending = true; // the running cycle renews when it ends: a slow device must not starve renewal
      return;
    }
    this.renewPending = false;
    this.busy = true;
    try {
      await this.subscribeAll();
    } catch (err) {
      this.markOnline(false, (err as Error).message);
    } finally {
      this.busy = false;
    }
  }

  private async cycle(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      if (!this.probed) await this.probe();
      const now = Date.now();
      const due = this.points.filter((s) => !s.subscribed || now - s.lastCovMs > this.covSilenceMs);
      const reader = this.reader as DeviceReader;
      this.counters.polls++;
      // With subscriptions live, a cheap heartbeat tells an offline device from a quiet one, and a restarted one
      // (its subscriptions gone) from one that still sends notifications.
      if (this.points.some((s) => s.subscribed)) await this.heartbeat();
      if (due.length > 0) {
        const requests: ReadRequest[] = due.map((s) => ({ objectId: s.point.objectId, properties: [P.PRESENT_VALUE, P.STATUS_FLAGS, P.RELIABILITY] }));
        const results = await reader.read(requests);
        this.counters.polledObjects += due.length;
        const points: Record<string, PointValue> = {};
        for (const s of due) {
          points[s.point.point] = this.toPointValue(s, results.filter((r) => sameObject(r, s.point)));
        }
        this.emit(points);
      }
      this.markOnline(true);
    } catch (err) {
      if (err instanceof BacnetRequestError) this.markOnline(false, err.message);
      else this.ctx.log.error({ device: this.deviceId, err: (err as Error).message }, 'BACnet poll failed');
    } finally {
      this.busy = false;
    }
    if (this.resyncPending) {
      this.resyncPending = false;
      await this.cycle();
    } else if (this.renewPending) {
      await this.renew();
    }
  }

  /**
   * Read Database_Revision (System_Status where the device has none): proves the device is there, and a new
   * revision means it restarted with other objects or was reconfigured.
   */
  private async heartbeat(): Promise<void> {
    const bus = this.bus as BacnetBus;
    if (!this.revisionSupported) {
      await bus.readProperty(this.address, this.deviceObject, P.SYSTEM_STATUS);
      return;
    }
    try {
      const v = (await bus.readProperty(this.address, this.deviceObject, P.DATABASE_REVISION))[0]?.value;
      if (typeof v !== 'number') return;
      const before = this.revision;
      this.revision = v;
      if (before !== undefined && v !== before) this.restarted(`Database_Revision ${before} → ${v}`);
    } catch (err) {
      if (!(err instanceof BacnetRequestError && err.kind === 'error')) throw err;
      this.revisionSupported = false; // a device older than protocol revision 4 (clause 12.11.35)
    }
  }

  /** The device restarted or was reconfigured: probe it again and resubscribe now, after the running cycle. */
  private restarted(reason: string): void {
    if (this.stopped || !this.probed) return;
    this.counters.restarts++;
    this.ctx.log.info({ device: this.deviceId, reason }, 'BACnet device restarted or reconfigured: probing again and resubscribing COV');
    this.probed = false;
    for (const s of this.points) s.subscribed = false;
    if (this.busy) this.resyncPending = true;
    else void this.cycle();
  }

  private onCov(n: CovNotification): void {
    if (n.address !== this.address || n.processId !== this.processId || this.stopped) return;
    const s = this.points.find((x) => x.point.objectId.type === n.objectId.type && x.point.objectId.instance === n.objectId.instance);
    if (!s) return;
    this.counters.covNotifications++;
    s.lastCovMs = Date.now();
    s.subscribed = true;
    const results: PropertyResult[] = n.values.map((v) => ({ objectId: n.objectId, property: v.property, values: v.values }));
    this.emit({ [s.point.point]: this.toPointValue(s, results) });
    this.markOnline(true);
  }

  private toPointValue(s: PointState, results: PropertyResult[]): PointValue {
    const pv = results.find((r) => r.property === P.PRESENT_VALUE);
    if (!pv || pv.error || pv.unreadable) {
      const reason = pv?.error ? bacnetErrorName(pv.error.errorClass, pv.error.errorCode) : pv?.unreadable ?? 'no present value';
      return { value: null, quality: 'bad', reason };
    }
    if (s.unitError) return { value: null, quality: 'bad', reason: s.unitError };
    const raw = pv.values?.[0]?.value;
    if (typeof raw !== 'number' && typeof raw !== 'boolean') return { value: null, quality: 'bad', reason: 'present value is not a number' };
    let deviceValue = Number(raw);
    // REAL is IEEE-754 single precision (clause 20.2.6): 7 significant digits are all it carries.
    if (pv.values?.[0]?.type === ApplicationTag.REAL) deviceValue = Number(deviceValue.toPrecision(7));
    if (isMultiState(s.point.objectId.type)) deviceValue -= 1; // states count from 1 on the wire, from 0 in points
    const value = (s.conversion ?? bacnetConversion(s.point.point, undefined)).toCanonical(deviceValue) * (s.point.scale ?? 1);
    const flags = decodeStatusFlags(results.find((r) => r.property === P.STATUS_FLAGS)?.values?.[0]?.value as { bitsUsed: number; value: number[] } | undefined);
    const rel = results.find((r) => r.property === P.RELIABILITY)?.values?.[0]?.value;
    const q = qualityOf(flags, typeof rel === 'number' ? rel : undefined);
    return { value: Math.round(value * 1e6) / 1e6, ...q };
  }

  private emit(points: Record<string, PointValue>): void {
    const reading: DeviceReading = { device: this.deviceId, ts: Date.now(), points };
    this.ctx.emit(reading);
  }

  private markOnline(online: boolean, error?: string): void {
    if (online === this.online) return;
    this.online = online;
    if (!online) {
      // A device that comes back may have restarted and forgotten its subscriptions: probe again.
      this.probed = false;
      for (const s of this.points) s.subscribed = false;
    }
    this.ctx.setOnline(online, error);
  }
}

function sameObject(r: PropertyResult, p: ResolvedPoint): boolean {
  return r.objectId.type === p.objectId.type && r.objectId.instance === p.objectId.instance;
}

/** The source of a device with a BACnet template (gateway/protocols/index.ts): polls at the gateway's interval. */
export const bacnetSourceFactory: SourceFactory<BacnetTemplate> = (ctx, template) => {
  const gateway = ctx.site.gateways.find((g) => g.id === ctx.device.gateway);
  const seconds = ctx.device.poll_interval_s ?? gateway?.poll_interval_s ?? 15;
  return new BacnetSource(ctx, template, { pollIntervalMs: seconds * 1000 });
};
