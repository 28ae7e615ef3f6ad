/**
 * The rows of a readings file, checked one by one before anything reaches the collector's ingestion: a known
 * device, a number, an ISO time, no duplicate, no decreasing counter; interval energy rows become readings of a
 * running total (docs/import.md). What the collector's own judge and energy rules reject is added later, by row.
 */
import type { Device, SiteModel } from '../core/site/schema.ts';
import { parseIsoTime } from '../core/time.ts';
import { devicePointRules, type DevicePointRules } from '../collector/point-rules.ts';
import type { TableRow } from './table.ts';

/** Columns of a readings file; `end` is optional (a row with an end is the energy of [time, end)). */
export const REQUIRED_COLUMNS = ['time', 'device', 'point', 'value'] as const;

/** Chinese headings a person may give the columns instead (时间, 设备, 点位, 数值, 结束时间). */
export const COLUMN_ALIASES: Readonly<Record<string, string>> = {
  时间: 'time', 设备: 'device', 设备编号: 'device', 点位: 'point', 测点: 'point', 数值: 'value', 读数: 'value', 结束时间: 'end',
};

/** Why a row is refused: the import's own checks, then the collector's reasons (collector/validate.ts). */
export type RowReason =
  | 'unknown_device' | 'not_a_number' | 'bad_time' | 'duplicate' | 'decreasing_counter' | 'bad_interval'
  | 'mixed_kinds' | 'conflict' | 'partial_group' | 'live_period' | string;

/** One refused row. */
export interface RowProblem {
  row: number;
  reason: RowReason;
  detail: string;
}

/** A reading to feed to the ingestion, with the file row it came from. */
export interface ImportReading {
  row: number;
  device: Device;
  point: string;
  ts: number;
  value: number;
  /** `uncertain`: a point of a running total built from interval energy, not a register's reading */
  quality: 'good' | 'uncertain';
}

/** The readings of a file and its refused rows. */
export interface CheckedRows {
  readings: ImportReading[];
  problems: RowProblem[];
  warnings: string[];
}

interface Parsed { row: number; device: Device; rules: DevicePointRules; point: string; ts: number; end?: number; value: number }

/** Check every row and turn the good ones into readings (a row of interval energy gives up to two). */
export function checkRows(site: SiteModel, rows: readonly TableRow[]): CheckedRows {
  const tz = site.site.timezone ?? 'Asia/Shanghai';
  const devices = new Map(site.devices.filter((d) => d.enabled !== false).map((d) => [d.id, d]));
  const rulesOf = new Map<string, DevicePointRules>();
  const problems: RowProblem[] = [];
  const parsed: Parsed[] = [];
  const seen = new Map<string, number>();
  const refuse = (row: number, reason: RowReason, detail: string) => { problems.push({ row, reason, detail }); };
  for (const { row, cells } of rows) {
    const device = devices.get(cells.device);
    if (!device) { refuse(row, 'unknown_device', `device '${cells.device}' is not in the site model (or is disabled)`); continue; }
    let rules = rulesOf.get(device.id);
    if (!rules) rulesOf.set(device.id, (rules = devicePointRules(device)));
    const value = cells.value === '' ? NaN : Number(cells.value);
    if (!Number.isFinite(value)) { refuse(row, 'not_a_number', `value '${cells.value}' is not a number`); continue; }
    const time = parseIsoTime(cells.time, tz);
    if ('problem' in time) { refuse(row, 'bad_time', `time: ${time.problem}`); continue; }
    let end: number | undefined;
    if (cells.end) {
      const e = parseIsoTime(cells.end, tz);
      if ('problem' in e) { refuse(row, 'bad_time', `end: ${e.problem}`); continue; }
      end = e.ms;
      if (end <= time.ms) { refuse(row, 'bad_interval', `end ${cells.end} is not after time ${cells.time}`); continue; }
      if (cells.point !== rules.counterPoint) {
        refuse(row, 'bad_interval', `a row with an end is energy over an interval: its point must be the meter's counter point${rules.counterPoint ? ` '${rules.counterPoint}'` : ` (device '${device.id}' has none)`}, not '${cells.point}'`);
        continue;
      }
      if (value < 0) { refuse(row, 'bad_interval', `energy ${value} over an interval is negative`); continue; }
    }
    const key = `${device.id}\u0000${cells.point}\u0000${time.ms}`;
    const first = seen.get(key);
    if (first !== undefined) { refuse(row, 'duplicate', `the same device, point and time as row ${first}`); continue; }
    seen.set(key, row);
    parsed.push({ row, device, rules, point: cells.point, ts: time.ms, end, value });
  }

  const readings: ImportReading[] = [];
  const warnings: string[] = [];
  const counters = new Map<string, Parsed[]>();
  for (const p of parsed) {
    if (p.point === p.rules.counterPoint) counters.set(p.device.id, [...(counters.get(p.device.id) ?? []), p]);
    else readings.push({ row: p.row, device: p.device, point: p.point, ts: p.ts, value: p.value, quality: 'good' });
  }
  for (const list of counters.values()) {
    list.sort((a, b) => a.ts - b.ts);
    const intervals = list.filter((p) => p.end !== undefined);
    if (intervals.length > 0 && intervals.length < list.length) {
      const kinds = intervals.length * 2 < list.length ? intervals : list.filter((p) => p.end === undefined);
      for (const p of kinds) refuse(p.row, 'mixed_kinds', `meter '${p.device.id}' has both counter readings and interval energy in this file; give one kind per meter`);
      continue;
    }
    if (intervals.length > 0) runningTotal(intervals, readings, problems, warnings);
    else counterReadings(list, readings, problems);
  }
  problems.sort((a, b) => a.row - b.row);
  readings.sort((a, b) => a.ts - b.ts || a.row - b.row);
  return { readings, problems, warnings };
}

