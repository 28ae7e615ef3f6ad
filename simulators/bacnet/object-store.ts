/**
 * The simulated device's objects as ASHRAE 135 describes them, apart from the wire (simulators/bacnet/server.ts):
 * each object's required properties (clause 12: Property_List, Status_Flags, Event_State, Out_Of_Service, Units
 * and COV_Increment of analog objects, Polarity of binary inputs and outputs, Number_Of_States of multi-state
 * objects, and Priority_Array, Relinquish_Default, Current_Command_Priority of commandable ones), array access
 * with an index (clause 15.5.1.1.3: index 0 is the length), and the command prioritisation of clause 19.2.
 */
import {
  ApplicationTag, ASN1_ARRAY_ALL, ErrorClass, ErrorCode, ObjectType, PropertyIdentifier as P, Reliability, StatusFlags,
  StatusFlagsBitString, type BACNetAppData, type BACNetObjectID,
} from '../../gateway/protocols/bacnet/library.ts';
import { formatObjectId, hasUnits, isBinary, isMultiState } from '../../gateway/protocols/bacnet/objects.ts';
import { bacnetConversion } from '../../gateway/protocols/bacnet/units.ts';
import { devicePropertyList, encodePresentValue, readDeviceProperty } from './device-object.ts';
import type { BacnetDeviceSimOptions, SimFaults, SimObjectSpec } from './options.ts';

/** A property's value, or the error class and code a device answers instead. */
export type ReadResult = { values: BACNetAppData[] } | { error: [number, number] };

const NOT_AN_ARRAY: ReadResult = { error: [ErrorClass.PROPERTY, ErrorCode.PROPERTY_IS_NOT_AN_ARRAY] };
const BAD_INDEX: ReadResult = { error: [ErrorClass.PROPERTY, ErrorCode.INVALID_ARRAY_INDEX] };
const UNKNOWN_OBJECT: ReadResult = { error: [ErrorClass.OBJECT, ErrorCode.UNKNOWN_OBJECT] };
const UNKNOWN_PROPERTY: ReadResult = { error: [ErrorClass.PROPERTY, ErrorCode.UNKNOWN_PROPERTY] };
/** Properties that are BACnetARRAYs (clause 12): readable whole, by element, and by index 0 for the length. */
const ARRAYS = new Set<number>([P.OBJECT_LIST, P.PROPERTY_LIST, P.PRIORITY_ARRAY]);
/** Properties Property_List leaves out (clause 12.1.1.4.1 … : it lists the others). */
const NOT_LISTED = new Set<number>([P.OBJECT_IDENTIFIER, P.OBJECT_NAME, P.OBJECT_TYPE, P.PROPERTY_LIST]);

/** `2:1` for analog-value:1. */
export function objectKey(id: BACNetObjectID): string {
  return `${id.type}:${id.instance}`;
}

/** The objects of one simulated device, their priority arrays and what the tests break. */
export class SimObjectStore {
  readonly faults: SimFaults = { offline: false, covStopped: false, unknownObjects: new Set(), unreliable: new Map(), overridden: new Set() };
  private readonly byKey = new Map<string, SimObjectSpec>();
  private readonly priorityArrays = new Map<string, Array<number | null>>();
  /**
   * Relinquish_Default of each commandable set-point: the model's set-point when the device started (clause
   * 19.2.1.4). Other commandable objects follow the physics when nobody commands them, as if the controller's own
   * programme wrote their default.
   */
  private readonly relinquishDefaults = new Map<string, number>();

  /** Database_Revision of the Device object (clause 12.11.35) */
  databaseRevision: number;

  constructor(private readonly options: BacnetDeviceSimOptions & { maxApdu: number; databaseRevision: number }, private readonly now: () => number) {
    this.databaseRevision = options.databaseRevision;
    for (const o of options.objects) {
      this.byKey.set(objectKey(o.objectId), o);
      if (this.commandable(o) && o.point in options.model.setpoints) this.relinquishDefaults.set(objectKey(o.objectId), this.modelValue(o));
    }
  }

  /** The object's spec, unless it does not exist (or a test made it unknown). */
  spec(objectId: BACNetObjectID): SimObjectSpec | undefined {
    const spec = this.byKey.get(objectKey(objectId));
    return spec && !this.faults.unknownObjects.has(formatObjectId(objectId)) ? spec : undefined;
  }

  /** Present value in the device's own unit: the highest-priority command, else the model (clause 19.2.1). */
  presentValue(spec: SimObjectSpec): number {
    const slot = this.activePriority(spec);
    return slot === undefined ? this.modelValue(spec) : (this.priorityArrays.get(objectKey(spec.objectId)) as number[])[slot - 1];
  }

  /** Status_Flags: fault from Reliability, overridden only for a local (hand) override, never for a command. */
  flags(spec: SimObjectSpec): StatusFlagsBitString {
    const bits: StatusFlags[] = [];
    if (this.reliability(spec) !== Reliability.NO_FAULT_DETECTED) bits.push(StatusFlags.FAULT);
    if (this.faults.overridden.has(formatObjectId(spec.objectId))) bits.push(StatusFlags.OVERRIDDEN);
    return new StatusFlagsBitString(...bits);
  }

