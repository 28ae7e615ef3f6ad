/**
 * Dead letters of one incoming message: one per rejection reason, naming the first 20 rejections of that reason
 * and carrying the original payload up to 64 KiB, for the `…/deadletter` topic (core/contract/v1.ts).
 */
import { parseReadingsTopic, parseStatusTopic, type DeadLetter } from '../core/contract/v1.ts';
import { MEASUREMENT } from '../core/measurements.ts';
import type { StoredPoint } from '../storage/port.ts';
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

/**
 * The dead letters of one message as storage rows (measurement `dead_letter`), so the technicians' board can count
 * them by reason: tags site, gateway (from a readings topic, else `unknown`), reason; fields `rejections` (readings
 * or points of that reason) and `messages` (1). Two messages of one gateway and reason in the same millisecond
 * share a row.
 */
export function deadLetterRows(siteId: string, topic: string, rejected: readonly Rejection[], now_ms: number): StoredPoint[] {
  const gateway = parseReadingsTopic(topic)?.gateway ?? parseStatusTopic(topic)?.gateway ?? 'unknown';
  const byReason = new Map<string, number>();
  for (const r of rejected) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
  return [...byReason].map(([reason, n]) => ({
    measurement: MEASUREMENT.deadLetter, tags: { site: siteId, gateway, reason }, fields: { rejections: n, messages: 1 }, time: now_ms,
  }));
}
