/**
 * History import (issue 15): a readings file through the collector's own ingestion — the batch judge, the energy
 * accumulator and its rollups, the line renderer and the commit (collector/ingest.ts) — exactly as a gateway's
 * batches, with a state of its own for the file's period. All or nothing per file: the ingestion's writes are held
 * (on disk, in its outbox) until every row has passed; a refused row, or a dry run, lets none of them reach storage.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadingBatch, PointValue } from '../core/contract/v1.ts';
import { DAY_MS, MEASUREMENT } from '../core/measurements.ts';
import type { SiteModel } from '../core/site/schema.ts';
import type { Storage } from '../storage/port.ts';
import { createIngestor } from '../collector/ingest.ts';
import { devicePointRules, type DevicePointRules } from '../collector/point-rules.ts';
import { checkRows, COLUMN_ALIASES, REQUIRED_COLUMNS, type CheckedRows, type ImportReading, type RowProblem } from './rows.ts';
import type { Rejection } from '../collector/validate.ts';
import { checkGroups, checkSiteTotals } from './groups.ts';
import { heldStorage } from './held-storage.ts';
import { importRecord } from './record.ts';
import { ImportFileError, readTable } from './table.ts';

/** Options of `importReadings`. */
export interface ImportOptions {
  site: SiteModel;
  storage: Storage;
  /** the file's bytes, CSV or XLSX */
  bytes: Uint8Array;
  /** report what would be stored and refused, store nothing */
  dryRun?: boolean;
  /** the clock (readings after now + 5 min are refused as from the future) */
  now?: () => number;
  /** readings per batch handed to the ingestion (default 5 000) */
  batchReadings?: number;
  /** who imports, for the record (`import_log`): an API key's name, the command's user */
  by?: string;
  /** told of readings done of the total, and of the final write */
  onProgress?: (done: number, total: number, phase: 'ingest' | 'write') => void;
}

const NO_READINGS: DevicePointRules = { points: new Map() };

/** What an import did, or would do in a dry run. */
export interface ImportReport {
  dry_run: boolean;
  /** true when the file's readings and energy were written to storage */
  stored: boolean;
  rows: number;
  /** readings handed to the ingestion (an interval row gives one or two) */
  readings: number;
  /** readings storage already held with the same value (a second import of a file: all of them) */
  already_stored: number;
  /** telemetry points and energy rows (meters, buildings, 15-minute and daily) the ingestion produced */
  telemetry_points: number;
  energy_rows: number;
  /** first and last reading, ISO 8601 UTC; null for a file without readings */
  from: string | null;
  to: string | null;
  devices: string[];
  /** refused rows, by row number; non-empty means nothing was stored */
  rejected: RowProblem[];
  warnings: string[];
  seconds: number;
}

/** Import a readings file (docs/import.md). Throws ImportFileError when the file is not a table of readings. */
export async function importReadings(opts: ImportOptions): Promise<ImportReport> {
  const started = Date.now();
  const now = opts.now ?? Date.now;
  const { readings, problems, warnings, rows } = await readRows(opts.site, opts.bytes);
  const report: ImportReport = {
    dry_run: opts.dryRun === true, stored: false, rows, readings: readings.length, already_stored: 0,
    telemetry_points: 0, energy_rows: 0,
    from: readings.length ? new Date(readings[0].ts).toISOString() : null,
    to: readings.length ? new Date(readings[readings.length - 1].ts).toISOString() : null,
    devices: [...new Set(readings.map((r) => r.device.id))].sort(), rejected: problems, warnings, seconds: 0,
  };
  const done = () => {
    report.rejected.sort((a, b) => a.row - b.row);
    report.seconds = (Date.now() - started) / 1000;
    return report;
  };
  if (readings.length === 0) return done();

  report.already_stored = await compareStored(opts.storage, opts.site.site.id, readings, problems);
  // Everything already there: nothing new to store (the same file imported twice).
  if (report.already_stored === readings.length) return done();
  await checkGroups(opts.site, opts.storage, readings, problems);
  await checkSiteTotals(opts.site, opts.storage, readings, problems);

  const imported = new Set(report.devices);
  const held = heldStorage(opts.storage);
  const stateDir = mkdtempSync(join(tmpdir(), 'jieneng-import-'));
  const ingestor = createIngestor({
    site: withFilePollIntervals(opts.site, readings), storage: held.storage, stateDir, now,
    maxAgeMs: Math.max(35 * DAY_MS, now() - readings[0].ts + DAY_MS),
    maxBufferedPoints: Number.POSITIVE_INFINITY, // held on disk until the file is judged
    siteTotals: false, // the site totals and their start instant are the collectors' (decision 0407)
    // devices without a row in the file get no reading: their models need not be read
    pointRules: (d) => (imported.has(d.id) ? devicePointRules(d) : NO_READINGS),
  });
  try {
    const rejected: Rejection[] = [];
    const perBatch = Math.max(1, opts.batchReadings ?? 5000);
    let seq = 0;
    for (let i = 0; i < readings.length; i += perBatch) {
      for (const batch of batches(opts.site.site.id, readings.slice(i, i + perBatch), () => seq++)) {
        const result = await ingestor.ingest(batch);
        report.telemetry_points += result.accepted;
        report.energy_rows += result.energyRows;
        for (const r of result.rejected) rejected.push(r);
      }
      opts.onProgress?.(Math.min(readings.length, i + perBatch), readings.length, 'ingest');
    }
    problems.push(...rowsOf(rejected, readings));
    if (problems.length === 0 && !opts.dryRun) {
      opts.onProgress?.(readings.length, readings.length, 'write');
      held.release();
      await ingestor.flush();
      await opts.storage.write(importRecord(opts.site, readings, opts.bytes, opts.by ?? 'unknown', now()));
      await opts.storage.flush();
      report.stored = true;
    } else {
      held.discard(); // the writer's request in flight returns; the rest of the outbox goes with the state folder
    }
  } finally {
    held.discard(); // never left waiting, whatever failed
    await ingestor.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
  return done();
}

/** Read and check the file's rows; the table's cells (a large file's most memory) are garbage once checked. */
async function readRows(site: SiteModel, bytes: Uint8Array): Promise<CheckedRows & { rows: number }> {
  const { columns, rows } = await readTable(bytes, COLUMN_ALIASES);
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0) throw new ImportFileError(`the header lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (columns: ${REQUIRED_COLUMNS.join(', ')}, optional end)`);
  return { ...checkRows(site, rows), rows: rows.length };
}

