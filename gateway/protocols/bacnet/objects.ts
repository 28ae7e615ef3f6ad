/** Object identifiers as people write them in templates and see them in scans: `analog-input:3`, `device:1201`. */
import { ObjectType, PropertyIdentifier, type BACNetObjectID } from './library.ts';

/** `analog-input:3` → { type: 0, instance: 3 }; undefined when the type name or instance is not valid. */
export function parseObjectId(text: string): BACNetObjectID | undefined {
  const m = /^([a-z][a-z-]*):(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  const key = m[1].toUpperCase().replace(/-/g, '_') as keyof typeof ObjectType;
  const type = ObjectType[key];
  const instance = Number(m[2]);
  // 22-bit instance number (ASHRAE 135 clause 20.2.14, BACnetObjectIdentifier)
  if (typeof type !== 'number' || instance > 4194303) return undefined;
  return { type, instance };
}

/** { type: 0, instance: 3 } → `analog-input:3` */
export function formatObjectId(id: BACNetObjectID): string {
  const name = (ObjectType as unknown as Record<number, string | undefined>)[id.type];
  return `${name ? name.toLowerCase().replace(/_/g, '-') : `type-${id.type}`}:${id.instance}`;
}

/** Object types whose Present_Value is a number with engineering units (clause 12: analog objects, accumulator). */
export function hasUnits(type: number): boolean {
  return type === ObjectType.ANALOG_INPUT || type === ObjectType.ANALOG_OUTPUT || type === ObjectType.ANALOG_VALUE
    || type === ObjectType.ACCUMULATOR || type === ObjectType.LARGE_ANALOG_VALUE || type === ObjectType.INTEGER_VALUE
    || type === ObjectType.POSITIVE_INTEGER_VALUE;
}

/** Binary objects: Present_Value is BACnetBinaryPV (0 inactive, 1 active). */
export function isBinary(type: number): boolean {
  return type === ObjectType.BINARY_INPUT || type === ObjectType.BINARY_OUTPUT || type === ObjectType.BINARY_VALUE;
}

/** Multi-state objects: Present_Value is an Unsigned state number counting from 1 (clause 12.18.4). */
export function isMultiState(type: number): boolean {
  return type === ObjectType.MULTI_STATE_INPUT || type === ObjectType.MULTI_STATE_OUTPUT || type === ObjectType.MULTI_STATE_VALUE;
}

/** Commandable objects have a Priority_Array and accept a write priority (clause 19.2). */
export function isCommandable(type: number): boolean {
  return type === ObjectType.ANALOG_OUTPUT || type === ObjectType.ANALOG_VALUE || type === ObjectType.BINARY_OUTPUT
    || type === ObjectType.BINARY_VALUE || type === ObjectType.MULTI_STATE_OUTPUT || type === ObjectType.MULTI_STATE_VALUE;
}

/** `present-value` for 85: a property identifier as people read it (clause 21, BACnetPropertyIdentifier). */
export function propertyName(id: number): string {
  const name = (PropertyIdentifier as unknown as Record<number, string | undefined>)[id];
  return name ? name.toLowerCase().replace(/_/g, '-') : `property-${id}`;
}

/** `unknown-object` for (1, 31): a BACnet error class/code as a short reason (clause 18). */
export function bacnetErrorName(errorClass: number, errorCode: number): string {
  if (errorClass === 1 && errorCode === 31) return 'unknown-object';
  if (errorClass === 2 && errorCode === 32) return 'unknown-property';
  return `bacnet error class ${errorClass} code ${errorCode}`;
}
