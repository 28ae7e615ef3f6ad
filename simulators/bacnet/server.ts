/**
 * A BACnet/IP device simulator: one Device object plus the analog, binary and multi-state objects a template
 * lists (simulators/bacnet/object-store.ts: their required properties, arrays, command priorities), their
 * Present_Value taken from a physics model. Answers Who-Is (I-Am with Max_APDU 1476, a standard value — the
 * library's own 1482 is not), ReadProperty and ReadPropertyMultiple (with per-property errors, and an Abort
 * segmentation-not-supported when the answer would exceed the requester's or its own max APDU, as a device
 * without segmentation must: clause 5.4.5.3 of ASHRAE 135), WriteProperty with a 16-level priority array (clause
 * 19.2), and SubscribeCOV with notifications on change by COV_Increment (clause 13.1). It announces itself with
 * an I-Am on start when asked, as devices do on start-up. Faults: offline (silence), COV notifications stopped,
 * unknown objects, unreliable objects, local overrides.
 */
import {
  ApplicationTag, ASN1_ARRAY_ALL, BacnetClient, ConfirmedServiceChoice, ErrorClass, ErrorCode, NpduControlPriority, PduType,
  PropertyIdentifier as P, Segmentation, UnconfirmedServiceChoice, wire,
  type BACNetAddress, type BACNetAppData, type BACNetObjectID, type BACNetReadAccess,
} from '../../gateway/protocols/bacnet/library.ts';
import { StartupError } from '../../core/errors.ts';
import { formatObjectId, hasUnits } from '../../gateway/protocols/bacnet/objects.ts';
import { BacnetTransport } from '../../gateway/protocols/bacnet/transport.ts';
import { encodePresentValue } from './device-object.ts';
import { objectKey as key, SimObjectStore } from './object-store.ts';
import type { BacnetDeviceSimOptions, SimFaults } from './options.ts';

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
  /** counters for tests: requests answered by service, notifications sent */
  readonly counters = { whoIs: 0, readProperty: 0, readPropertyMultiple: 0, writeProperty: 0, subscribeCov: 0, covNotifications: 0, covAcknowledged: 0, covUnacknowledged: 0, aborts: 0 };
  /** Lifetimes (s) the subscribers asked for, newest last; tests check renewals with it. */
  readonly subscribeLog: Array<{ objectId: string; processId: number; lifetimeS: number; at: number }> = [];
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly store: SimObjectStore;
  private covTimer?: NodeJS.Timeout;
  private readonly maxApdu: number;

  private constructor(private readonly client: BacnetClient, readonly options: BacnetDeviceSimOptions) {
    this.maxApdu = options.maxApdu ?? 1476;
    this.store = new SimObjectStore({ ...options, maxApdu: this.maxApdu, databaseRevision: options.databaseRevision ?? 1 }, options.now ?? Date.now);
    this.wire();
    this.covTimer = setInterval(() => this.checkCov(), options.covCheckMs ?? 1000);
    this.covTimer.unref();
    // Devices announce themselves on start-up with a broadcast I-Am (clause 16.10.1 lets them; most do).
    if (options.announce) this.sendIAm({});
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
      client.once('error', (err: NodeJS.ErrnoException) => {
        client.close();
        const where = `BACnet simulator ${options.name} on ${options.interface}:${options.port}`;
        // Address in use: most likely a real device (or a second demo) there. One line, never a stack trace.
        reject(err.code === 'EADDRINUSE'
          ? new StartupError(`${where}: address in use — a real BACnet device there? Mark it \`simulated: false\` in the site model, or stop what uses the port`, { cause: err })
          : new Error(`${where}: ${err.message}`, { cause: err }));
      });
      client.once('listening', () => {
        client.removeAllListeners('error');
        client.on('error', () => undefined);
        resolve(new BacnetDeviceSimulator(client, options));
      });
    });
  }

  /** What tests and the demo can break (offline, COV stopped, unknown or unreliable objects, local overrides). */
  get faults(): SimFaults {
    return this.store.faults;
  }

  /** The `ip:port` a gateway addresses. */
  get address(): string {
    return `${this.options.interface === '0.0.0.0' ? '127.0.0.1' : this.options.interface}:${this.options.port}`;
  }

  /** Number of live COV subscriptions. */
  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  /** Present value of an object in the device's own unit (what the wire carries). */
  presentValue(objectId: BACNetObjectID): number {
    const spec = this.store.spec(objectId);
    if (!spec) throw new Error(`no object ${formatObjectId(objectId)}`);
    return this.store.presentValue(spec);
  }

  /**
   * Behave as a controller that restarted in an instant: every COV subscription forgotten, a new Database_Revision
   * when given (its objects changed), and the start-up I-Am when it announces itself.
   */
  restart(opts: { databaseRevision?: number } = {}): void {
    this.subscriptions.clear();
    if (opts.databaseRevision !== undefined) this.store.databaseRevision = opts.databaseRevision;
    if (this.options.announce) this.sendIAm({});
  }

  stop(): Promise<void> {
    clearInterval(this.covTimer);
    this.client.close();
    return Promise.resolve();
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
      const r = this.store.read(objectId, property.id, property.index);
      if ('error' in r) {
        c.errorResponse(msg.header.sender, ConfirmedServiceChoice.READ_PROPERTY, msg.invokeId, r.error[0], r.error[1]);
      } else if (!this.fits(msg, rpAnswerSize(objectId, property, r.values))) {
        this.abortTooLong(msg.header.sender, msg.invokeId);
      } else {
        c.readPropertyResponse(msg.header.sender, msg.invokeId, objectId, property, r.values);
      }
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
        values: spec.properties.flatMap((p) => this.expand(spec.objectId, p)).map(({ id, index }) => {
          const r = this.store.read(spec.objectId, id, index);
          return 'error' in r
            ? { property: { id, index }, value: [{ type: ApplicationTag.ERROR, value: { type: 'BacnetError', errorClass: r.error[0], errorCode: r.error[1] } }] }
            : { property: { id, index }, value: r.values };
        }),
      }));
      if (!this.fits(msg, encodedRpmSize(answer))) this.abortTooLong(sender, msg.invokeId);
      else c.readPropertyMultipleResponse(sender, msg.invokeId, answer);
    });
    c.on('writeProperty', (msg) => {
      if (this.faults.offline || !msg.header || msg.invokeId === undefined) return;
      this.counters.writeProperty++;
      const { property, value, priority } = msg.payload.value;
      const err = this.store.write(msg.payload.objectId, property.id, value, priority, property.index);
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
      if (!this.store.spec(p.monitoredObjectId)) return fail(ErrorClass.OBJECT, ErrorCode.UNKNOWN_OBJECT);
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

  /** Whether an answer of `octets` fits the requester's max APDU (coded 0–5 in the request) and our own. */
  private fits(msg: unknown, octets: number): boolean {
    const requesterMax = APDU_OCTETS[(msg as { maxApdu?: number }).maxApdu ?? 5] ?? 1476;
    return octets <= Math.min(requesterMax, this.maxApdu);
  }

  /** Segmentation_Supported is no-segmentation: an answer too long for one APDU is aborted (clause 5.4.5.3). */
  private abortTooLong(receiver: BACNetAddress, invokeId: number): void {
    this.counters.aborts++;
    this.sendAbortOrReject(receiver, invokeId, PduType.ABORT | 1, 4); // server, reason segmentation-not-supported
  }

  /** I-Am (clause 16.10) with a standard Max_APDU value, unicast to the asker (an empty address: broadcast). */
  private sendIAm(receiver: BACNetAddress): void {
    const buffer = { buffer: Buffer.alloc(1500), offset: 4 };
    wire.npdu.encode(buffer, NpduControlPriority.NORMAL_MESSAGE, receiver.address ? receiver : undefined);
    wire.apdu.encodeUnconfirmedServiceRequest(buffer, PduType.UNCONFIRMED_REQUEST, UnconfirmedServiceChoice.I_AM);
    wire.IAm.encode(buffer, this.options.deviceInstance, this.maxApdu, Segmentation.NO_SEGMENTATION, this.options.vendorId ?? 260);
    this.client.sendBvlc(receiver.address ? receiver : null, buffer);
  }

  private sendAbortOrReject(receiver: BACNetAddress, invokeId: number, type: number, reason: number): void {
    const buffer = { buffer: Buffer.alloc(64), offset: 4 };
    wire.npdu.encode(buffer, NpduControlPriority.NORMAL_MESSAGE, receiver);
    wire.apdu.encodeAbort(buffer, type, invokeId, reason);
    this.client.sendBvlc(receiver, buffer);
  }

  /** ALL / REQUIRED / OPTIONAL expand to the object's properties (clause 15.7.3.1.2); others stay as asked. */
  private expand(objectId: BACNetObjectID, p: { id: number; index?: number }): Array<{ id: number; index: number }> {
    const which = p.id === P.ALL ? 'all' : p.id === P.REQUIRED ? 'required' : p.id === P.OPTIONAL ? 'optional' : undefined;
    if (!which) return [{ id: p.id, index: p.index ?? ASN1_ARRAY_ALL }];
    return this.store.properties(objectId, which).map((id) => ({ id, index: ASN1_ARRAY_ALL }));
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
    const spec = this.store.spec(s.objectId);
    if (!spec) return;
    const value = this.store.presentValue(spec);
    const flags = this.store.flags(spec);
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

/** Size of an RPM acknowledgement, as encoded, plus the 3-octet complex-ACK header. */
function encodedRpmSize(values: BACNetReadAccess[]): number {
  const buffer = { buffer: Buffer.alloc(65_536), offset: 0 };
  wire.ReadPropertyMultiple.encodeAcknowledge(buffer, values);
  return buffer.offset + 3;
}

/** Size of a ReadProperty acknowledgement, as encoded, plus the 3-octet complex-ACK header. */
function rpAnswerSize(objectId: BACNetObjectID, property: { id: number; index: number }, values: BACNetAppData[]): number {
  const buffer = { buffer: Buffer.alloc(65_536), offset: 0 };
  wire.ReadProperty.encodeAcknowledge(buffer, objectId, property.id, property.index, values);
  return buffer.offset + 3;
}