/** The ingestion's rejections as refused rows: a point's names device, point and time; a whole reading's device and time. */
function rowsOf(rejected: readonly Rejection[], readings: readonly ImportReading[]): RowProblem[] {
  if (rejected.length === 0) return [];
  const rowOf = new Map<string, number>();
  for (const r of readings) {
    rowOf.set(`${r.device.id}\u0000${r.point}\u0000${r.ts}`, r.row);
    const reading = `${r.device.id}\u0000\u0000${r.ts}`;
    rowOf.set(reading, Math.min(r.row, rowOf.get(reading) ?? Infinity));
  }
  return rejected.map((r) => ({
    row: (r.ts === undefined ? undefined : rowOf.get(`${r.device}\u0000${r.point ?? ''}\u0000${r.ts}`)) ?? 0,
    reason: r.reason, detail: [r.device, r.point, r.detail].filter(Boolean).join(': '),
  }));
}

/**
 * How many readings storage holds already with the same value; a different stored value is a `conflict` (history
 * is not rewritten by an import). One raw read per device and point over the file's span. Moves a running total of
 * interval energy onto the stored one it continues.
 */
async function compareStored(storage: Storage, site: string, readings: ImportReading[], problems: RowProblem[]): Promise<number> {
  const groups = new Map<string, ImportReading[]>();
  for (const r of readings) {
    const key = `${r.device.id}\u0000${r.point}`;
    const list = groups.get(key);
    if (list) list.push(r); else groups.set(key, [r]);
  }
  let same = 0;
  for (const list of groups.values()) {
    const { device, point } = list[0];
    const stored = await storage.raw({ measurement: MEASUREMENT.telemetry, from: list[0].ts, to: list[list.length - 1].ts + 1, where: { site, device: device.id, point } });
    if (stored.length === 0) continue;
    const byTime = new Map(stored.map((p) => [p.time, p.fields.value]));
    // A running total of interval energy that starts where an earlier import's ended continues it (the next year's
    // file after this year's): its base is the stored total at its first instant, not 0.
    const base = byTime.get(list[0].ts);
    if (typeof base === 'number' && list.every((r) => r.quality === 'uncertain')) {
      const shift = base - list[0].value;
      for (const r of list) r.value += shift;
    }
    for (const r of list) {
      const v = byTime.get(r.ts);
      if (v === undefined) continue;
      if (typeof v === 'number' && Math.abs(v - r.value) <= 1e-9 * Math.max(1, Math.abs(r.value))) same++;
      else problems.push({ row: r.row, reason: 'conflict', detail: `${device.id}: ${point} at ${new Date(r.ts).toISOString()} is stored as ${String(v)}, the file says ${r.value}` });
    }
  }
  return same;
}

/**
 * The site model with each imported meter's poll interval set to its file's median spacing: the gap rule
 * (max(3 × poll interval, 15 min), docs/collector.md rule 5) then judges a file of daily readings as a meter read
 * daily, not as days of outage.
 */
function withFilePollIntervals(site: SiteModel, readings: readonly ImportReading[]): SiteModel {
  const times = new Map<string, number[]>();
  for (const r of readings) {
    const list = times.get(r.device.id);
    if (list) { if (list[list.length - 1] !== r.ts) list.push(r.ts); } else times.set(r.device.id, [r.ts]);
  }
  const devices = site.devices.map((d) => {
    const ts = times.get(d.id);
    if (!ts || ts.length < 2) return d;
    const steps = ts.slice(1).map((t, i) => t - ts[i]).sort((a, b) => a - b);
    const median = steps[Math.floor(steps.length / 2)];
    const polled = d.poll_interval_s ?? site.gateways.find((g) => g.id === d.gateway)?.poll_interval_s ?? 15;
    return { ...d, poll_interval_s: Math.max(polled, Math.round(median / 1000)) };
  });
  return { ...site, devices };
}

/** A slice of readings (in time order) as one batch per gateway, readings of one device and time merged. */
function batches(site: string, slice: readonly ImportReading[], nextSeq: () => number): ReadingBatch[] {
  const byGateway = new Map<string, Map<string, { device: string; ts: number; points: Record<string, PointValue> }>>();
  for (const r of slice) {
    let readings = byGateway.get(r.device.gateway);
    if (!readings) byGateway.set(r.device.gateway, (readings = new Map()));
    const key = `${r.device.id}\u0000${r.ts}`;
    let reading = readings.get(key);
    if (!reading) readings.set(key, (reading = { device: r.device.id, ts: r.ts, points: {} }));
    reading.points[r.point] = { value: r.value, quality: r.quality };
  }
  return [...byGateway].map(([gateway, readings]) => {
    const list = [...readings.values()];
    return { v: 1, site, gateway, seq: nextSeq(), sent_ts: list[list.length - 1].ts, readings: list };
  });
}