  /** Every property of an object (for ALL), or the required or optional ones (clause 15.7.3.1.2). */
  properties(objectId: BACNetObjectID, which: 'all' | 'required' | 'optional'): number[] {
    const required = this.requiredProperties(objectId);
    const optional = this.optionalProperties(objectId);
    return which === 'required' ? required : which === 'optional' ? optional : [...required, ...optional];
  }

  /** ReadProperty of one property, whole (`index` undefined or ASN1_ARRAY_ALL) or one array element. */
  read(objectId: BACNetObjectID, property: number, index?: number): ReadResult {
    const whole = this.readWhole(objectId, property);
    if (index === undefined || index === ASN1_ARRAY_ALL || 'error' in whole) return whole;
    if (!ARRAYS.has(property)) return NOT_AN_ARRAY;
    if (index === 0) return { values: [{ type: ApplicationTag.UNSIGNED_INTEGER, value: whole.values.length } as BACNetAppData] };
    return index <= whole.values.length ? { values: [whole.values[index - 1]] } : BAD_INDEX;
  }

  /**
   * WriteProperty of Present_Value at a priority (clause 15.9, 19.2): NULL relinquishes the slot; with every slot
   * empty the value falls back to Relinquish_Default. Returns the error class and code the device answers, if any.
   */
  write(objectId: BACNetObjectID, property: number, values: Array<{ type: number; value: unknown }>, priority: number, index?: number): [number, number] | undefined {
    const spec = this.spec(objectId);
    if (!spec) return [ErrorClass.OBJECT, ErrorCode.UNKNOWN_OBJECT];
    if (property !== P.PRESENT_VALUE || !spec.writable) return [ErrorClass.PROPERTY, ErrorCode.WRITE_ACCESS_DENIED];
    if (index !== undefined && index !== ASN1_ARRAY_ALL) return [ErrorClass.PROPERTY, ErrorCode.PROPERTY_IS_NOT_AN_ARRAY];
    const first = values[0];
    if (!first) return [ErrorClass.PROPERTY, ErrorCode.INVALID_DATA_TYPE];
    // No priority in the request means 16 (clause 15.9.1.1.5); 6 is reserved for minimum on/off (clause 19.2.3).
    const slot = priority >= 1 && priority <= 16 ? priority : 16;
    const pa = this.priorityArrays.get(objectKey(objectId)) ?? new Array<number | null>(16).fill(null);
    if (first.type === ApplicationTag.NULL) pa[slot - 1] = null;
    else if (typeof first.value === 'number' && Number.isFinite(first.value)) pa[slot - 1] = first.value;
    else return [ErrorClass.PROPERTY, ErrorCode.INVALID_DATA_TYPE];
    this.priorityArrays.set(objectKey(objectId), pa);
    // The physics follows the effective value: a command, or Relinquish_Default once every slot is empty.
    const effective = this.activePriority(spec) === undefined ? this.relinquishDefaults.get(objectKey(objectId)) : this.presentValue(spec);
    if (effective !== undefined) {
      this.options.model.setSetpoint(spec.point, hasUnits(spec.objectId.type) ? bacnetConversion(spec.point, spec.units).toCanonical(effective) : effective);
    } else {
      // an object without a stored default (an AHU's start/stop) goes back to the controller's own programme
      this.options.model.release?.(spec.point);
    }
    return undefined;
  }

