/**
 * Whether a device is online, degraded or offline, as the API reports it (issue 12 defect 7): the gateway's word
 * first — its retained gateway status, fresh by its heartbeat, and the device status it publishes — and the age
 * of the device's telemetry only when the gateway's word is not at hand (no status feed, broker unreachable, no
 * status yet, or a gateway whose heartbeat stopped before the broker published its last will). Pure functions.
 */
import type { DeviceState, DeviceStatus, GatewayStatus } from '../core/contract/v1.ts';
import type { Received, StatusFeed } from './status-feed.ts';

/** An online gateway status older than this many heartbeats is stale: the gateway or its link is gone. */
export const STALE_HEARTBEATS = 3;

/** What the API says about a device's state and where it comes from. */
export interface DeviceStateView {
  status: DeviceState;
  /** false only when offline: a degraded device answers */
  online: boolean;
  /** `gateway`: the gateway's retained status; `telemetry`: the age of the latest telemetry (fallback) */
  source: 'gateway' | 'telemetry';
  /** why it is offline or degraded, or the gateway's note */
  reason?: string;
  /** since when this state holds (UTC epoch ms), when known */
  since_ms?: number;
}

/** The gateway's verdict: online and fresh, offline, or no usable word (undefined, with why). */
export function gatewayVerdict(gw: Received<GatewayStatus> | undefined, now: number): { online: boolean; since_ms: number } | { unknown: string } {
  if (!gw) return { unknown: 'no gateway status received' };
  const s = gw.status;
  if (!s.online) return { online: false, since_ms: s.ts };
  // gateways older than the heartbeat publish their status only on connect: nothing to judge staleness by
  if (s.heartbeat_s !== undefined && now - s.ts > STALE_HEARTBEATS * s.heartbeat_s * 1000) {
    return { unknown: `gateway status stale: last heartbeat ${Math.round((now - s.ts) / 1000)} s ago (every ${s.heartbeat_s} s)` };
  }
  return { online: true, since_ms: s.ts };
}

function fromDeviceStatus(d: DeviceStatus): DeviceStateView {
  const status: DeviceState = d.state ?? (d.online ? 'online' : 'offline');
  return { status, online: status !== 'offline', source: 'gateway', since_ms: d.ts, ...(d.error ? { reason: d.error } : {}) };
}

/** Inputs of `judgeDevice`. */
export interface JudgeInput {
  now: number;
  gatewayId: string;
  deviceId: string;
  feed?: StatusFeed;
  /** time of the device's latest telemetry row, if any was found */
  lastTelemetryMs?: number;
  /** telemetry younger than this counts as online in the fallback */
  onlineWindowMs: number;
}

/** The state of one device: from its gateway when the gateway's word is at hand, else from telemetry age. */
export function judgeDevice(i: JudgeInput): DeviceStateView {
  if (i.feed?.connected()) {
    const gw = gatewayVerdict(i.feed.gateway(i.gatewayId), i.now);
    if ('online' in gw && !gw.online) {
      return { status: 'offline', online: false, source: 'gateway', reason: `gateway ${i.gatewayId} offline`, since_ms: gw.since_ms };
    }
    const dev = i.feed.device(i.gatewayId, i.deviceId);
    if ('online' in gw && dev) return fromDeviceStatus(dev.status);
  }
  return fromTelemetry(i);
}

/** Fallback: online when telemetry arrived within the window. */
export function fromTelemetry(i: Pick<JudgeInput, 'now' | 'lastTelemetryMs' | 'onlineWindowMs'>): DeviceStateView {
  const seen = i.lastTelemetryMs;
  if (seen !== undefined && i.now - seen <= i.onlineWindowMs) return { status: 'online', online: true, source: 'telemetry' };
  return {
    status: 'offline', online: false, source: 'telemetry',
    reason: seen === undefined ? 'no recent telemetry' : `no telemetry for ${Math.round((i.now - seen) / 1000)} s`,
  };
}

/** True when `judgeDevice` needs the device's telemetry age (the gateway's word is not at hand). */
export function needsTelemetry(i: Omit<JudgeInput, 'lastTelemetryMs' | 'onlineWindowMs'>): boolean {
  if (!i.feed?.connected()) return true;
  const gw = gatewayVerdict(i.feed.gateway(i.gatewayId), i.now);
  if (!('online' in gw)) return true;
  return gw.online && !i.feed.device(i.gatewayId, i.deviceId);
}