/**
 * Counter readings in time order: a decrease is refused unless a configured meter replacement lies between the
 * two readings or it is a roll-over at the register's wrap value (decision 0007; rule 3 of docs/collector.md).
 */
function counterReadings(list: Parsed[], readings: ImportReading[], problems: RowProblem[]): void {
  let prev: Parsed | undefined;
  for (const p of list) {
    if (prev && p.value < prev.value) {
      const replaced = (p.device.replacements ?? []).some((r) => { const at = Date.parse(r.at); return at > prev!.ts && at <= p.ts; });
      const wrap = p.rules.counterRollover;
      const rollover = wrap !== undefined && wrap - prev.value + p.value < wrap / 2;
      if (!replaced && !rollover) {
        problems.push({ row: p.row, reason: 'decreasing_counter', detail: `${p.point} ${p.value} is less than ${prev.value} at row ${prev.row}, an earlier time (no meter replacement configured between them)` });
        continue;
      }
    }
    readings.push({ row: p.row, device: p.device, point: p.point, ts: p.ts, value: p.value, quality: 'good' });
    prev = p;
  }
}

/**
 * Interval energy → readings of a running total starting at 0 (the register itself is unknown), at each interval's
 * start and end, flagged `uncertain`. Overlapping intervals are refused; a hole between two counts as no energy.
 */
function runningTotal(list: Parsed[], readings: ImportReading[], problems: RowProblem[], warnings: string[]): void {
  let total = 0;
  let prev: Parsed | undefined;
  for (const p of list) {
    if (prev && p.ts < prev.end!) {
      problems.push({ row: p.row, reason: 'bad_interval', detail: `interval starting ${new Date(p.ts).toISOString()} overlaps row ${prev.row}, which ends ${new Date(prev.end!).toISOString()}` });
      continue;
    }
    if (!prev || p.ts > prev.end!) {
      if (prev) warnings.push(`meter '${p.device.id}': no energy given from ${new Date(prev.end!).toISOString()} to ${new Date(p.ts).toISOString()} (rows ${prev.row}–${p.row}); counted as none`);
      readings.push({ row: p.row, device: p.device, point: p.point, ts: p.ts, value: total, quality: 'uncertain' });
    }
    total += p.value;
    readings.push({ row: p.row, device: p.device, point: p.point, ts: p.end!, value: total, quality: 'uncertain' });
    prev = p;
  }
}