  private readWhole(objectId: BACNetObjectID, property: number): ReadResult {
    const o = this.options;
    if (objectId.type === ObjectType.DEVICE) {
      // 4194303 addresses "this device" whatever its instance (clause 12.11.1)
      if (objectId.instance !== o.deviceInstance && objectId.instance !== 4194303) return UNKNOWN_OBJECT;
      if (property === P.PROPERTY_LIST) return listOf(this.properties(objectId, 'all'));
      return readDeviceProperty({ ...o, databaseRevision: this.databaseRevision, objectIds: o.objects.map((x) => x.objectId) }, property) ?? UNKNOWN_PROPERTY;
    }
    const spec = this.spec(objectId);
    if (!spec) return UNKNOWN_OBJECT;
    if (!this.properties(objectId, 'all').includes(property)) return UNKNOWN_PROPERTY;
    const v = (type: number, value: unknown): ReadResult => ({ values: [{ type, value } as BACNetAppData] });
    const pa = this.priorityArrays.get(objectKey(objectId)) ?? new Array<number | null>(16).fill(null);
    switch (property) {
      case P.OBJECT_IDENTIFIER: return v(ApplicationTag.OBJECTIDENTIFIER, objectId);
      case P.OBJECT_NAME: return v(ApplicationTag.CHARACTER_STRING, spec.name);
      case P.OBJECT_TYPE: return v(ApplicationTag.ENUMERATED, objectId.type);
      case P.PROPERTY_LIST: return listOf(this.properties(objectId, 'all'));
      case P.DESCRIPTION: return v(ApplicationTag.CHARACTER_STRING, spec.description ?? '');
      case P.PRESENT_VALUE: return { values: [encodePresentValue(objectId.type, this.presentValue(spec))] };
      case P.STATUS_FLAGS: return v(ApplicationTag.BIT_STRING, this.flags(spec));
      case P.EVENT_STATE: return v(ApplicationTag.ENUMERATED, 0); // normal
      case P.OUT_OF_SERVICE: return v(ApplicationTag.BOOLEAN, false);
      case P.RELIABILITY: return v(ApplicationTag.ENUMERATED, this.reliability(spec));
      case P.UNITS: return v(ApplicationTag.ENUMERATED, spec.units ?? 95); // 95 no-units
      case P.COV_INCREMENT: return v(ApplicationTag.REAL, spec.covIncrement ?? 0.1);
      case P.POLARITY: return v(ApplicationTag.ENUMERATED, 0); // normal
      case P.NUMBER_OF_STATES: return v(ApplicationTag.UNSIGNED_INTEGER, spec.numberOfStates ?? 16);
      case P.PRIORITY_ARRAY:
        return { values: pa.map((x) => (x === null ? { type: ApplicationTag.NULL, value: null } as BACNetAppData : encodePresentValue(objectId.type, x))) };
      case P.RELINQUISH_DEFAULT: return { values: [encodePresentValue(objectId.type, this.relinquishDefaults.get(objectKey(objectId)) ?? this.modelValue(spec))] };
      case P.CURRENT_COMMAND_PRIORITY: {
        const active = this.activePriority(spec);
        return active === undefined ? v(ApplicationTag.NULL, null) : v(ApplicationTag.UNSIGNED_INTEGER, active);
      }
      default: return UNKNOWN_PROPERTY;
    }
  }

  private requiredProperties(objectId: BACNetObjectID): number[] {
    if (objectId.type === ObjectType.DEVICE) return devicePropertyList();
    const spec = this.byKey.get(objectKey(objectId));
    if (!spec) return [];
    const list = [P.OBJECT_IDENTIFIER, P.OBJECT_NAME, P.OBJECT_TYPE, P.PRESENT_VALUE, P.STATUS_FLAGS, P.EVENT_STATE, P.OUT_OF_SERVICE];
    // COV_Increment is required where the object supports COV reporting (clause 12.2.20 and the like).
    if (hasUnits(objectId.type)) list.push(P.UNITS, ...(this.options.cov === false ? [] : [P.COV_INCREMENT]));
    if (objectId.type === ObjectType.BINARY_INPUT || objectId.type === ObjectType.BINARY_OUTPUT) list.push(P.POLARITY);
    if (isMultiState(objectId.type)) list.push(P.NUMBER_OF_STATES);
    if (this.commandable(spec)) list.push(P.PRIORITY_ARRAY, P.RELINQUISH_DEFAULT, P.CURRENT_COMMAND_PRIORITY);
    list.push(P.PROPERTY_LIST);
    return list;
  }

  private optionalProperties(objectId: BACNetObjectID): number[] {
    if (objectId.type === ObjectType.DEVICE) return [];
    const spec = this.byKey.get(objectKey(objectId));
    return spec ? [P.RELIABILITY, ...(spec.description ? [P.DESCRIPTION] : [])] : [];
  }

  /**
   * Outputs are commandable by definition (clause 19.2); a value object only when it has a Priority_Array,
   * which here means: the template lets it be written.
   */
  private commandable(spec: SimObjectSpec): boolean {
    const t = spec.objectId.type;
    return t === ObjectType.ANALOG_OUTPUT || t === ObjectType.BINARY_OUTPUT || t === ObjectType.MULTI_STATE_OUTPUT
      || (spec.writable === true && (t === ObjectType.ANALOG_VALUE || t === ObjectType.BINARY_VALUE || t === ObjectType.MULTI_STATE_VALUE));
  }

  /** The priority (1–16) whose slot is in control, or undefined when all are empty. */
  private activePriority(spec: SimObjectSpec): number | undefined {
    const i = this.priorityArrays.get(objectKey(spec.objectId))?.findIndex((x) => x !== null) ?? -1;
    return i < 0 ? undefined : i + 1;
  }

  private reliability(spec: SimObjectSpec): number {
    return this.faults.unreliable.get(formatObjectId(spec.objectId)) ?? Reliability.NO_FAULT_DETECTED;
  }

  /** The physics model's value of an object, in the device's unit: its value when nothing commands it. */
  private modelValue(spec: SimObjectSpec): number {
    const canonical = this.options.model.read(this.now())[spec.point] ?? 0;
    return hasUnits(spec.objectId.type) ? bacnetConversion(spec.point, spec.units).toDevice(canonical) : isBinary(spec.objectId.type) ? (canonical >= 0.5 ? 1 : 0) : canonical;
  }
}

/** A BACnetARRAY of property identifiers (Property_List). */
function listOf(ids: number[]): ReadResult {
  return { values: ids.filter((id) => !NOT_LISTED.has(id)).map((id) => ({ type: ApplicationTag.ENUMERATED, value: id }) as BACNetAppData) };
}
