/**
 * A BACnet/IP device simulator: one Device object plus the analog, binary and multi-state objects a template
 * lists, their Present_Value taken from a physics model. Answers Who-Is (I-Am with Max_APDU 1476, a standard
 * value — the library's own 1482 is not), ReadProperty, ReadPropertyMultiple (with per-property errors, and an
 * Abort when the answer would exceed its own max APDU, as a device without segmentation does), WriteProperty with a
 * 16-level priority array (clause 19.2), and SubscribeCOV with unconfirmed notifications on change by
 * COV_Increment (clause 13.1). Faults: offline (silence), COV notifications stopped, unknown objects, unreliable
 * objects.
 */
import {
  ApplicationTag, BacnetClient, ConfirmedServiceChoice, ErrorClass, ErrorCode, NpduControlPriority, ObjectType, PduType,
  PropertyIdentifier as P, Reliability, Segmentation, StatusFlags,
  StatusFlagsBitString, UnconfirmedServiceChoice, wire,
  type BACNetAddress, type BACNetAppData, type BACNetObjectID, type BACNetReadAccess,
} from '../../gateway/protocols/bacnet/library.ts';
import { formatObjectId, hasUnits, isCommandable } from '../../gateway/protocols/bacnet/objects.ts';
import { BacnetTransport } from '../../gateway/protocols/bacnet/transport.ts';
import { bacnetConversion } from '../../gateway/protocols/bacnet/units.ts';
import { DEVICE_PROPERTIES, encodePresentValue, readDeviceProperty } from './device-object.ts';
import type { BacnetDeviceSimOptions, SimFaults, SimObjectSpec } from './options.ts';

export type { BacnetDeviceSimOptions, SimFaults, SimObjectSpec } from './options.ts';

interface Subscription {
  receiver: BACNetAddress;
  processId: number;
  objectId: BACNetObjectID;
  confirmed: boolean;
  expiresAt: number;
  lastValue?: number;
  lastFlags?: string;
}

const APDU_OCTETS = [50, 128, 206, 480, 1024, 1476];

/** A running simulated BACnet/IP device. */
export class BacnetDeviceSimulator {
  readonly faults: SimFaults = { offline: false, covStopped: false, unknownObjects: new Set(), unreliable: new Map() };
  /** counters for tests: requests answered by service, notifications sent */
  readonly counters = { whoIs: 0, readProperty: 0, readPropertyMultiple: 0, writeProperty: 0, subscribeCov: 0, covNotifications: 0, covAcknowledged: 0, covUnacknowledged: 0 };
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly priorityArrays = new Map<string, Array<number | null>>();
  private readonly byKey = new Map<string, SimObjectSpec>();
  private covTimer?: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly maxApdu: number;

  private constructor(private readonly client: BacnetClient, readonly options: BacnetDeviceSimOptions) {
    this.now = options.now ?? Date.now;
    this.maxApdu = options.maxApdu ?? 1476;
    for (const o of options.objects) this.byKey.set(key(o.objectId), o);
    this.wire();
    this.covTimer = setInterval(() => this.checkCov(), options.covCheckMs ?? 1000);
    this.covTimer.unref();
  }

  /** Bind and start answering. */
  static start(options: BacnetDeviceSimOptions): Promise<BacnetDeviceSimulator> {
    return new Promise((resolve, reject) => {
      const broadcastAddress = options.broadcastAddress ?? (options.interface === '0.0.0.0' ? '127.255.255.255' : options.interface);
      const client = new BacnetClient({
        transport: new BacnetTransport({ interface: options.interface, port: options.port, broadcastAddress }),
        interface: options.interface,
        port: options.port,
        broadcastAddress,
        reuseAddr: false,
      });
      client.once('error', (err) => {
        client.close();
        reject(new Error(`BACnet simulator ${options.name} on ${options.interface}:${options.port}: ${err.message}`, { cause: err }));
      });
      client.once('listening', () => {
        client.removeAllListeners('error');
        client.on('error', () => undefined);
        resolve(new BacnetDeviceSimulator(client, options));
      });
    });
  }

  /** The `ip:port` a gateway addresses. */
  get address(): string {
    return `${this.options.interface === '0.0.0.0' ? '127.0.0.1' : this.options.interface}:${this.options.port}`;
  }

