/**
 * Reconciliation of stored interval energy with the meters' own counters (issue 12): for each meter, the counter's
 * advance over [from, to) — read from the stored counter telemetry, independent of the energy rules — against the
 * sum of its stored 15-minute intervals over the same range. They agree to rounding when nothing was lost, added
 * twice or invented on the way; any other difference is a mismatch worth a look.
 *
 * The counter's advance: the collector spreads the energy between two readings linearly over the intervals they
 * span (decision 0300), so the intervals of [from, to) hold C(to) − C(from), C the counter interpolated linearly
 * between the readings around each edge. Before the first reading and after the last one no interval holds
 * energy, so an edge without a reading beyond it takes the first (or last) reading inside the range.
 */
import { INTERVAL_15M_MS, MEASUREMENT, QUANTITY_FIELD, QUANTITY_UNIT } from '../core/measurements.ts';
import type { Medium, SiteModel } from '../core/site/schema.ts';
import type { Storage } from '../storage/port.ts';
import { siteIndex } from './batch-judge.ts';
import { rollupGroups, siteRollupGroups } from './rollups.ts';
import { completeSince } from '../core/site-since.ts';
import type { DevicePointRules } from './point-rules.ts';
import type { Device } from '../core/site/schema.ts';
import { JITTER_FRACTION } from './energy/meter-energy.ts';

/** How far beyond each edge a reading is looked for, to interpolate the counter at the edge. */
const EDGE_LOOK_MS = 6 * 3_600_000;

/** One meter's reconciliation. */
export interface MeterCheck {
  meter: string;
  medium: Medium;
  unit: string;
  /** counter readings in the range */
  readings: number;
  /** C(to) − C(from); null when the counter went down in the range (reset, replacement; a roll-over is counted through) */
  counter_delta: number | null;
  /** Σ of the stored 15-minute intervals of [from, to) */
  intervals_sum: number;
  /** intervals_sum − counter_delta */
  difference: number | null;
  ok: boolean;
  /** why it is not ok */
  reason?: string;
}

/** One building total (energy_building_15m) against the meters it adds up. */
export interface BuildingCheck {
  building: string;
  medium: Medium;
  category: string;
  unit: string;
  /** Σ of the member meters' stored 15-minute intervals */
  meters_sum: number;
  /** Σ of the building total's stored 15-minute rows */
  building_sum: number;
  ok: boolean;
}

/** One site total (energy_site_15m, all partitions) against the root meters it adds up (decision 0407). */
export interface SiteCheck {
  medium: Medium;
  category: string;
  unit: string;
  meters_sum: number;
  site_sum: number;
  ok: boolean;
}

/** The result over a site. */
export interface EnergyCheck {
  from: number;
  to: number;
  meters: MeterCheck[];
  mismatches: MeterCheck[];
  /** the collector's building totals against their meters (decision 0404) */
  buildings: BuildingCheck[];
  building_mismatches: BuildingCheck[];
  /** the site totals against their meters, when they are complete from `from` on (else none, `sites_from` says since when) */
  sites: SiteCheck[];
  site_mismatches: SiteCheck[];
  /** from when the site totals are complete (undefined: not at all) */
  sites_from?: number;
  /** meters without a counter reading in the range (nothing to compare) */
  silent: string[];
}

/** Options of `verifyEnergy`. */
export interface VerifyOptions {
  /** device point rules (default: from the device template, as the collector reads them) */
  pointRules?: (device: Device) => DevicePointRules;
}

