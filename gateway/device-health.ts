/**
 * What the gateway says about one device (its retained DeviceStatus): `offline` when the device does not answer,
 * `degraded` when it answers but gives nothing usable — every point of its last reading `bad` (a wrong template,
 * an exception on every read) or its source says so — and `online` otherwise (issue 12 defect 7). The status is
 * published only when its state or reason changes, so the reason text is kept stable from poll to poll.
 */
import type { DeviceStatus, DeviceState, PointValue } from '../core/contract/v1.ts';

/** How many distinct reasons a degraded status names before it says "…". */
const MAX_REASONS = 3;

/** The stable part of a point's reason: `out of range [0, 100]: 123.4` → `out of range [0, 100]`. */
function reasonKind(reason: string | undefined): string {
  if (!reason) return 'bad';
  const colon = reason.indexOf(':');
  return colon > 0 ? reason.slice(0, colon) : reason;
}

/** Why a reading is unusable: every point bad, with the distinct reasons; undefined when any point is usable. */
export function everyPointBad(points: Record<string, PointValue>): string | undefined {
  const values = Object.values(points);
  if (values.length === 0 || values.some((p) => p.quality !== 'bad')) return undefined;
  const kinds = [...new Set(values.map((p) => reasonKind(p.reason)))].sort();
  const named = kinds.slice(0, MAX_REASONS).join('; ') + (kinds.length > MAX_REASONS ? '; …' : '');
  return `every point bad (${values.length} of ${values.length}): ${named}`;
}

/** Tracks one device's reachability and the usability of its readings; calls `publish` on each change. */
export class DeviceHealth {
  private reachable: { online: boolean; error?: string; degraded: boolean } | undefined;
  private unusable: string | undefined;
  private last: { state: DeviceState; error?: string } | undefined;

  constructor(private readonly publish: (status: DeviceStatus) => void, private readonly now: () => number = Date.now) {}

  /** The source's word: reachable or not, with an error or note; `degraded` when it knows nothing usable comes. */
  setReachable(online: boolean, error?: string, degraded = false): void {
    this.reachable = { online, error, degraded };
    this.update();
  }

  /** A reading the source emitted: judged for usability. */
  reading(points: Record<string, PointValue>): void {
    this.unusable = everyPointBad(points);
    // a reading proves the device answers, even from a source that never said so
    this.reachable ??= { online: true, degraded: false };
    this.update();
  }

  /** The current state, or undefined before the source said anything. */
  state(): DeviceState | undefined {
    return this.last?.state;
  }

  private update(): void {
    const r = this.reachable;
    if (!r) return;
    let next: { state: DeviceState; error?: string };
    if (!r.online) next = { state: 'offline', error: r.error };
    else if (r.degraded) next = { state: 'degraded', error: r.error };
    else if (this.unusable) next = { state: 'degraded', error: this.unusable };
    else next = { state: 'online', error: r.error };
    if (this.last && this.last.state === next.state && this.last.error === next.error) return;
    this.last = next;
    this.publish({ v: 1, online: next.state !== 'offline', state: next.state, ts: this.now(), ...(next.error ? { error: next.error } : {}) });
  }
}