  /** Number of live COV subscriptions. */
  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  /** Lifetimes (s) the subscribers asked for, newest last; tests check renewals with it. */
  readonly subscribeLog: Array<{ objectId: string; processId: number; lifetimeS: number; at: number }> = [];

  /** Present value of an object in the device's own unit (what the wire carries). */
  presentValue(objectId: BACNetObjectID): number {
    const spec = this.byKey.get(key(objectId));
    if (!spec) throw new Error(`no object ${formatObjectId(objectId)}`);
    const commanded = this.commanded(spec);
    return commanded ?? this.modelValue(spec);
  }

  /** The physics model's value of an object, in the device's unit: its value when nothing commands it. */
  private modelValue(spec: SimObjectSpec): number {
    const canonical = this.options.model.read(this.now())[spec.point] ?? 0;
    return hasUnits(spec.objectId.type) ? bacnetConversion(spec.point, spec.units).toDevice(canonical) : canonical;
  }

  stop(): Promise<void> {
    clearInterval(this.covTimer);
    this.client.close();
    return Promise.resolve();
  }

  private commanded(spec: SimObjectSpec): number | undefined {
    const pa = this.priorityArrays.get(key(spec.objectId));
    const v = pa?.find((x) => x !== null);
    return v === null || v === undefined ? undefined : v;
  }

  private wire(): void {
    const c = this.client;
    c.on('whoIs', (msg) => {
      if (this.faults.offline) return;
      const { lowLimit, highLimit } = msg.payload;
      const id = this.options.deviceInstance;
      if (lowLimit !== undefined && highLimit !== undefined && (id < lowLimit || id > highLimit)) return;
      this.counters.whoIs++;
      this.sendIAm(msg.header?.sender ?? {});
    });
    c.on('readProperty', (msg) => {
      if (this.faults.offline || !msg.header || msg.invokeId === undefined) return;
      this.counters.readProperty++;
      const { objectId, property } = msg.payload;
      const r = this.readOne(objectId, property.id);
      if ('error' in r) c.errorResponse(msg.header.sender, ConfirmedServiceChoice.READ_PROPERTY, msg.invokeId, r.error[0], r.error[1]);
      else c.readPropertyResponse(msg.header.sender, msg.invokeId, objectId, property, r.values);
    });
    c.on('readPropertyMultiple', (msg) => {
      if (this.faults.offline || !msg.header || msg.invokeId === undefined) return;
      const sender = msg.header.sender;
      if (this.options.rpm === false) {
        // A device without DS-RPM-B rejects the service (clause 18.9, reject reason unrecognized-service).
        this.sendAbortOrReject(sender, msg.invokeId, PduType.REJECT, 9);
        return;
      }
      this.counters.readPropertyMultiple++;
      const answer: BACNetReadAccess[] = msg.payload.properties.map((spec) => ({
        objectId: spec.objectId,
        values: this.expand(spec.objectId, spec.properties.map((p) => p.id)).map((id) => {
          const r = this.readOne(spec.objectId, id);
          return 'error' in r
            ? { property: { id, index: 0xffffffff }, value: [{ type: ApplicationTag.ERROR, value: { type: 'BacnetError', errorClass: r.error[0], errorCode: r.error[1] } }] }
            : { property: { id, index: 0xffffffff }, value: r.values };
        }),
      }));
      const requesterMax = APDU_OCTETS[(msg as unknown as { maxApdu: number }).maxApdu] ?? 1476;
      if (encodedRpmSize(answer) > Math.min(requesterMax, this.maxApdu)) {
        // No segmentation here (Segmentation_Supported = no-segmentation): abort, reason segmentation-not-supported.
        this.sendAbortOrReject(sender, msg.invokeId, PduType.ABORT | 1, 4);
        return;
      }
      c.readPropertyMultipleResponse(sender, msg.invokeId, answer);
    });
    c.on('writeProperty', (msg) => {
      if (this.faults.offline || !msg.header || msg.invokeId === undefined) return;
      this.counters.writeProperty++;
      const err = this.write(msg.payload.objectId, msg.payload.value.property.id, msg.payload.value.value, msg.payload.value.priority);
      if (err) c.errorResponse(msg.header.sender, ConfirmedServiceChoice.WRITE_PROPERTY, msg.invokeId, err[0], err[1]);
      else c.simpleAckResponse(msg.header.sender, ConfirmedServiceChoice.WRITE_PROPERTY, msg.invokeId);
    });
    c.on('subscribeCov', (msg) => {
      if (this.faults.offline || !msg.header || msg.invokeId === undefined) return;
      this.counters.subscribeCov++;
      const sender = msg.header.sender;
      const p = msg.payload as typeof msg.payload & { cancellationRequest?: boolean };
      const objKey = key(p.monitoredObjectId);
      const fail = (cls: number, code: number) => c.errorResponse(sender, ConfirmedServiceChoice.SUBSCRIBE_COV, msg.invokeId as number, cls, code);
      if (this.options.cov === false) return fail(ErrorClass.SERVICES, ErrorCode.SERVICE_REQUEST_DENIED);
      if (!this.byKey.has(objKey) || this.faults.unknownObjects.has(formatObjectId(p.monitoredObjectId))) {
        return fail(ErrorClass.OBJECT, ErrorCode.UNKNOWN_OBJECT);
      }
      const subKey = `${sender.address}|${p.subscriberProcessId}|${objKey}`;
      if (p.cancellationRequest) {
        this.subscriptions.delete(subKey);
      } else {
        // Lifetime 0 means indefinite (clause 13.14.1.1.4); cap it for a simulator at one day.
        const lifetimeS = p.lifetime > 0 ? p.lifetime : 86_400;
        this.subscribeLog.push({ objectId: formatObjectId(p.monitoredObjectId), processId: p.subscriberProcessId, lifetimeS: p.lifetime, at: Date.now() });
        const existing = this.subscriptions.get(subKey);
        this.subscriptions.set(subKey, {
          receiver: { address: sender.address },
          processId: p.subscriberProcessId,
          objectId: p.monitoredObjectId,
          confirmed: p.issueConfirmedNotifications,
          expiresAt: Date.now() + lifetimeS * 1000,
          lastValue: existing?.lastValue,
          lastFlags: existing?.lastFlags,
        });
      }
      c.simpleAckResponse(sender, ConfirmedServiceChoice.SUBSCRIBE_COV, msg.invokeId);
      // The initial notification follows a successful subscription (clause 13.14.2).
      if (!p.cancellationRequest) setImmediate(() => this.notify(subKey, true));
    });
  }

