/**
 * Backfill: N days of history generated from the same physics the live simulators serve, fed straight into
 * the collector's ingestion (`createIngestor(...).ingest`) at full speed — no Modbus, no MQTT — so demos and
 * benchmarks start with months of data. Readings carry exactly the points each device's template publishes,
 * grouped per gateway as the live gateway sends them (several poll steps per batch, in time order).
 *
 * Counters continue seamlessly into the live demo when the seed is the same (SIM_SEED) and the collector
 * state folder is the demo's (`<DATA_DIR>/collector`): run the backfill with the demo stopped.
 */
import type { PointValue, ReadingBatch } from '../core/contract/v1.ts';
import type { Device, SiteModel } from '../core/site/schema.ts';
import { loadTemplate } from '../gateway/devices/templates.ts';
import type { SimulatedDevice } from './device.ts';
import type { ValueFault } from './physics/faults.ts';
import { buildSitePhysics, siteSeed } from './physics/site.ts';
import { createHvacModels } from './physics/hvac-site.ts';

/** Options of a backfill run. */
export interface BackfillOptions {
  site: SiteModel;
  days: number;
  /** end of the history, UTC epoch ms (default now), aligned down to the step */
  toMs?: number;
  /** spacing of readings; default 15 min (the rollup interval: fast, and every interval gets its energy) */
  stepMs?: number;
  seed?: number;
  /** simulate only these devices */
  only?: string[];
  /**
   * HVAC controllers too, from the HVAC physics integrated from the history's start (default false: the
   * HVAC sub-meters' plant share reads the live models, so HVAC points and sub-meter kWh only agree live)
   */
  hvac?: boolean;
  /** value faults per device id (stuck, counter reset, roll-over, replaced, spike) */
  faults?: Map<string, ValueFault[]>;
  /** the collector's ingest */
  ingest: (batch: ReadingBatch) => Promise<{ rejected?: { reason: string }[] } | void>;
  /** called after each batch with steps done and total */
  onProgress?: (done: number, total: number) => void;
  /**
   * steps per batch (default 16, four hours at 15 min): the collector commits each batch durably, so one
   * poll per batch would spend the run waiting for the disk; readings inside a batch stay in time order
   */
  stepsPerBatch?: number;
}

/** What a backfill did. */
export interface BackfillResult {
  fromMs: number;
  toMs: number;
  batches: number;
  readings: number;
  points: number;
  rejected: Record<string, number>;
  seconds: number;
}

/** The canonical points a device's template publishes ({n} blocks expanded against what the physics provides). */
export function publishedPoints(device: Device, sample: Record<string, number>): string[] {
  const t = loadTemplate(device.template);
  if (t.protocol === 'modbus') {
    return t.registers.filter((r) => r.publish !== false && r.point in sample).map((r) => r.point);
  }
  const rows = (t as { points?: { point: string; publish?: boolean }[] }).points;
  if (!rows) return Object.keys(sample);
  const out: string[] = [];
  for (const r of rows) {
    if (r.publish === false) continue;
    if (!r.point.includes('{n}')) { if (r.point in sample) out.push(r.point); continue; }
    for (let n = 1; r.point.replace('{n}', String(n)) in sample; n++) out.push(r.point.replace('{n}', String(n)));
  }
  return [...new Set(out)];
}

/** Generate and ingest the history; resolves when every batch has been accepted by `ingest`. */
export async function backfill(opts: BackfillOptions): Promise<BackfillResult> {
  const started = Date.now();
  const stepMs = opts.stepMs ?? 15 * 60_000;
  const toMs = Math.floor((opts.toMs ?? Date.now()) / stepMs) * stepMs;
  const fromMs = toMs - Math.round(opts.days * 86_400_000 / stepMs) * stepMs;
  const seed = opts.seed ?? siteSeed(opts.site);
  const physics: Map<string, SimulatedDevice & { faults?: ValueFault[] }> = buildSitePhysics(opts.site, seed);
  if (opts.hvac) for (const [id, model] of createHvacModels(opts.site, seed, fromMs)) physics.set(id, model);
  const only = opts.only ? new Set(opts.only) : undefined;
  for (const [id, faults] of opts.faults ?? []) {
    const d = physics.get(id);
    if (!d) throw new Error(`fault for '${id}': no simulated device with that id`);
    d.faults = faults;
  }
  const byGateway = new Map<string, { device: Device; sim: SimulatedDevice; points: string[] }[]>();
  for (const d of opts.site.devices) {
    const sim = physics.get(d.id);
    if (!sim || (only && !only.has(d.id))) continue;
    const points = publishedPoints(d, sim.read(fromMs));
    if (points.length === 0) continue;
    byGateway.set(d.gateway, [...(byGateway.get(d.gateway) ?? []), { device: d, sim, points }]);
  }
  const seq = new Map<string, number>();
  const rejected: Record<string, number> = {};
  let batches = 0, readings = 0, points = 0;
  const total = Math.round((toMs - fromMs) / stepMs) + 1;
  const perBatch = Math.max(1, opts.stepsPerBatch ?? 16);
  for (let i = 0; i < total; i += perBatch) {
    const steps: number[] = [];
    for (let j = i; j < Math.min(total, i + perBatch); j++) steps.push(fromMs + j * stepMs);
    for (const [gateway, devices] of byGateway) {
      const batch: ReadingBatch = {
        v: 1, site: opts.site.site.id, gateway, seq: seq.get(gateway) ?? 0, sent_ts: steps[steps.length - 1],
        readings: steps.flatMap((ts) => devices.map(({ device, sim, points: names }) => {
          const values = sim.read(ts);
          const pts: Record<string, PointValue> = {};
          for (const name of names) {
            const v = values[name];
            pts[name] = Number.isFinite(v) ? { value: v, quality: 'good' } : { value: null, quality: 'bad', reason: 'not a finite number' };
          }
          return { device: device.id, ts, points: pts };
        })),
      };
      seq.set(gateway, batch.seq + 1);
      const result = await opts.ingest(batch);
      for (const r of result?.rejected ?? []) rejected[r.reason] = (rejected[r.reason] ?? 0) + 1;
      batches++;
      readings += batch.readings.length;
      points += batch.readings.reduce((s, r) => s + Object.keys(r.points).length, 0);
    }
    opts.onProgress?.(Math.min(total, i + perBatch), total);
  }
  return { fromMs, toMs, batches, readings, points, rejected, seconds: (Date.now() - started) / 1000 };
}
