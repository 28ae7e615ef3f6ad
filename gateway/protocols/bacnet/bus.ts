/**
 * The BACnet/IP bus: one UDP socket bound to a configured interface and port, with a configured broadcast
 * address (never the library's 255.255.255.255 default), and the confirmed and unconfirmed services the
 * gateway uses. Devices are addressed by `ip:port` only; a bare string would make the library broadcast.
 * Errors come back typed (BacnetRequestError) so callers can tell "unsupported" from "failed".
 */
import {
  ApplicationTag, BacnetClient, ConfirmedServiceChoice, ErrorClass, ErrorCode, PropertyIdentifier,
  type BACNetAppData, type BACNetObjectID, type BACNetReadAccessSpecification,
} from './library.ts';
import { BacnetTransport } from './transport.ts';

/** Where the bus listens and broadcasts. */
export interface BusOptions {
  /** local IPv4 address to bind (0.0.0.0 only when the caller means every interface) */
  interface: string;
  /** local UDP port; BACnet/IP's standard is 47808 (0xBAC0, ASHRAE 135 Annex J.1) */
  port: number;
  /** directed broadcast of the local subnet, e.g. 192.168.10.255 or 127.255.255.255; may end in `:port` */
  broadcastAddress: string;
  /** how long a confirmed request waits for its answer (APDU timeout, clause 12.11.27), default 3000 ms */
  apduTimeoutMs?: number;
}

/** Why a request failed: a BACnet Error PDU, an Abort/Reject PDU, no answer, an undecodable answer, a closed bus. */
export type BacnetFailure = 'error' | 'abort' | 'timeout' | 'decode' | 'closed';

/** A failed confirmed request, with the BACnet error class/code or abort reason when the device gave one. */
export class BacnetRequestError extends Error {
  constructor(
    readonly kind: BacnetFailure,
    message: string,
    readonly errorClass?: number,
    readonly errorCode?: number,
    readonly reason?: number,
  ) {
    super(message);
    this.name = 'BacnetRequestError';
  }

  /** The device does not implement the service (Error services/unrecognized-service or Reject reason 9). */
  get unsupportedService(): boolean {
    return (this.kind === 'error' && this.errorClass === ErrorClass.SERVICES
      && (this.errorCode === ErrorCode.REJECT_UNRECOGNIZED_SERVICE || this.errorCode === ErrorCode.SERVICE_REQUEST_DENIED
        || this.errorCode === ErrorCode.OPTIONAL_FUNCTIONALITY_NOT_SUPPORTED))
      || (this.kind === 'abort' && this.reason === 9);
  }

  /** The answer did not fit: abort buffer-overflow (1), segmentation-not-supported (4) or APDU-too-long (11). */
  get tooLong(): boolean {
    return this.kind === 'abort' && (this.reason === 1 || this.reason === 4 || this.reason === 11);
  }
}

/** Turn the library's string errors into a typed one. */
export function classifyError(err: unknown, what: string): BacnetRequestError {
  const text = err instanceof Error ? err.message : String(err);
  let m = /BacnetError - Class:(\d+) - Code:(\d+)/.exec(text);
  if (m) return new BacnetRequestError('error', `${what}: BACnet error class ${m[1]} code ${m[2]}`, Number(m[1]), Number(m[2]));
  m = /BacnetAbort - Reason:(\d+)/.exec(text);
  if (m) return new BacnetRequestError('abort', `${what}: aborted or rejected, reason ${m[1]}`, undefined, undefined, Number(m[1]));
  if (text === 'ERR_TIMEOUT') return new BacnetRequestError('timeout', `${what}: no answer (timeout)`);
  if (text === 'ERR_CLOSED') return new BacnetRequestError('closed', `${what}: bus closed`);
  if (text === 'INVALID_DECODING') return new BacnetRequestError('decode', `${what}: answer could not be decoded`);
  return new BacnetRequestError('decode', `${what}: ${text}`);
}