  /** I-Am (clause 16.10) with a standard Max_APDU value, unicast to the asker. */
  private sendIAm(receiver: BACNetAddress): void {
    const buffer = { buffer: Buffer.alloc(1500), offset: 4 };
    wire.npdu.encode(buffer, NpduControlPriority.NORMAL_MESSAGE, receiver);
    wire.apdu.encodeUnconfirmedServiceRequest(buffer, PduType.UNCONFIRMED_REQUEST, UnconfirmedServiceChoice.I_AM);
    wire.IAm.encode(buffer, this.options.deviceInstance, this.maxApdu, Segmentation.NO_SEGMENTATION, this.options.vendorId ?? 260);
    this.client.sendBvlc(receiver, buffer);
  }

  private sendAbortOrReject(receiver: BACNetAddress, invokeId: number, type: number, reason: number): void {
    const buffer = { buffer: Buffer.alloc(64), offset: 4 };
    wire.npdu.encode(buffer, NpduControlPriority.NORMAL_MESSAGE, receiver);
    wire.apdu.encodeAbort(buffer, type, invokeId, reason);
    this.client.sendBvlc(receiver, buffer);
  }

  /** ALL / REQUIRED / OPTIONAL expand to the object's properties (clause 15.7.3.1.2). */
  private expand(objectId: BACNetObjectID, ids: number[]): number[] {
    return ids.flatMap((id) => (id === P.ALL || id === P.REQUIRED || id === P.OPTIONAL ? this.propertyList(objectId) : [id]));
  }

