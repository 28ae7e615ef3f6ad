/**
 * What the gateway writes to a BACnet point (clause 15.9 WriteProperty, clause 19.2 command prioritisation): the
 * checks that refuse a write before anything is sent, and the Present_Value datatype of each object type.
 */
import type { UnitConversion } from '../../../core/units.ts';
import { ApplicationTag, type BACNetAppData } from './library.ts';
import { isBinary, isMultiState } from './objects.ts';
import type { ResolvedPoint } from './template.ts';

/** A write the gateway refused before sending anything (point not writable, value out of range, unknown point). */
export class WriteRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WriteRefusedError';
  }
}

/**
 * The value and priority to send for a canonical `value` (null relinquishes the priority, clause 19.2.1.3);
 * throws WriteRefusedError unless the template marks the point writable, the value lies within its min/max and
 * the priority is 1–16 (default: the point's, else 16).
 */
export function commandFor(deviceId: string, p: ResolvedPoint, conversion: UnitConversion, value: number | null, priority?: number): { data: BACNetAppData; priority: number } {
  if (!p.writable) throw new WriteRefusedError(`device ${deviceId}: point '${p.point}' is not configured writable`);
  if (value !== null) {
    if (!Number.isFinite(value)) throw new WriteRefusedError(`device ${deviceId}: ${p.point}: not a number`);
    if (p.min !== undefined && value < p.min) throw new WriteRefusedError(`device ${deviceId}: ${p.point}: ${value} is below the minimum ${p.min}`);
    if (p.max !== undefined && value > p.max) throw new WriteRefusedError(`device ${deviceId}: ${p.point}: ${value} is above the maximum ${p.max}`);
  }
  const prio = priority ?? p.priority ?? 16;
  if (!Number.isInteger(prio) || prio < 1 || prio > 16) throw new WriteRefusedError(`device ${deviceId}: priority ${prio} is not 1–16`);
  if (value === null) return { data: { type: ApplicationTag.NULL, value: null } as BACNetAppData, priority: prio };
  const deviceValue = conversion.toDevice(value / (p.scale ?? 1));
  const data = isBinary(p.objectId.type)
    ? { type: ApplicationTag.ENUMERATED, value: deviceValue >= 0.5 ? 1 : 0 }
    : isMultiState(p.objectId.type)
      ? { type: ApplicationTag.UNSIGNED_INTEGER, value: Math.round(deviceValue) + 1 } // states count from 1 on the wire
      : { type: ApplicationTag.REAL, value: deviceValue };
  return { data: data as BACNetAppData, priority: prio };
}
