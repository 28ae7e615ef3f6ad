/**
 * The one place `@bacnet-js/client` is imported (docs/decisions/0600-bacnet-library.md). The package is CommonJS
 * with an `exports.default` class, so under Node's ESM loader its default import is the module object; this file
 * unwraps it once and re-exports the enums and types the rest of the BACnet code uses.
 */
import bacnetModule from '@bacnet-js/client';
import * as npduModule from '@bacnet-js/client/dist/lib/npdu.js';
import * as apduModule from '@bacnet-js/client/dist/lib/apdu.js';
import iAmModule from '@bacnet-js/client/dist/lib/services/IAm.js';
import rpmModule from '@bacnet-js/client/dist/lib/services/ReadPropertyMultiple.js';
import rpModule from '@bacnet-js/client/dist/lib/services/ReadProperty.js';

export {
  ApplicationTag, EngineeringUnits, ErrorClass, ErrorCode, ObjectType, PropertyIdentifier, Reliability,
  Segmentation, ServicesSupported, StatusFlags, ASN1_ARRAY_ALL, MaxApduLengthAccepted, MaxSegmentsAccepted,
  StatusFlagsBitString, ServicesSupportedBitString, ObjectTypesSupportedBitString, NpduControlPriority, PduType, UnconfirmedServiceChoice,
  ConfirmedServiceChoice,
} from '@bacnet-js/client';
export type {
  BACNetAddress, BACNetAppData, BACNetObjectID, BACNetReadAccess, BACNetReadAccessSpecification, BACNetBitString,
  ClientOptions, IAMResult, CovNotifyPayload, DecodeAcknowledgeMultipleResult, ApplicationData,
} from '@bacnet-js/client';

/**
 * A CommonJS `exports.default` seen from ESM: Node's loader hands over the module object (class under `.default`),
 * vite/vitest applies the `__esModule` interop and hands over the class itself. Accept both.
 */
function unwrapDefault<T>(imported: { default: T } | T): T {
  return typeof imported === 'function' ? imported as T : (imported as { default: T }).default;
}

/** The client class (also the device side: it answers requests through its events). */
export const BacnetClient = unwrapDefault<typeof bacnetModule.default>(bacnetModule);
export type BacnetClient = InstanceType<typeof bacnetModule.default>;

const npdu = npduModule as unknown as typeof import('@bacnet-js/client/dist/lib/npdu.js');
const apdu = apduModule as unknown as typeof import('@bacnet-js/client/dist/lib/apdu.js');
const IAm = unwrapDefault<typeof iAmModule.default>(iAmModule);
const ReadPropertyMultiple = unwrapDefault<typeof rpmModule.default>(rpmModule);
const ReadProperty = unwrapDefault<typeof rpModule.default>(rpModule);
/** Encoders the simulator needs beyond the client's API: I-Am with a standard max APDU, Abort/Reject, answer sizes. */
export const wire = { npdu, apdu, IAm, ReadPropertyMultiple, ReadProperty };
