/**
 * How to read many properties of one device: ReadPropertyMultiple in requests whose answers fit the device's
 * Max_APDU_Length_Accepted (we never rely on segmentation, which small controllers lack), halving a request
 * the device still finds too long, and ReadProperty one by one for devices without RPM (clause 15.7 is optional
 * for a BACnet device: profile B-ASC requires only DS-RP-B). An answer the codec cannot decode (a datatype it does
 * not know, e.g. a credential-data-input's BACnetAuthenticationFactor) spoils only what it holds: the request is
 * split until the object is read property by property, and the property that still fails is named in its result.
 */
import { BacnetRequestError, type BacnetBus, type PropertyResult } from './bus.ts';
import { PropertyIdentifier as P, ASN1_ARRAY_ALL, type BACNetObjectID } from './library.ts';

/** Properties to read from one object. */
export interface ReadRequest {
  objectId: BACNetObjectID;
  properties: number[];
}

// Encoded sizes in octets (clause 20.2: tag + content), upper bounds for the values these objects carry.
const ACK_HEADER = 3; // complex-ACK PCI: type, invoke id, service choice
const OBJECT_FRAME = 7; // context object identifier (5) + opening/closing tag 1
const PROPERTY_FRAME = 5; // property identifier (up to 3) + opening/closing tag 4 (or error tag 5)
const VALUE_SIZE: Partial<Record<number, number>> = {
  [P.PRESENT_VALUE]: 10, // REAL 5, DOUBLE 10
  [P.STATUS_FLAGS]: 4,
  [P.RELIABILITY]: 3,
  [P.UNITS]: 3,
  [P.OUT_OF_SERVICE]: 1,
  [P.OBJECT_NAME]: 200, // UTF-8 names in Chinese take 3 octets a character
  [P.DESCRIPTION]: 200,
  [P.COV_INCREMENT]: 5,
};

/** Upper bound of the encoded answer to one object's read, for chunking to the device's max APDU. */
export function estimateAnswerOctets(req: ReadRequest): number {
  return OBJECT_FRAME + req.properties.reduce((sum, p) => sum + PROPERTY_FRAME + (VALUE_SIZE[p] ?? 16), 0);
}

/** Split requests so that each RPM answer stays within `maxApdu` octets (at least one object per request). */
export function chunkRequests(requests: ReadRequest[], maxApdu: number): ReadRequest[][] {
  const chunks: ReadRequest[][] = [];
  let current: ReadRequest[] = [];
  let size = ACK_HEADER;
  for (const req of requests) {
    const need = estimateAnswerOctets(req);
    if (current.length > 0 && size + need > maxApdu) {
      chunks.push(current);
      current = [];
      size = ACK_HEADER;
    }
    current.push(req);
    size += need;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Counters a caller can show or test: how the device has been read. */
export interface ReaderStats {
  rpmRequests: number;
  rpRequests: number;
}

/** Reads properties of one device, choosing RPM or RP and the request size. */
export class DeviceReader {
  /** true: RPM works; false: the device refused it, use RP; undefined: not yet known */
  rpm: boolean | undefined;
  /**
   * The device lists ReadPropertyMultiple in Protocol_Services_Supported. The library reports Abort and Reject
   * PDUs alike, and reason 9 means unrecognized-service in a Reject but out-of-resources in an Abort: a device
   * that advertises RPM is then taken to be busy, not lacking the service.
   */
  rpmAdvertised = false;
  maxApdu: number;
  readonly stats: ReaderStats = { rpmRequests: 0, rpRequests: 0 };

  constructor(private readonly bus: BacnetBus, readonly address: string, opts: { maxApdu?: number; rpm?: boolean } = {}) {
    this.maxApdu = opts.maxApdu ?? 1476;
    this.rpm = opts.rpm;
  }

  /**
   * Read every requested property. Per-property errors (unknown object, unknown property) come back in the
   * results; a request that gets no answer throws BacnetRequestError (kind 'timeout'): the device is offline.
   */
  async read(requests: ReadRequest[]): Promise<PropertyResult[]> {
    if (requests.length === 0) return [];
    if (this.rpm !== false) {
      try {
        const out: PropertyResult[] = [];
        for (const chunk of chunkRequests(requests, this.maxApdu)) out.push(...await this.readChunk(chunk));
        this.rpm = true;
        return out;
      } catch (err) {
        if (!(err instanceof BacnetRequestError && err.unsupportedService)) throw err;
        if (err.kind === 'abort' && this.rpmAdvertised) throw err;
        this.rpm = false;
      }
    }
    return this.readOneByOne(requests);
  }

  private async readChunk(chunk: ReadRequest[]): Promise<PropertyResult[]> {
    try {
      this.stats.rpmRequests++;
      return await this.bus.readPropertyMultiple(this.address, chunk.map((r) => ({
        objectId: r.objectId,
        properties: r.properties.map((id) => ({ id, index: ASN1_ARRAY_ALL })),
      })));
    } catch (err) {
      const tooLong = err instanceof BacnetRequestError && err.tooLong;
      const undecodable = err instanceof BacnetRequestError && err.kind === 'decode';
      if (!tooLong && !undecodable) throw err;
      if (chunk.length > 1) {
        // Too long: our size estimate was too small for this device, learn a smaller limit. Undecodable: find the
        // object that spoils the answer by halving, so the others are still read by RPM.
        if (tooLong) this.maxApdu = Math.max(50, Math.floor(this.maxApdu / 2));
        const mid = Math.ceil(chunk.length / 2);
        return [...await this.readChunk(chunk.slice(0, mid)), ...await this.readChunk(chunk.slice(mid))];
      }
      return this.readOneByOne(chunk);
    }
  }

  private async readOneByOne(requests: ReadRequest[]): Promise<PropertyResult[]> {
    const out: PropertyResult[] = [];
    for (const req of requests) {
      for (const property of req.properties) {
        try {
          this.stats.rpRequests++;
          out.push({ objectId: req.objectId, property, values: await this.bus.readProperty(this.address, req.objectId, property) });
        } catch (err) {
          if (err instanceof BacnetRequestError && err.kind === 'error') {
            out.push({ objectId: req.objectId, property, error: { errorClass: err.errorClass ?? 0, errorCode: err.errorCode ?? 0 } });
          } else if (err instanceof BacnetRequestError && (err.kind === 'decode' || err.tooLong)) {
            out.push({ objectId: req.objectId, property, unreadable: err.kind === 'decode' ? 'answer could not be decoded' : 'answer too long for this device' });
          } else {
            throw err;
          }
        }
      }
    }
    return out;
  }
}