/** An I-Am answer (clause 16.10): who the device is and what it accepts. */
export interface IAmInfo {
  /** `ip:port` the device answered from */
  address: string;
  deviceInstance: number;
  /** Max_APDU_Length_Accepted in octets */
  maxApdu: number;
  /** BACnetSegmentation: 0 both, 1 transmit, 2 receive, 3 none */
  segmentation: number;
  vendorId: number;
}

/**
 * One property's outcome: values, or the error the device put in their place, or why the answer could not be used
 * (`unreadable`: not decodable by our codec, or too long to be sent unsegmented).
 */
export interface PropertyResult {
  objectId: BACNetObjectID;
  property: number;
  values?: BACNetAppData[];
  error?: { errorClass: number; errorCode: number };
  unreadable?: string;
}

/** A COV notification (clause 13.1, confirmed or unconfirmed). */
export interface CovNotification {
  address: string;
  processId: number;
  deviceInstance: number;
  objectId: BACNetObjectID;
  timeRemainingS: number;
  values: Array<{ property: number; values: BACNetAppData[] }>;
}

/** `10.0.0.5` → `10.0.0.5:47808`; the library drops the port when it is the standard one. */
export function normaliseAddress(address: string): string {
  return address.includes(':') ? address : `${address}:47808`;
}

/** The bus itself; open with `BacnetBus.open`. */
export class BacnetBus {
  private readonly covHandlers = new Set<(n: CovNotification) => void>();
  private readonly iAmHandlers = new Set<(i: IAmInfo) => void>();
  private closed = false;

  private constructor(private readonly client: BacnetClient, readonly options: Readonly<BusOptions>) {
    client.on('iAm', (content) => {
      if (this.iAmHandlers.size === 0) return;
      const p = content.payload;
      const info: IAmInfo = { address: normaliseAddress(content.header?.sender.address ?? ''), deviceInstance: p.deviceId, maxApdu: p.maxApdu, segmentation: p.segmentation, vendorId: p.vendorId };
      for (const h of this.iAmHandlers) h(info);
    });
    client.on('covNotifyUnconfirmed', (content) => this.deliverCov(content.header?.sender.address, content.payload));
    client.on('covNotify', (content) => {
      const sender = content.header?.sender;
      // A confirmed notification needs its SimpleACK (clause 13.1.2) or the device retries and may drop us.
      if (sender && content.invokeId !== undefined) {
        client.simpleAckResponse(sender, ConfirmedServiceChoice.CONFIRMED_COV_NOTIFICATION, content.invokeId);
      }
      this.deliverCov(sender?.address, content.payload);
    });
  }

  /** Bind the socket; rejects with the OS error (EADDRINUSE, EADDRNOTAVAIL …) when it cannot. */
  static open(options: BusOptions): Promise<BacnetBus> {
    return new Promise((resolve, reject) => {
      const client = new BacnetClient({
        // Our transport: exactly this interface and port, no SO_REUSEADDR (a second process on the port fails
        // loudly instead of stealing unicasts), broadcasts only to the configured address.
        transport: new BacnetTransport({ interface: options.interface, port: options.port, broadcastAddress: options.broadcastAddress }),
        interface: options.interface,
        port: options.port,
        broadcastAddress: options.broadcastAddress,
        apduTimeout: options.apduTimeoutMs ?? 3000,
        reuseAddr: false,
      });
      const onError = (err: Error) => {
        client.close();
        reject(new Error(`BACnet/IP bus on ${options.interface}:${options.port}: ${err.message}`, { cause: err }));
      };
      client.once('error', onError);
      client.once('listening', () => {
        client.off('error', onError);
        const bus = new BacnetBus(client, options);
        // Late socket errors are reported by the requests that time out; keep the process alive.
        client.on('error', () => undefined);
        resolve(bus);
      });
    });
  }

