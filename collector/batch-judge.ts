/**
 * The batch judge: which readings and points of a message the collector accepts, and why it rejects the rest
 * (collector/validate.ts lists the reasons). A pure function of the batch, the site index and the clock: it
 * changes no state, so a batch can be judged before anything is committed, and judged again after a retry.
 */
import { DAY_MS } from '../core/measurements.ts';
import type { DeviceReading, ReadingBatch } from '../core/contract/v1.ts';
import type { Device, SiteModel } from '../core/site/schema.ts';
import { devicePointRules, type DevicePointRules } from './point-rules.ts';
import { schemaProblem, type RejectReason, type Rejection } from './validate.ts';

/** The largest distance from 1970 a JavaScript date can be (ECMA-262 §21.4.1.1: 100 000 000 days). */
const MAX_DATE_MS = 8.64e15;

/** A device the collector knows, with the rules its points are judged by. */
export interface JudgedDevice {
  device: Device;
  rules: DevicePointRules;
}

/** What the judge knows of the site: built once per collector (`siteIndex`). */
export interface SiteIndex {
  siteId: string;
  gateways: ReadonlySet<string>;
  /** enabled devices by id */
  devices: ReadonlyMap<string, JudgedDevice>;
}

/** How far a reading's timestamp may stray from the collector's clock. */
export interface TimestampLimits {
  /** readings newer than now + this are rejected (future_timestamp) */
  maxFutureMs: number;
  /** readings older than now − this are rejected (past_timestamp) */
  maxAgeMs: number;
}

/** A reading with the names of its accepted points (their values are read from `points`). */
export interface AcceptedReading {
  device: JudgedDevice;
  ts: number;
  points: DeviceReading['points'];
  names: string[];
}

/** The judge's verdict on one batch. */
export interface BatchVerdict {
  accepted: AcceptedReading[];
  /** accepted points over all readings */
  acceptedPoints: number;
  rejected: Rejection[];
}

/** The site index of a site model; `rulesOf` gives each device's point rules (default: from its template). */
export function siteIndex(site: SiteModel, rulesOf: (device: Device) => DevicePointRules = devicePointRules): SiteIndex {
  const devices = new Map<string, JudgedDevice>();
  for (const d of site.devices) if (d.enabled !== false) devices.set(d.id, { device: d, rules: rulesOf(d) });
  return { siteId: site.site.id, gateways: new Set(site.gateways.map((g) => g.id)), devices };
}

/** Points judged between two pauses of `judgeBatchYielding`: a few milliseconds of work. */
export const POINTS_PER_SLICE = 2048;

/** Judge one batch (already parsed JSON, not yet checked against the contract) at the collector's time `now_ms`. */
export function judgeBatch(batch: unknown, index: SiteIndex, limits: TimestampLimits, now_ms: number): BatchVerdict {
  const judging = judgeInSlices(batch, index, limits, now_ms);
  for (let step = judging.next(); ; step = judging.next()) if (step.done) return step.value;
}

/**
 * The same, letting the event loop run between slices of `POINTS_PER_SLICE` points: a message of a megabyte of
 * points must not hold back everything else the process does (MQTT keep-alive, the outbox writer, the API in
 * the embedded mode) for the whole of its judging (issue 12, defect 2). Small batches are judged in one go.
 */
