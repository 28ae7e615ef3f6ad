/**
 * The simulated device's Device object (ASHRAE 135 clause 12.11) and the encoding of a Present_Value, apart from
 * the simulator's request handling (simulators/bacnet/server.ts).
 */
import {
  ApplicationTag, ObjectType, PropertyIdentifier as P, Segmentation, ServicesSupported, ServicesSupportedBitString,
  type BACNetAppData, type BACNetObjectID,
} from '../../gateway/protocols/bacnet/library.ts';
import { isBinary } from '../../gateway/protocols/bacnet/objects.ts';

/** The Device object's properties the simulator answers (for ALL, REQUIRED and OPTIONAL). */
export const DEVICE_PROPERTIES: readonly number[] = [P.OBJECT_IDENTIFIER, P.OBJECT_NAME, P.OBJECT_TYPE, P.SYSTEM_STATUS,
  P.VENDOR_NAME, P.VENDOR_IDENTIFIER, P.MODEL_NAME, P.PROTOCOL_VERSION, P.PROTOCOL_REVISION,
  P.PROTOCOL_SERVICES_SUPPORTED, P.MAX_APDU_LENGTH_ACCEPTED, P.SEGMENTATION_SUPPORTED];

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
  if (objectType === ObjectType.MULTI_STATE_INPUT || objectType === ObjectType.MULTI_STATE_OUTPUT
    || objectType === ObjectType.MULTI_STATE_VALUE) {
    // Multi-state Present_Value counts from 1 (clause 12.18.4); the model's states count from 0.
    return { type: ApplicationTag.UNSIGNED_INTEGER, value: Math.max(1, Math.round(value) + 1) } as BACNetAppData;
  }
  return { type: ApplicationTag.REAL, value } as BACNetAppData;
}