  /** Who-Is (clause 16.10) to the broadcast address, or to one `ip:port`; collects I-Am answers for `waitMs`. */
  whoIs(opts: { lowLimit?: number; highLimit?: number; waitMs?: number; target?: string } = {}): Promise<IAmInfo[]> {
    const found = new Map<number, IAmInfo>();
    const onIAm = (content: { header?: { sender: { address?: string } }; payload: { deviceId: number; maxApdu: number; segmentation: number; vendorId: number } }) => {
      const p = content.payload;
      if (opts.lowLimit !== undefined && p.deviceId < opts.lowLimit) return;
      if (opts.highLimit !== undefined && p.deviceId > opts.highLimit) return;
      found.set(p.deviceId, {
        address: normaliseAddress(content.header?.sender.address ?? ''),
        deviceInstance: p.deviceId,
        maxApdu: p.maxApdu,
        segmentation: p.segmentation,
        vendorId: p.vendorId,
      });
    };
    this.client.on('iAm', onIAm);
    const limits = opts.lowLimit !== undefined && opts.highLimit !== undefined ? { lowLimit: opts.lowLimit, highLimit: opts.highLimit } : {};
    if (opts.target) this.client.whoIs({ address: opts.target }, limits);
    else if (limits.lowLimit !== undefined) this.client.whoIs(limits);
    else this.client.whoIs();
    return new Promise((resolve) => {
      setTimeout(() => {
        this.client.off('iAm', onIAm);
        resolve([...found.values()].sort((a, b) => a.deviceInstance - b.deviceInstance));
      }, opts.waitMs ?? 2000);
    });
  }

  /** ReadProperty (clause 15.5). */
  async readProperty(address: string, objectId: BACNetObjectID, property: number, arrayIndex?: number): Promise<BACNetAppData[]> {
    try {
      const ack = await this.client.readProperty({ address }, objectId, property, arrayIndex === undefined ? {} : { arrayIndex });
      return ack.values;
    } catch (err) {
      throw classifyError(err, `ReadProperty ${address} ${objectId.type}:${objectId.instance}/${property}`);
    }
  }

  /** ReadPropertyMultiple (clause 15.7), one request: per-property errors come back inside the results. */
  async readPropertyMultiple(address: string, specs: BACNetReadAccessSpecification[]): Promise<PropertyResult[]> {
    let ack;
    try {
      ack = await this.client.readPropertyMultiple({ address }, specs);
    } catch (err) {
      throw classifyError(err, `ReadPropertyMultiple ${address}`);
    }
    // The codec can mis-step over a datatype it does not know and swallow the objects after it into that value
    // instead of failing (seen with bacnet-stack's credential-data-input): an answer must name what was asked.
    if (!answersRequest(specs, ack.values)) {
      throw new BacnetRequestError('decode', `ReadPropertyMultiple ${address}: answer could not be decoded (it does not match the request)`);
    }
    const out: PropertyResult[] = [];
    for (const obj of ack.values) {
      for (const prop of obj.values) {
        const first = prop.value[0];
        if (first && first.type === ApplicationTag.ERROR) {
          const e = first.value as { errorClass: number; errorCode: number };
          out.push({ objectId: obj.objectId, property: prop.id, error: { errorClass: e.errorClass, errorCode: e.errorCode } });
        } else {
          out.push({ objectId: obj.objectId, property: prop.id, values: prop.value });
        }
      }
    }
    return out;
  }

  /** WriteProperty (clause 15.9) with a command priority 1–16 for commandable objects (clause 19.2). */
  async writeProperty(address: string, objectId: BACNetObjectID, property: number, values: BACNetAppData[], priority?: number): Promise<void> {
    try {
      await this.client.writeProperty({ address }, objectId, property, values, priority === undefined ? {} : { priority });
    } catch (err) {
      throw classifyError(err, `WriteProperty ${address} ${objectId.type}:${objectId.instance}/${property}`);
    }
  }

  /** SubscribeCOV (clause 13.14): subscribe or renew (same process id and object), lifetime in seconds. */
  async subscribeCov(address: string, objectId: BACNetObjectID, processId: number, lifetimeS: number, confirmed = false): Promise<void> {
    try {
      await this.client.subscribeCov({ address }, objectId, processId, false, confirmed, lifetimeS);
    } catch (err) {
      throw classifyError(err, `SubscribeCOV ${address} ${objectId.type}:${objectId.instance}`);
    }
  }