export async function judgeBatchYielding(batch: unknown, index: SiteIndex, limits: TimestampLimits, now_ms: number): Promise<BatchVerdict> {
  const judging = judgeInSlices(batch, index, limits, now_ms);
  for (let step = judging.next(); ; step = judging.next()) {
    if (step.done) return step.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The judge itself, pausing (yield) after each slice of points; pure: the batch and the index are only read. */
function* judgeInSlices(batch: unknown, index: SiteIndex, limits: TimestampLimits, now_ms: number): Generator<void, BatchVerdict> {
  let sliceLeft = POINTS_PER_SLICE;
  const verdict: BatchVerdict = { accepted: [], acceptedPoints: 0, rejected: [] };
  const reject = (reason: RejectReason, detail: string, device?: string, point?: string, ts?: number) => {
    verdict.rejected.push({ reason, detail, device, point, ts });
  };
  const problem = schemaProblem(batch);
  if (problem) {
    reject('schema', problem);
    return verdict;
  }
  const b = batch as ReadingBatch;
  if (morePointsThan(b, POINTS_PER_SLICE)) yield; // a large batch's schema check was a slice of its own
  if (b.site !== index.siteId) {
    reject('unknown_site', `site '${b.site}' is not '${index.siteId}'`);
    return verdict;
  }
  if (!index.gateways.has(b.gateway)) {
    reject('unknown_gateway', `gateway '${b.gateway}' is not in the site model`);
    return verdict;
  }
  for (const reading of b.readings) {
    const info = index.devices.get(reading.device);
    if (!info) {
      reject('unknown_device', `device '${reading.device}' is not in the site model (or is disabled)`, reading.device);
      continue;
    }
    const d = info.device;
    if (d.gateway !== b.gateway) {
      reject('wrong_gateway', `device '${d.id}' belongs to gateway '${d.gateway}', not '${b.gateway}'`, d.id, undefined, reading.ts);
      continue;
    }
    // Beyond ±8.64e15 ms JavaScript has no date (ECMA-262 §21.4.1.1): never a reading, whatever the limits allow.
    if (reading.ts > now_ms + limits.maxFutureMs || reading.ts > MAX_DATE_MS) {
      reject('future_timestamp', `ts ${timestampText(reading.ts)} is ahead of the collector clock by ${Math.round((reading.ts - now_ms) / 1000)} s`, d.id, undefined, reading.ts);
      continue;
    }
    if (reading.ts < now_ms - limits.maxAgeMs || reading.ts < -MAX_DATE_MS) {
      reject('past_timestamp', `ts ${timestampText(reading.ts)} is older than ${Math.round(limits.maxAgeMs / DAY_MS)} days`, d.id, undefined, reading.ts);
      continue;
    }
    const names: string[] = [];
    for (const point in reading.points) {
      if (--sliceLeft === 0) {
        yield;
        sliceLeft = POINTS_PER_SLICE;
      }
      const pv = reading.points[point];
      const why = judgePoint(info, point, pv.value, pv.quality);
      if (why === 'skip') continue;
      if (why) reject(why.reason, why.detail, d.id, point, reading.ts);
      else names.push(point);
    }
    if (names.length > 0) {
      verdict.accepted.push({ device: info, ts: reading.ts, points: reading.points, names });
      verdict.acceptedPoints += names.length;
    }
  }
  return verdict;
}

/** Does the batch hold more than `n` points? Counts no further than `n + 1`, allocating nothing. */
function morePointsThan(b: ReadingBatch, n: number): boolean {
  let points = 0;
  for (const reading of b.readings) {
    for (const name in reading.points) if (name && ++points > n) return true;
  }
  return false;
}

/** Is a point acceptable? undefined: yes; 'skip': flagged unreadable by the gateway; else why not. */
export function judgePoint(info: JudgedDevice, point: string, value: number | null, quality: string): 'skip' | { reason: RejectReason; detail: string } | undefined {
  // The gateway marks unreadable values itself: nothing to store, nothing wrong with the message.
  if (value === null || quality === 'bad') return 'skip';
  const range = info.rules.points.get(point);
  if (!range) {
    return { reason: 'unknown_point', detail: `'${point}' is not a point of template '${info.device.template}'` };
  }
  if (!(value >= range[0] && value <= range[1])) return { reason: 'out_of_range', detail: `${point} = ${value} is outside [${range[0]}, ${range[1]}]` };
  return undefined;
}

/**
 * A timestamp for a person: ISO 8601 when it is a date JavaScript can represent (±8.64e15 ms around 1970),
 * else the number as sent (`new Date(9e15).toISOString()` throws a RangeError: issue #12, defect 1).
 */
export function timestampText(ts_ms: number): string {
  const date = new Date(ts_ms);
  return Number.isFinite(date.getTime()) ? date.toISOString() : String(ts_ms);
}