  private propertyList(objectId: BACNetObjectID): number[] {
    if (objectId.type === ObjectType.DEVICE) return [...DEVICE_PROPERTIES];
    const spec = this.byKey.get(key(objectId));
    if (!spec) return [];
    const list = [P.OBJECT_IDENTIFIER, P.OBJECT_NAME, P.OBJECT_TYPE, P.PRESENT_VALUE, P.STATUS_FLAGS, P.EVENT_STATE,
      P.OUT_OF_SERVICE, P.RELIABILITY];
    if (hasUnits(objectId.type)) list.push(P.UNITS, P.COV_INCREMENT);
    if (spec.description) list.push(P.DESCRIPTION);
    if (isCommandable(objectId.type)) list.push(P.PRIORITY_ARRAY, P.RELINQUISH_DEFAULT);
    return list;
  }

  private readOne(objectId: BACNetObjectID, property: number): { values: BACNetAppData[] } | { error: [number, number] } {
    const unknownObject: { error: [number, number] } = { error: [ErrorClass.OBJECT, ErrorCode.UNKNOWN_OBJECT] };
    const unknownProperty: { error: [number, number] } = { error: [ErrorClass.PROPERTY, ErrorCode.UNKNOWN_PROPERTY] };
    const o = this.options;
    if (objectId.type === ObjectType.DEVICE) {
      if (objectId.instance !== o.deviceInstance && objectId.instance !== 4194303) return unknownObject;
      return readDeviceProperty({ ...o, maxApdu: this.maxApdu, objectIds: o.objects.map((x) => x.objectId) }, property) ?? unknownProperty;
    }
    const spec = this.byKey.get(key(objectId));
    if (!spec || this.faults.unknownObjects.has(formatObjectId(objectId))) return unknownObject;
    const reliability = this.faults.unreliable.get(formatObjectId(objectId)) ?? Reliability.NO_FAULT_DETECTED;
    const v = (type: number, value: unknown): { values: BACNetAppData[] } => ({ values: [{ type, value } as BACNetAppData] });
    switch (property) {
      case P.OBJECT_IDENTIFIER: return v(ApplicationTag.OBJECTIDENTIFIER, objectId);
      case P.OBJECT_NAME: return v(ApplicationTag.CHARACTER_STRING, spec.name);
      case P.OBJECT_TYPE: return v(ApplicationTag.ENUMERATED, objectId.type);
      case P.DESCRIPTION: return spec.description ? v(ApplicationTag.CHARACTER_STRING, spec.description) : unknownProperty;
      case P.PRESENT_VALUE: return { values: [encodePresentValue(spec.objectId.type, this.presentValue(objectId))] };
      case P.STATUS_FLAGS: return v(ApplicationTag.BIT_STRING, this.flags(objectId, reliability));
      case P.EVENT_STATE: return v(ApplicationTag.ENUMERATED, 0);
      case P.OUT_OF_SERVICE: return v(ApplicationTag.BOOLEAN, false);
      case P.RELIABILITY: return v(ApplicationTag.ENUMERATED, reliability);
      case P.UNITS: return hasUnits(objectId.type) && spec.units !== undefined ? v(ApplicationTag.ENUMERATED, spec.units) : unknownProperty;
      case P.COV_INCREMENT: return hasUnits(objectId.type) ? v(ApplicationTag.REAL, spec.covIncrement ?? 0.1) : unknownProperty;
      case P.PRIORITY_ARRAY: {
        if (!isCommandable(objectId.type)) return unknownProperty;
        const pa = this.priorityArrays.get(key(objectId)) ?? new Array<number | null>(16).fill(null);
        return { values: pa.map((x) => (x === null ? { type: ApplicationTag.NULL, value: null } : encodePresentValue(spec.objectId.type, x)) as BACNetAppData) };
      }
      case P.RELINQUISH_DEFAULT:
        return isCommandable(objectId.type) ? { values: [encodePresentValue(objectId.type, this.modelValue(spec))] } : unknownProperty;
      default: return unknownProperty;
    }
  }

  private flags(objectId: BACNetObjectID, reliability: number): StatusFlagsBitString {
    const bits: StatusFlags[] = [];
    if (reliability !== Reliability.NO_FAULT_DETECTED) bits.push(StatusFlags.FAULT);
    const pa = this.priorityArrays.get(key(objectId));
    if (pa?.some((x) => x !== null)) bits.push(StatusFlags.OVERRIDDEN);
    return new StatusFlagsBitString(...bits);
  }

