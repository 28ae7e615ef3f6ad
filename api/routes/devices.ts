/**
 * `GET /devices` and `GET /devices/{id}/latest` (issue 4): every device of every protocol with its state — from
 * its gateway's retained status when the API has the status feed, else from telemetry age (api/device-state.ts,
 * issue 12 defect 7) — and its latest values from `telemetry`.
 */
import { Router } from 'express';
import { MEASUREMENT } from '../../core/measurements.ts';
import { tzOffsetMs } from '../../core/time.ts';
import type { Device } from '../../core/site/schema.ts';
import type { StoredPoint } from '../../storage/port.ts';
import type { ApiContext } from '../context.ts';
import { isoLocal } from '../params.ts';
import { unitOfPoint } from '../../core/units.ts';
import { judgeDevice, needsTelemetry, type DeviceStateView } from '../device-state.ts';

/** The state fields of a device in API responses. */
function stateFields(v: DeviceStateView, offset: number): Record<string, unknown> {
  return {
    online: v.online, status: v.status, status_source: v.source,
    ...(v.reason ? { status_reason: v.reason } : {}),
    ...(v.since_ms !== undefined ? { status_since: isoLocal(v.since_ms, offset) } : {}),
  };
}

/** A device is online when it reported within this many poll intervals (and at least ONLINE_MIN_MS). */
const ONLINE_POLLS = 3;
const ONLINE_MIN_MS = 60_000;
/** How far back "latest" looks, widening step by step so that a live device costs one small read. */
const LOOKBACK_MS = [10 * 60_000, 6 * 3_600_000, 7 * 86_400_000];

/** Device listing and latest values. */
export function deviceRoutes(ctx: ApiContext): Router {
  const router = Router();
  const gatewayPoll = new Map(ctx.index.site.gateways.map((g) => [g.id, g.poll_interval_s ?? 15]));
  const onlineWindowMs = (d: Device) => Math.max(ONLINE_MIN_MS, ONLINE_POLLS * 1000 * (d.poll_interval_s ?? gatewayPoll.get(d.gateway) ?? 15));

  router.get('/devices', async (_req, res) => {
    const now = ctx.now();
    const devices = ctx.index.site.devices;
    const lastSeen = new Map<string, number>();
    const fallback = devices.filter((d) => needsTelemetry({ now, gatewayId: d.gateway, deviceId: d.id, feed: ctx.statusFeed }));
    if (fallback.length > 0) {
      const widest = Math.max(...fallback.map(onlineWindowMs), ONLINE_MIN_MS);
      // One query for all devices: the last report time per device within the widest online window.
      const series = await ctx.storage.aggregate({
        measurement: MEASUREMENT.telemetry, field: 'value', fn: 'count', from: now - widest, to: now + 1,
        every_ms: ONLINE_MIN_MS, where: { site: ctx.index.site.site.id }, group_by: ['device'],
      });
      for (const s of series) {
        const last = s.points.at(-1);
        if (last) lastSeen.set(s.tags.device ?? '', last.time + ONLINE_MIN_MS);
      }
    }
    const offset = tzOffsetMs(now, ctx.index.tz);
    res.json(devices.map((d) => ({
      id: d.id, name: d.name, kind: d.kind, building: d.building, gateway: d.gateway,
      protocol: d.address.protocol, template: d.template, enabled: d.enabled !== false,
      ...stateFields(judgeDevice({
        now, gatewayId: d.gateway, deviceId: d.id, feed: ctx.statusFeed, lastTelemetryMs: lastSeen.get(d.id), onlineWindowMs: onlineWindowMs(d),
      }), offset),
    })));
  });

  router.get('/devices/:id/latest', async (req, res) => {
    const device = ctx.index.device(req.params.id);
    const now = ctx.now();
    let rows: StoredPoint[] = [];
    for (const back of LOOKBACK_MS) {
      rows = await ctx.storage.raw({
        measurement: MEASUREMENT.telemetry, from: now - back, to: now + 1,
        where: { site: ctx.index.site.site.id, device: device.id },
      });
      if (rows.length > 0) break;
    }
    const latest = new Map<string, StoredPoint>();
    for (const r of rows) {
      const point = r.tags.point ?? '';
      const seen = latest.get(point);
      if (!seen || r.time >= seen.time) latest.set(point, r);
    }
    const offset = tzOffsetMs(now, ctx.index.tz);
    const points = [...latest.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([point, r]) => {
      const v = r.fields.value;
      return {
        point,
        value: typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : null,
        unit: unitOfPoint(point)?.symbol ?? '',
        quality: r.tags.quality ?? 'good',
        timestamp: isoLocal(r.time, offset),
      };
    });
    const newest = rows.reduce((a, r) => Math.max(a, r.time), -Infinity);
    const state = judgeDevice({
      now, gatewayId: device.gateway, deviceId: device.id, feed: ctx.statusFeed,
      lastTelemetryMs: Number.isFinite(newest) ? newest : undefined, onlineWindowMs: onlineWindowMs(device),
    });
    res.json({
      device: device.id, name: device.name, building: device.building, protocol: device.address.protocol,
      ...stateFields(state, offset),
      points,
      ...(points.length === 0 ? { warnings: [{ code: 'no_data', message: `no telemetry from '${device.id}' in the last 7 days` }] } : {}),
    });
  });

  return router;
}