  /** SubscribeCOV cancellation (no lifetime, no confirmed flag: clause 13.14.1.1). */
  async cancelCov(address: string, objectId: BACNetObjectID, processId: number): Promise<void> {
    try {
      await this.client.subscribeCov({ address }, objectId, processId, true, false, 0);
    } catch (err) {
      throw classifyError(err, `SubscribeCOV cancel ${address} ${objectId.type}:${objectId.instance}`);
    }
  }

  /** Receive every COV notification arriving on this bus; returns the unsubscribe function. */
  onCov(handler: (n: CovNotification) => void): () => void {
    this.covHandlers.add(handler);
    return () => this.covHandlers.delete(handler);
  }

  /** Receive every I-Am heard on this bus (answers to anyone's Who-Is, start-up announcements); returns the unsubscribe. */
  onIAm(handler: (i: IAmInfo) => void): () => void {
    this.iAmHandlers.add(handler);
    return () => this.iAmHandlers.delete(handler);
  }

  /** Close the socket; pending requests fail with kind 'closed'. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.covHandlers.clear();
    this.iAmHandlers.clear();
    this.client.close();
  }

  private deliverCov(sender: string | undefined, payload: unknown): void {
    if (!sender || !payload) return;
    const p = payload as {
      subscriberProcessId: number; initiatingDeviceId: number | { instance: number };
      monitoredObjectId: BACNetObjectID; timeRemaining: number;
      values: Array<{ property: { id: number }; value: BACNetAppData[] }>;
    };
    const n: CovNotification = {
      address: normaliseAddress(sender),
      processId: p.subscriberProcessId,
      deviceInstance: typeof p.initiatingDeviceId === 'number' ? p.initiatingDeviceId : p.initiatingDeviceId.instance,
      objectId: p.monitoredObjectId,
      timeRemainingS: p.timeRemaining,
      values: (p.values ?? []).map((v) => ({ property: v.property.id, values: v.value })),
    };
    for (const h of this.covHandlers) h(n);
  }
}

/**
 * Whether an RPM answer holds exactly the requested objects, each with exactly the requested properties (in any
 * order). ALL, REQUIRED and OPTIONAL expand to the device's choice: with those, only the objects are compared.
 */
function answersRequest(specs: BACNetReadAccessSpecification[], answer: Array<{ objectId: BACNetObjectID; values: Array<{ id: number }> }>): boolean {
  const open = specs.some((s) => s.properties.some((p) => p.id === PropertyIdentifier.ALL || p.id === PropertyIdentifier.REQUIRED || p.id === PropertyIdentifier.OPTIONAL));
  const key = (o: BACNetObjectID, ids: number[]) => `${o.type}:${o.instance}${open ? '' : `/${[...ids].sort((x, y) => x - y).join(',')}`}`;
  const want = specs.map((s) => key(s.objectId, s.properties.map((p) => p.id))).sort();
  const got = answer.map((o) => key(o.objectId, o.values.map((v) => v.id))).sort();
  return want.length === got.length && want.every((k, i) => k === got[i]);
}

/** Buses shared by every source bound to the same interface and port (one socket per local endpoint). */
const shared = new Map<string, { bus: Promise<BacnetBus>; users: number }>();

/** Open or reuse the bus for `interface:port`; call the returned release when done. */
export async function acquireBus(options: BusOptions): Promise<{ bus: BacnetBus; release: () => void }> {
  const key = `${options.interface}:${options.port}`;
  let entry = shared.get(key);
  if (!entry) {
    entry = { bus: BacnetBus.open(options), users: 0 };
    shared.set(key, entry);
    entry.bus.catch(() => shared.delete(key));
  }
  entry.users++;
  const bus = await entry.bus.catch((err: unknown) => {
    entry.users--;
    throw err;
  });
  let released = false;
  return {
    bus,
    release: () => {
      if (released) return;
      released = true;
      if (--entry.users === 0) {
        shared.delete(key);
        bus.close();
      }
    },
  };
}
