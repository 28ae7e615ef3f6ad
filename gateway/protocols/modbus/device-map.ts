/**
 * A Modbus template compiled for polling: every row's span, the read plan, and the decoding of what the reads
 * returned into canonical points with quality (DESIGN.md boundary 3: converted at the edge, never downstream).
 */
import type { PointValue } from '../../../core/contract/v1.ts';
import { decodeValue, type Decoded } from './codec.ts';
import { ModbusError } from './bus.ts';
import { planReads, type PlanLimits, type PlannedRead, type Span } from './planner.ts';
import { registerCount, type ByteOrder, type ModbusTemplate, type RegisterKind, type RegisterRow } from './template.ts';

/** A template row with its defaults resolved. */
export interface CompiledRow {
  row: RegisterRow;
  register: RegisterKind;
  order: ByteOrder;
  /** index of its own span and, for `scale_register`, of the scale's span */
  span: number;
  scaleSpan?: number;
}

/** What a device polls each cycle. */
export interface DevicePlan {
  template: ModbusTemplate;
  rows: CompiledRow[];
  spans: Span[];
  reads: PlannedRead[];
  limits: PlanLimits;
}

/** Which rows a plan covers. */
export interface CompileOptions {
  /**
   * `skip` (default, polling): rows with `publish: false` are not read unless a published row needs them (its
   * `scale_register`), which saves a request per unit and cycle on slow RS-485 lines (issue 12); `read`: every
   * row (simulators laying out the whole map, diagnostics).
   */
  unpublished?: 'skip' | 'read';
}

/** Rows to read: the published ones and those a published row needs (a scale register), or all of them. */
function rowsToRead(t: ModbusTemplate, opts: CompileOptions): RegisterRow[] {
  if (opts.unpublished === 'read') return t.registers;
  const defRegister = t.defaults?.register ?? 'holding';
  const published = t.registers.filter((r) => r.publish !== false);
  const scaleRegisters = new Set(published.flatMap((r) => r.scale_register
    ? [`${r.scale_register.register ?? r.register ?? defRegister}:${r.scale_register.address}`] : []));
  return t.registers.filter((r) => r.publish !== false || scaleRegisters.has(`${r.register ?? defRegister}:${r.address}`));
}

/** Resolve defaults, collect spans (values and their scale registers) and plan the reads. */
export function compileTemplate(t: ModbusTemplate, overrides: PlanLimits = {}, opts: CompileOptions = {}): DevicePlan {
  const spans: Span[] = [];
  const spanIndex = new Map<string, number>();
  const addSpan = (register: RegisterKind, address: number, count: number): number => {
    const key = `${register}:${address}:${count}`;
    let i = spanIndex.get(key);
    if (i === undefined) {
      i = spans.push({ register, address, count }) - 1;
      spanIndex.set(key, i);
    }
    return i;
  };
  const defRegister = t.defaults?.register ?? 'holding';
  const rows: CompiledRow[] = rowsToRead(t, opts).map((row) => {
    const register = row.register ?? defRegister;
    const span = addSpan(register, row.address, registerCount(row.type, row.length));
    const scaleSpan = row.scale_register
      ? addSpan(row.scale_register.register ?? register, row.scale_register.address, 1)
      : undefined;
    return { row, register, order: row.order ?? t.defaults?.order ?? 'ABCD', span, scaleSpan };
  });
  const limits: PlanLimits = {
    maxRegisters: overrides.maxRegisters ?? t.defaults?.max_registers_per_read,
    maxGap: overrides.maxGap ?? t.defaults?.max_gap,
    maxBits: overrides.maxBits,
  };
  return { template: t, rows, spans, reads: planReads(spans, limits), limits };
}

/** The words of each read, or why it failed. */
export type ReadResults = (number[] | ModbusError)[];

/** Multipliers from the site model's device (ct_ratio, pt_ratio). */
export interface Ratios {
  ct: number;
  pt: number;
}

/** Words of one span from the read results, or the error of the read that should have carried it. */
function spanWords(plan: DevicePlan, results: ReadResults, spanIdx: number): number[] | ModbusError {
  const r = plan.reads.findIndex((read) => read.spans.includes(spanIdx));
  const res = results[r];
  if (res === undefined) return new ModbusError('closed', 'not read');
  if (res instanceof ModbusError) return res;
  const s = plan.spans[spanIdx];
  return res.slice(s.address - plan.reads[r].address, s.address - plan.reads[r].address + s.count);
}

