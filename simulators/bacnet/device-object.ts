/**
 * The simulated device's Device object (ASHRAE 135 clause 12.11) and the encoding of a Present_Value, apart from
 * the simulator's request handling (simulators/bacnet/server.ts).
 */
import {
  ApplicationTag, ObjectType, ObjectTypesSupportedBitString, PropertyIdentifier as P, Segmentation, ServicesSupported,
  ServicesSupportedBitString, type BACNetAppData, type BACNetObjectID,
} from '../../gateway/protocols/bacnet/library.ts';
import { isBinary, isMultiState } from '../../gateway/protocols/bacnet/objects.ts';

/**
 * The Device object's required properties (clause 12.11, Table 12-13, for a device without segmentation; the
 * segmentation properties are required only with it), all the simulator has. Property_List lists them less
 * the identifier, name, type and itself.
 */
const DEVICE_PROPERTIES: readonly number[] = [P.OBJECT_IDENTIFIER, P.OBJECT_NAME, P.OBJECT_TYPE, P.SYSTEM_STATUS,
  P.VENDOR_NAME, P.VENDOR_IDENTIFIER, P.MODEL_NAME, P.FIRMWARE_REVISION, P.APPLICATION_SOFTWARE_VERSION,
  P.PROTOCOL_VERSION, P.PROTOCOL_REVISION, P.PROTOCOL_SERVICES_SUPPORTED, P.PROTOCOL_OBJECT_TYPES_SUPPORTED,
  P.OBJECT_LIST, P.MAX_APDU_LENGTH_ACCEPTED, P.SEGMENTATION_SUPPORTED, P.APDU_TIMEOUT, P.NUMBER_OF_APDU_RETRIES,
  P.DEVICE_ADDRESS_BINDING, P.DATABASE_REVISION, P.PROPERTY_LIST];

/** The Device object's properties, for ALL and REQUIRED (it has no optional ones). */
export function devicePropertyList(): number[] {
  return [...DEVICE_PROPERTIES];
}


/** What the Device object says of its device. */
export interface DeviceIdentity {
  deviceInstance: number;
  name: string;
  vendorName?: string;
  vendorId?: number;
  modelName?: string;
  maxApdu: number;
  /** ReadPropertyMultiple answered (default true) */
  rpm?: boolean;
  /** SubscribeCOV accepted (default true) */
  cov?: boolean;
  /** the device's other objects, for Object_List */
  objectIds: BACNetObjectID[];
  /** Database_Revision: changes when the device's objects change (clause 12.11.35) */
  databaseRevision: number;
}

/** One property of the Device object; undefined for a property it does not have. */
export function readDeviceProperty(o: DeviceIdentity, property: number): { values: BACNetAppData[] } | undefined {
  const self = { type: ObjectType.DEVICE, instance: o.deviceInstance };
  const v = (type: number, value: unknown): { values: BACNetAppData[] } => ({ values: [{ type, value } as BACNetAppData] });
  switch (property) {
    case P.OBJECT_IDENTIFIER: return v(ApplicationTag.OBJECTIDENTIFIER, self);
    case P.OBJECT_NAME: return v(ApplicationTag.CHARACTER_STRING, o.name);
    case P.OBJECT_TYPE: return v(ApplicationTag.ENUMERATED, ObjectType.DEVICE);
    case P.SYSTEM_STATUS: return v(ApplicationTag.ENUMERATED, 0);
    case P.VENDOR_NAME: return v(ApplicationTag.CHARACTER_STRING, o.vendorName ?? 'Jieneng simulator');
    case P.VENDOR_IDENTIFIER: return v(ApplicationTag.UNSIGNED_INTEGER, o.vendorId ?? 260);
    case P.MODEL_NAME: return v(ApplicationTag.CHARACTER_STRING, o.modelName ?? 'sim');
    case P.FIRMWARE_REVISION: return v(ApplicationTag.CHARACTER_STRING, '1.0');
    case P.APPLICATION_SOFTWARE_VERSION: return v(ApplicationTag.CHARACTER_STRING, 'jieneng-simulator 1.0');
    case P.APDU_TIMEOUT: return v(ApplicationTag.UNSIGNED_INTEGER, 3000);
    case P.NUMBER_OF_APDU_RETRIES: return v(ApplicationTag.UNSIGNED_INTEGER, 3);
    case P.DEVICE_ADDRESS_BINDING: return { values: [] }; // a server that binds to no one
    case P.DATABASE_REVISION: return v(ApplicationTag.UNSIGNED_INTEGER, o.databaseRevision);
    case P.PROTOCOL_OBJECT_TYPES_SUPPORTED: {
      const types = new Set([ObjectType.DEVICE, ...o.objectIds.map((id) => id.type)]);
      return v(ApplicationTag.BIT_STRING, new ObjectTypesSupportedBitString(...[...types] as never[]));
    }
    case P.PROTOCOL_VERSION: return v(ApplicationTag.UNSIGNED_INTEGER, 1);
    case P.PROTOCOL_REVISION: return v(ApplicationTag.UNSIGNED_INTEGER, 14);
    case P.MAX_APDU_LENGTH_ACCEPTED: return v(ApplicationTag.UNSIGNED_INTEGER, o.maxApdu);
    case P.SEGMENTATION_SUPPORTED: return v(ApplicationTag.ENUMERATED, Segmentation.NO_SEGMENTATION);
    case P.PROTOCOL_SERVICES_SUPPORTED: {
      const services = [ServicesSupported.READ_PROPERTY, ServicesSupported.WRITE_PROPERTY, ServicesSupported.WHO_IS];
      if (o.rpm !== false) services.push(ServicesSupported.READ_PROPERTY_MULTIPLE);
      if (o.cov !== false) services.push(ServicesSupported.SUBSCRIBE_COV);
      return v(ApplicationTag.BIT_STRING, new ServicesSupportedBitString(...services));
    }
    case P.OBJECT_LIST:
      return { values: [self, ...o.objectIds].map((id) => ({ type: ApplicationTag.OBJECTIDENTIFIER, value: id }) as BACNetAppData) };
    default: return undefined;
  }
}

/** A Present_Value (or priority-array entry) of an object of this type, encoded as the type's datatype. */
export function encodePresentValue(objectType: number, value: number): BACNetAppData {
  if (isBinary(objectType)) return { type: ApplicationTag.ENUMERATED, value: value >= 0.5 ? 1 : 0 } as BACNetAppData;
  if (isMultiState(objectType)) {
    // Multi-state Present_Value counts from 1 (clause 12.18.4); the model's states count from 0.
    return { type: ApplicationTag.UNSIGNED_INTEGER, value: Math.max(1, Math.round(value) + 1) } as BACNetAppData;
  }
  return { type: ApplicationTag.REAL, value } as BACNetAppData;
}