  private write(objectId: BACNetObjectID, property: number, values: Array<{ type: number; value: unknown }>, priority: number): [number, number] | undefined {
    const spec = this.byKey.get(key(objectId));
    if (!spec || this.faults.unknownObjects.has(formatObjectId(objectId))) return [ErrorClass.OBJECT, ErrorCode.UNKNOWN_OBJECT];
    if (property !== P.PRESENT_VALUE) return [ErrorClass.PROPERTY, ErrorCode.WRITE_ACCESS_DENIED];
    if (!spec.writable) return [ErrorClass.PROPERTY, ErrorCode.WRITE_ACCESS_DENIED];
    const first = values[0];
    if (!first) return [ErrorClass.PROPERTY, ErrorCode.INVALID_DATA_TYPE];
    // No priority in the request means 16 (clause 15.9.1.1.5).
    const slot = priority >= 1 && priority <= 16 ? priority - 1 : 15;
    const pa = this.priorityArrays.get(key(objectId)) ?? new Array<number | null>(16).fill(null);
    if (first.type === ApplicationTag.NULL) {
      pa[slot] = null; // relinquish
    } else if (typeof first.value === 'number' && Number.isFinite(first.value)) {
      pa[slot] = first.value;
    } else {
      return [ErrorClass.PROPERTY, ErrorCode.INVALID_DATA_TYPE];
    }
    this.priorityArrays.set(key(objectId), pa);
    const effective = this.commanded(spec);
    if (effective !== undefined) {
      const canonical = hasUnits(spec.objectId.type) ? bacnetConversion(spec.point, spec.units).toCanonical(effective) : effective;
      this.options.model.setSetpoint(spec.point, canonical);
    }
    return undefined;
  }

  private checkCov(): void {
    const now = Date.now();
    for (const [k, s] of this.subscriptions) {
      if (s.expiresAt <= now) this.subscriptions.delete(k);
      else this.notify(k, false);
    }
  }

  private notify(subKey: string, initial: boolean): void {
    const s = this.subscriptions.get(subKey);
    if (!s || this.faults.offline || this.faults.covStopped) return;
    const spec = this.byKey.get(key(s.objectId));
    if (!spec) return;
    const value = this.presentValue(s.objectId);
    const reliability = this.faults.unreliable.get(formatObjectId(s.objectId)) ?? Reliability.NO_FAULT_DETECTED;
    const flags = this.flags(s.objectId, reliability);
    const flagsKey = flags.value.join(',');
    const increment = hasUnits(spec.objectId.type) ? (spec.covIncrement ?? 0.1) : 0.5;
    const changed = s.lastValue === undefined || Math.abs(value - s.lastValue) >= increment || flagsKey !== s.lastFlags;
    if (!initial && !changed) return;
    s.lastValue = value;
    s.lastFlags = flagsKey;
    this.counters.covNotifications++;
    const timeRemaining = Math.max(0, Math.round((s.expiresAt - Date.now()) / 1000));
    // Property index left undefined: the library's encoder writes an index when given ASN1_ARRAY_ALL.
    const values = [
      { property: { id: P.PRESENT_VALUE }, value: [encodePresentValue(spec.objectId.type, value)] },
      { property: { id: P.STATUS_FLAGS }, value: [{ type: ApplicationTag.BIT_STRING, value: flags } as BACNetAppData] },
    ];
    if (s.confirmed) {
      // ConfirmedCOVNotification (clause 13.2) waits for the subscriber's SimpleACK.
      this.client.confirmedCOVNotification(s.receiver, s.objectId, s.processId, this.options.deviceInstance, timeRemaining, values)
        .then(() => { this.counters.covAcknowledged++; }, () => { this.counters.covUnacknowledged++; });
    } else {
      this.client.unconfirmedCOVNotification(s.receiver, s.processId, this.options.deviceInstance, s.objectId, timeRemaining, values);
    }
  }
}

function key(id: BACNetObjectID): string {
  return `${id.type}:${id.instance}`;
}

/** Size of an RPM acknowledgement, as encoded, plus the 3-octet complex-ACK header. */
function encodedRpmSize(values: BACNetReadAccess[]): number {
  const buffer = { buffer: Buffer.alloc(65_536), offset: 0 };
  wire.ReadPropertyMultiple.encodeAcknowledge(buffer, values);
  return buffer.offset + 3;
}
