/**
 * Dead letters of one incoming message: one per rejection reason, naming the first 20 rejections of that reason
 * and carrying the original payload up to 64 KiB, for the `…/deadletter` topic (core/contract/v1.ts).
 */
import type { DeadLetter } from '../core/contract/v1.ts';
import type { Rejection } from './validate.ts';

/** The original payload kept in a dead letter, at most (bytes). */
export const DEAD_LETTER_MAX_PAYLOAD = 64 * 1024;
/** Rejections named in one dead letter's detail; the rest are counted. */
const NAMED_PER_REASON = 20;

/** The dead letters of a message's rejections, in the order their reasons first occur; linear in the rejections. */
export function deadLetters(topic: string, payload: Buffer, rejected: readonly Rejection[], now_ms: number): DeadLetter[] {
  // One pass, one list per reason, appended to: a copy of the list per rejection made a message with 90 000
  // unknown points block the event loop for 95 s (issue 12, defect 2).
  const byReason = new Map<string, Rejection[]>();
  for (const r of rejected) {
    const list = byReason.get(r.reason);
    if (list) list.push(r);
    else byReason.set(r.reason, [r]);
  }
  const text = payload.subarray(0, DEAD_LETTER_MAX_PAYLOAD).toString('utf8');
  const out: DeadLetter[] = [];
  for (const [reason, list] of byReason) {
    const named = list.slice(0, NAMED_PER_REASON).map((r) => [r.device, r.point, r.detail].filter(Boolean).join(': ')).join('; ');
    const detail = named + (list.length > NAMED_PER_REASON ? `; … ${list.length - NAMED_PER_REASON} more` : '');
    out.push({ v: 1, reason, detail, topic, ts: now_ms, payload: text });
  }
  return out;
}