/** Reconcile every meter of the site, and every building total with its meters, over [from, to) (both on the 15-minute grid). */
export async function verifyEnergy(site: SiteModel, storage: Storage, from: number, to: number, opts: VerifyOptions = {}): Promise<EnergyCheck> {
  if (from % INTERVAL_15M_MS !== 0 || to % INTERVAL_15M_MS !== 0 || to <= from) throw new Error('from and to must be quarter-hours, from before to');
  const index = siteIndex(site, opts.pointRules);
  const out: EnergyCheck = { from, to, meters: [], mismatches: [], buildings: [], building_mismatches: [], sites: [], site_mismatches: [], silent: [] };
  const stored = new Map<string, number>();
  for (const { device, rules } of index.devices.values()) {
    const medium = rules.counterMedium;
    if (!rules.counterPoint || !medium) continue;
    const counter = await storage.raw({
      measurement: MEASUREMENT.telemetry, from: from - EDGE_LOOK_MS, to: to + EDGE_LOOK_MS,
      where: { site: index.siteId, device: device.id, point: rules.counterPoint },
    });
    const readings = counterReadings(counter.map((p) => ({ ts: p.time, value: Number(p.fields.value) })));
    const inside = readings.filter((r) => r.ts >= from && r.ts < to).length;
    const [sum] = await storage.aggregate({
      measurement: MEASUREMENT.energy15m, field: QUANTITY_FIELD[medium], fn: 'sum', from, to, where: { site: index.siteId, meter: device.id },
    });
    const intervalsSum = sum?.points[0]?.value ?? 0;
    stored.set(device.id, intervalsSum);
    if (inside === 0 && intervalsSum === 0) {
      out.silent.push(device.id);
      continue;
    }
    const delta = counterAdvance(readings, from, to, rules.counterRollover);
    const check: MeterCheck = {
      meter: device.id, medium, unit: QUANTITY_UNIT[medium], readings: inside, counter_delta: delta, intervals_sum: intervalsSum,
      difference: delta === null ? null : intervalsSum - delta, ok: true,
    };
    if (delta === null) {
      check.ok = false;
      check.reason = 'the counter went down in the range (reset or replacement): its difference is not the energy';
    } else if (Math.abs(intervalsSum - delta) > tolerance(from, to, delta)) {
      check.ok = false;
      check.reason = intervalsSum > delta ? 'more energy stored than the counter advanced' : 'less energy stored than the counter advanced';
    }
    out.meters.push(check);
    if (!check.ok) out.mismatches.push(check);
  }
  // Each building total against the sum of its meters' rows: a total the collector could not recompute (a
  // member's interval already forgotten, decision 0404) or rows written under another meter tree show here.
  for (const g of rollupGroups(site).groups) {
    if (g.kind !== 'building' || g.category === undefined) continue;
    const [sum] = await storage.aggregate({
      measurement: MEASUREMENT.buildingEnergy15m, field: QUANTITY_FIELD[g.medium], fn: 'sum', from, to,
      where: { site: index.siteId, building: g.building, medium: g.medium, category: g.category },
    });
    const metersSum = g.plus.reduce((a, id) => a + (stored.get(id) ?? 0), 0) - g.minus.reduce((a, id) => a + (stored.get(id) ?? 0), 0);
    const buildingSum = sum?.points[0]?.value ?? 0;
    const check: BuildingCheck = {
      building: g.building, medium: g.medium, category: g.category, unit: QUANTITY_UNIT[g.medium], meters_sum: metersSum, building_sum: buildingSum,
      ok: Math.abs(buildingSum - metersSum) <= (g.plus.length + g.minus.length + 1) * tolerance(from, to, metersSum),
    };
    out.buildings.push(check);
    if (!check.ok) out.building_mismatches.push(check);
  }
  // The site totals the same way, where they are complete over the whole range (before that the API reads the
  // building totals, so a range reaching back before it has nothing to reconcile).
  const since = await storage.raw({ measurement: MEASUREMENT.siteEnergySince, from: 0, to: Math.max(to, Date.now()) + 86_400_000, where: { site: index.siteId } });
  out.sites_from = completeSince(since.map((r) => ({ partition: r.tags.partition ?? '', time: r.time })));
  if (out.sites_from === undefined || out.sites_from > from) return out;
  for (const g of siteRollupGroups(site)) {
    const [sum] = await storage.aggregate({
      measurement: MEASUREMENT.siteEnergy15m, field: QUANTITY_FIELD[g.medium], fn: 'sum', from, to,
      where: { site: index.siteId, medium: g.medium, category: g.category as string },
    });
    const metersSum = g.plus.reduce((a, id) => a + (stored.get(id) ?? 0), 0);
    const siteSum = sum?.points[0]?.value ?? 0;
    const check: SiteCheck = {
      medium: g.medium, category: g.category as string, unit: QUANTITY_UNIT[g.medium], meters_sum: metersSum, site_sum: siteSum,
      ok: Math.abs(siteSum - metersSum) <= (g.plus.length + 1) * tolerance(from, to, metersSum),
    };
    out.sites.push(check);
    if (!check.ok) out.site_mismatches.push(check);
  }
  return out;
}

/**
 * Rounding allowed: each stored interval is rounded to 1e-6 of the unit (decision 0300), so n intervals may differ
 * from the counter by n × 5e-7; the float arithmetic of interpolation adds a relative 1e-9.
 */
function tolerance(from: number, to: number, delta: number): number {
  return ((to - from) / INTERVAL_15M_MS) * 5e-7 + 1e-9 * Math.abs(delta) + 1e-9;
}

/**
 * Readings in time order, one per instant (the telemetry of one point holds one row per quality and time), without
 * read noise: a reading at most 0.1 % below the one before is dropped, as the collector drops it (decision 0300).
 */
function counterReadings(rows: { ts: number; value: number }[]): { ts: number; value: number }[] {
  const byTs = new Map<number, number>();
  for (const r of rows) if (Number.isFinite(r.value)) byTs.set(r.ts, r.value);
  const out: { ts: number; value: number }[] = [];
  for (const [ts, value] of [...byTs].sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1];
    if (last && value < last.value && last.value - value <= JITTER_FRACTION * last.value) continue;
    out.push({ ts, value });
  }
  return out;
}

/**
 * C(to) − C(from) with the counter interpolated linearly at each edge between the readings around it; an edge
 * with no reading beyond it takes the nearest reading inside. A register that wraps at `rollover` is counted
 * through a wrap (a drop whose wrapped distance is under half the range, RFC 1982); null when the counter
 * otherwise decreased within the span.
 */
export function counterAdvance(readings: { ts: number; value: number }[], from: number, to: number, rollover?: number): number | null {
  const span = readings.filter((r, i) => (r.ts >= from && r.ts < to) || (r.ts < from && readings[i + 1]?.ts >= from) || (r.ts >= to && readings[i - 1]?.ts < to));
  if (span.length < 2) return 0;
  const unwrapped = [span[0]];
  let wraps = 0;
  for (let i = 1; i < span.length; i++) {
    const a = span[i - 1].value, b = span[i].value;
    if (b < a) {
      if (rollover === undefined || rollover - a + b >= rollover / 2) return null;
      wraps += rollover;
    }
    unwrapped.push({ ts: span[i].ts, value: b + wraps });
  }
  return at(unwrapped, to) - at(unwrapped, from);
}

/** The counter at `t`: interpolated between the readings around it, else the nearest reading. */
function at(rs: { ts: number; value: number }[], t: number): number {
  if (t <= rs[0].ts) return rs[0].value;
  const last = rs[rs.length - 1];
  if (t >= last.ts) return last.value;
  let i = 1;
  while (rs[i].ts < t) i++;
  const a = rs[i - 1], b = rs[i];
  return a.value + ((b.value - a.value) * (t - a.ts)) / (b.ts - a.ts);
}
