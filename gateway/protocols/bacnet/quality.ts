/**
 * BACnet health → contract quality. Status_Flags (ASHRAE 135 clause 12.1.x, BACnetStatusFlags: in-alarm, fault,
 * overridden, out-of-service) and Reliability (clause 12, BACnetReliability) say whether a Present_Value can be
 * trusted: a fault or an unreliable sensor makes it bad; out-of-service (value written by an operator, not
 * measured) and overridden make it uncertain; in-alarm is a process state, not a data problem, so it stays good.
 * OVERRIDDEN means a mechanism local to the device (a hand/off/auto switch, a local panel) has taken over, so the
 * value no longer tracks the input or the output no longer follows it (clause 12.2.10 and the like). A command
 * written at some priority is normal operation and sets no flag: a held priority slot never lowers quality.
 */
import type { Quality } from '../../../core/contract/v1.ts';
import { Reliability, StatusFlags, type BACNetBitString } from './library.ts';

/** The four Status_Flags bits, decoded. */
export interface StatusFlagSet { inAlarm: boolean; fault: boolean; overridden: boolean; outOfService: boolean }

/** Decode a BACnetStatusFlags bit string (bit 0 = in-alarm … bit 3 = out-of-service). */
export function decodeStatusFlags(bits: BACNetBitString | undefined): StatusFlagSet | undefined {
  if (!bits || !Array.isArray(bits.value)) return undefined;
  const bit = (n: number) => ((bits.value[Math.floor(n / 8)] ?? 0) >> (n % 8) & 1) === 1;
  return {
    inAlarm: bit(StatusFlags.IN_ALARM),
    fault: bit(StatusFlags.FAULT),
    overridden: bit(StatusFlags.OVERRIDDEN),
    outOfService: bit(StatusFlags.OUT_OF_SERVICE),
  };
}

/** `over-range` for 2: the reliability's name as people read it in a reason. */
export function reliabilityName(r: number): string {
  const name = (Reliability as unknown as Record<number, string | undefined>)[r];
  return name ? name.toLowerCase().replace(/_/g, '-') : `reliability-${r}`;
}

/** Quality and reason from the flags and the reliability (either may be absent: optional properties). */
export function qualityOf(flags: StatusFlagSet | undefined, reliability: number | undefined): { quality: Quality; reason?: string } {
  if (reliability !== undefined && reliability !== Reliability.NO_FAULT_DETECTED) {
    return { quality: 'bad', reason: `reliability: ${reliabilityName(reliability)}` };
  }
  if (flags?.fault) return { quality: 'bad', reason: 'status flag: fault' };
  if (flags?.outOfService) return { quality: 'uncertain', reason: 'status flag: out-of-service' };
  if (flags?.overridden) return { quality: 'uncertain', reason: 'status flag: overridden (local override)' };
  return { quality: 'good' };
}