function failureReason(err: ModbusError): string {
  return err.exceptionName ?? err.failure;
}

/** Decode every published row into a point; failures and implausible values become `bad` with a reason. */
export function decodePoints(plan: DevicePlan, results: ReadResults, ratios: Ratios): Record<string, PointValue> {
  const points: Record<string, PointValue> = {};
  for (const c of plan.rows) {
    if (c.row.publish === false || c.row.type === 'string') continue;
    points[c.row.point] = decodeRow(plan, c, results, ratios);
  }
  return points;
}

/** Raw decoded values of every row (strings included), for `gateway scan`/diagnostics. */
export function decodeRaw(plan: DevicePlan, results: ReadResults): Record<string, Decoded | null> {
  const out: Record<string, Decoded | null> = {};
  for (const c of plan.rows) {
    const words = spanWords(plan, results, c.span);
    out[c.row.point] = words instanceof ModbusError ? null : decodeValue(words, c.row.type, c.order);
  }
  return out;
}

function decodeRow(plan: DevicePlan, c: CompiledRow, results: ReadResults, ratios: Ratios): PointValue {
  const words = spanWords(plan, results, c.span);
  if (words instanceof ModbusError) return { value: null, quality: 'bad', reason: failureReason(words) };
  let raw = decodeValue(words, c.row.type, c.order) as number;
  if (c.row.type === 'bitfield' && c.row.bit !== undefined) raw = (raw >> c.row.bit) & 1;
  // float32 carries 7 significant digits; more would publish conversion noise (123.456 → 123.45600128)
  if (c.row.type === 'float32' && Number.isFinite(raw)) raw = Number(raw.toPrecision(7));
  if (!Number.isFinite(raw)) return { value: null, quality: 'bad', reason: `not a number (${String(raw)})` };
  let scale = c.row.scale ?? 1;
  if (c.scaleSpan !== undefined && c.row.scale_register) {
    const sw = spanWords(plan, results, c.scaleSpan);
    if (sw instanceof ModbusError) return { value: null, quality: 'bad', reason: `scale register: ${failureReason(sw)}` };
    const sraw = decodeValue(sw, c.row.scale_register.type ?? 'int16', c.order) as number;
    scale = (c.row.scale_register.mode ?? 'pow10') === 'pow10' ? 10 ** sraw : sraw;
  }
  // round away binary noise of decimal scales (2305 × 0.1 = 230.50000000000003)
  const value = Number((raw * scale + (c.row.offset ?? 0)).toPrecision(12));
  if (c.row.range && (value < c.row.range[0] || value > c.row.range[1])) {
    return { value: withRatios(value, c.row, ratios), quality: 'bad', reason: `out of range [${c.row.range[0]}, ${c.row.range[1]}]: ${value}` };
  }
  return { value: withRatios(value, c.row, ratios), quality: 'good' };
}

function withRatios(value: number, row: RegisterRow, r: Ratios): number {
  const m = (row.ct ? r.ct : 1) * (row.pt ? r.pt : 1);
  return m === 1 ? value : Number((value * m).toPrecision(12));
}

/** One line per read, for `jieneng gateway plan`. */
export function describePlan(plan: DevicePlan): string[] {
  const fc: Record<RegisterKind, number> = { coil: 1, discrete: 2, holding: 3, input: 4 };
  return plan.reads.map((r, i) => {
    const served = plan.rows.filter((c) => r.spans.includes(c.span)).map((c) => c.row.point);
    const scales = plan.rows.filter((c) => c.scaleSpan !== undefined && r.spans.includes(c.scaleSpan)).map((c) => `${c.row.point}.scale`);
    const hex = (n: number) => `0x${n.toString(16).toUpperCase().padStart(4, '0')}`;
    return `read ${i + 1}: FC ${fc[r.register]} ${r.register} ${hex(r.address)}..${hex(r.address + r.count - 1)} (${r.address}, ${r.count} ${r.register === 'coil' || r.register === 'discrete' ? 'bit' : 'register'}${r.count === 1 ? '' : 's'}) → ${[...served, ...scales].join(', ')}`;
  });
}
