/**
 * Checks of an incoming readings message, in the order a person fixing the sender would want them: is it JSON,
 * does it follow the MQTT contract v1, is it ours (site, gateway), then per reading and per point (known device,
 * from its own gateway, plausible timestamp, known point, value within its physical range).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { ReadingBatch } from '../core/contract/v1.ts';

/** Why something was rejected; also the `reason` of its dead letter and the metric label. */
export type RejectReason =
  | 'not_json' | 'schema' | 'topic_mismatch' | 'unknown_site' | 'unknown_gateway'
  | 'unknown_device' | 'wrong_gateway' | 'future_timestamp' | 'past_timestamp'
  | 'unknown_point' | 'out_of_range'
  | 'implausible' // a counter jump beyond the meter's maximum power × time (collector/energy/counter-events.ts)
  /** larger than the collector's message size limit: rejected before parsing */
  | 'oversize'
  /** the collector failed on this message (a bug or an input nobody foresaw): dead-lettered with the error text, never retried */
  | 'internal';

/** One rejected message, reading or point. */
export interface Rejection {
  reason: RejectReason;
  detail: string;
  device?: string;
  point?: string;
  /** the reading's timestamp, UTC epoch ms, when a reading or a point was rejected (a history import's row) */
  ts?: number;
}

const ajv = new Ajv({ allErrors: false, strict: false });
const checkBatch: ValidateFunction = ajv.compile(ReadingBatch);

/** Validate against the contract schema; the first problem as `path: message`, or undefined when valid. */
export function schemaProblem(value: unknown): string | undefined {
  if (checkBatch(value)) return undefined;
  const e = checkBatch.errors?.[0];
  return e ? `${e.instancePath || '(top level)'}: ${e.message ?? e.keyword}` : 'invalid';
}

/** Is the value a ReadingBatch (after `schemaProblem` returned undefined)? */
export function isReadingBatch(value: unknown): value is ReadingBatch {
  return checkBatch(value) === true;
}
