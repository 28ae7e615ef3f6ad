/**
 * Decode and encode SunSpec model registers (SunSpec Information Model Specification, "Point types" and
 * "Unimplemented values"): 16-bit big-endian registers, 32/64-bit values high word first, strings two ASCII
 * characters per register NUL-padded, value = raw × 10^SF where SF is a signed int16 register (sunssf).
 *
 * Not implemented is not zero: int16/sunssf 0x8000, uint16/enum16/bitfield16 0xFFFF, int32 0x80000000,
 * uint32/enum32/bitfield32 0xFFFFFFFF, acc16/acc32/acc64 0, count 0 — these decode to null, and so does any
 * value whose scale factor is not implemented.
 */
import type { ModelLayout, PointLayout, PointType } from './models.ts';

/** A decoded point: a number in the model's units (scale applied), text, or null (not implemented). */
export type SunspecValue = number | string | null;

/** One model instance as read from a device. */
export interface DecodedModel {
  id: number;
  /** address of its ID register */
  address: number;
  /** L: registers after ID and L */
  length: number;
  points: Record<string, SunspecValue>;
  /** repeating blocks (model 160 MPPT modules …), in order */
  blocks: Record<string, SunspecValue>[];
  /**
   * Points of the definition the device does not send, with the reason: their registers (or their scale
   * factor's) lie beyond the length L it reports. They are absent from `points`, never decoded as zero
   * (issue 12 defect 9).
   */
  unsent: Record<string, string>;
}

const NOT_IMPLEMENTED_16: Partial<Record<PointType, number>> = {
  int16: 0x8000, sunssf: 0x8000, pad: 0x8000, uint16: 0xffff, enum16: 0xffff, bitfield16: 0xffff, acc16: 0, count: 0,
};

function rawInteger(words: number[], at: number, type: PointType): number | null {
  const w = (i: number) => words[at + i] ?? 0;
  switch (type) {
    case 'int16': case 'sunssf': case 'pad': {
      const v = w(0);
      return v === 0x8000 ? null : v >= 0x8000 ? v - 0x10000 : v;
    }
    case 'uint16': case 'enum16': case 'bitfield16': case 'acc16': case 'count': {
      const v = w(0);
      return v === NOT_IMPLEMENTED_16[type] ? null : v;
    }
    case 'int32': {
      const u = w(0) * 0x10000 + w(1);
      return u === 0x80000000 ? null : u >= 0x80000000 ? u - 0x100000000 : u;
    }
    case 'uint32': case 'enum32': case 'bitfield32': case 'ipaddr': {
      const u = w(0) * 0x10000 + w(1);
      return u === 0xffffffff && type !== 'ipaddr' ? null : u;
    }
    case 'acc32': {
      const u = w(0) * 0x10000 + w(1);
      return u === 0 ? null : u;
    }
    case 'int64': case 'uint64': case 'acc64': {
      const big = (BigInt(w(0)) << 48n) | (BigInt(w(1)) << 32n) | (BigInt(w(2)) << 16n) | BigInt(w(3));
      if (type === 'acc64') return big === 0n ? null : Number(big);
      if (type === 'uint64') return big === 0xffffffffffffffffn ? null : Number(big);
      return big === 0x8000000000000000n ? null : Number(BigInt.asIntN(64, big));
    }
    case 'float32': {
      const buf = Buffer.alloc(4);
      buf.writeUInt16BE(w(0), 0);
      buf.writeUInt16BE(w(1), 2);
      const f = buf.readFloatBE(0);
      return Number.isNaN(f) ? null : f;
    }
    case 'float64': {
      const buf = Buffer.alloc(8);
      for (let i = 0; i < 4; i++) buf.writeUInt16BE(w(i), 2 * i);
      const f = buf.readDoubleBE(0);
      return Number.isNaN(f) ? null : f;
    }
    default:
      return null;
  }
}

function rawString(words: number[], at: number, size: number): string | null {
  const bytes: number[] = [];
  for (let i = 0; i < size; i++) {
    const v = words[at + i] ?? 0;
    bytes.push(v >> 8, v & 0xff);
  }
  const end = bytes.indexOf(0);
  const text = Buffer.from(end === -1 ? bytes : bytes.slice(0, end)).toString('latin1').trim();
  return text === '' ? null : text;
}

/** Decode one point's raw value (no scale factor applied). */
export function decodeRaw(words: number[], at: number, point: PointLayout): SunspecValue {
  if (point.type === 'string') return rawString(words, at, point.size);
  if (point.type === 'eui48' || point.type === 'ipv6addr') return null;
  return rawInteger(words, at, point.type);
}

function applyScale(raw: SunspecValue, point: PointLayout, scope: Record<string, SunspecValue>, fixed: Record<string, SunspecValue>): SunspecValue {
  if (raw === null || typeof raw === 'string' || point.sf === undefined) return raw;
  const sf = typeof point.sf === 'number' ? point.sf : scope[point.sf] !== undefined ? scope[point.sf] : fixed[point.sf];
  if (sf === null || sf === undefined || typeof sf === 'string') return null;
  // 10^sf with sf negative: divide, so 1234 × 10^-1 gives 123.4 rather than 123.40000000000001
  return sf < 0 ? raw / 10 ** -sf : raw * 10 ** sf;
}

/**
 * Decode a model from its registers. `words[0]` is the ID register; `words.length` ≥ L + 2.
 * Scale factors are looked up in the same repeating block first, then in the fixed part. A point whose
 * registers lie beyond L + 2 (a device reporting a shorter model than the definition, e.g. 103 with L = 30)
 * is not decoded: the words there belong to the next model or to nothing.
 */
export function decodeModel(layout: ModelLayout, words: number[], address: number): DecodedModel {
  const length = words[1] ?? 0;
  const end = Math.min(words.length, length + 2);
  const unsent: Record<string, string> = {};
  const beyond = `beyond the length the device reports (SunSpec ${layout.id} L=${length}, ${layout.fixedLength - 2} in the definition)`;
  const rawFixed: Record<string, SunspecValue> = {};
  for (const p of layout.points) {
    if (p.offset + p.size > end) unsent[p.name] = beyond;
    else rawFixed[p.name] = decodeRaw(words, p.offset, p);
  }
  const sfUnsent = (p: PointLayout) => typeof p.sf === 'string' && p.sf in unsent && !(p.sf in rawFixed);
  const points: Record<string, SunspecValue> = {};
  for (const p of layout.points) {
    if (p.name in unsent) continue;
    if (sfUnsent(p)) { unsent[p.name] = `scale factor ${String(p.sf)} ${beyond}`; continue; }
    points[p.name] = p.type === 'sunssf' ? rawFixed[p.name] : applyScale(rawFixed[p.name], p, rawFixed, rawFixed);
  }
  const blocks: Record<string, SunspecValue>[] = [];
  if (layout.block && layout.block.length > 0) {
    const n = Math.max(0, Math.floor((end - layout.fixedLength) / layout.block.length));
    for (let b = 0; b < n; b++) {
      const start = layout.fixedLength + b * layout.block.length;
      const raw: Record<string, SunspecValue> = {};
      for (const p of layout.block.points) raw[p.name] = decodeRaw(words, start + p.offset, p);
      const out: Record<string, SunspecValue> = {};
      for (const p of layout.block.points) {
        // a block point scaled by a fixed-part factor the device does not send stays absent
        if (typeof p.sf === 'string' && !(p.sf in raw) && sfUnsent(p)) continue;
        out[p.name] = p.type === 'sunssf' ? raw[p.name] : applyScale(raw[p.name], p, raw, rawFixed);
      }
      blocks.push(out);
    }
  }
  return { id: layout.id, address, length, points, blocks, unsent };
}

/** Values to lay out for one model: numbers in the model's units, strings, or null (write "not implemented"). */
export interface ModelValues {
  points: Record<string, number | string | null | undefined>;
  blocks?: Record<string, number | string | null | undefined>[];
}

function notImplementedWords(type: PointType, size: number): number[] {
  switch (type) {
    case 'int16': case 'sunssf': case 'pad': return [0x8000];
    case 'uint16': case 'enum16': case 'bitfield16': return [0xffff];
    case 'int32': return [0x8000, 0];
    case 'uint32': case 'enum32': case 'bitfield32': return [0xffff, 0xffff];
    case 'float32': return [0x7fc0, 0];
    case 'uint64': return [0xffff, 0xffff, 0xffff, 0xffff];
    case 'int64': return [0x8000, 0, 0, 0];
    default: return new Array<number>(size).fill(0); // acc*, count, string: 0 / empty
  }
}

function integerWords(type: PointType, v: number): number[] {
  const r = Math.round(v);
  switch (type) {
    case 'int16': case 'sunssf': case 'pad': return [Math.min(0x7fff, Math.max(-0x7fff, r)) & 0xffff];
    case 'uint16': case 'enum16': case 'bitfield16': case 'acc16': case 'count': return [Math.min(0xfffe, Math.max(0, r))];
    case 'int32': {
      const c = Math.min(0x7fffffff, Math.max(-0x7fffffff, r));
      const u = c < 0 ? c + 0x100000000 : c;
      return [Math.floor(u / 0x10000), u % 0x10000];
    }
    case 'acc32':
      // an accumulator rolls over at 2^32 (SunSpec: "accumulated value ... rolls over"); 0 would mean "not implemented"
      { const u = ((r % 0x100000000) + 0x100000000) % 0x100000000 || 1; return [Math.floor(u / 0x10000), u % 0x10000]; }
    case 'uint32': case 'enum32': case 'bitfield32': case 'ipaddr': {
      const u = Math.min(0xfffffffe, Math.max(0, r));
      return [Math.floor(u / 0x10000), u % 0x10000];
    }
    case 'int64': case 'uint64': case 'acc64': {
      const big = BigInt.asUintN(64, BigInt(r));
      return [48n, 32n, 16n, 0n].map((s) => Number((big >> s) & 0xffffn));
    }
    case 'float32': {
      const buf = Buffer.alloc(4);
      buf.writeFloatBE(v, 0);
      return [buf.readUInt16BE(0), buf.readUInt16BE(2)];
    }
    case 'float64': {
      const buf = Buffer.alloc(8);
      buf.writeDoubleBE(v, 0);
      return [0, 2, 4, 6].map((i) => buf.readUInt16BE(i));
    }
    default: return [0];
  }
}

function stringWords(text: string, size: number): number[] {
  const bytes = Buffer.alloc(size * 2);
  bytes.write(text.slice(0, size * 2), 'latin1');
  return Array.from({ length: size }, (_, i) => bytes.readUInt16BE(2 * i));
}

/** Largest raw magnitude a scaled type can carry. */
function rawLimit(type: PointType): number {
  if (type === 'int16') return 0x7fff;
  if (type === 'uint16' || type === 'acc16') return 0xfffe;
  if (type === 'int32') return 0x7fffffff;
  return 0xfffffffe;
}

/**
 * The scale factor (decimal exponent) for every sunssf point that is not given: the finest exponent, from −3
 * up, at which every value scaled by it fits its register — what a real device's firmware fixes per rating.
 */
function chooseScaleFactors(points: PointLayout[], values: Record<string, number | string | null | undefined>[], given: Record<string, number | string | null | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const sfPoint of points.filter((p) => p.type === 'sunssf')) {
    const g = given[sfPoint.name];
    if (typeof g === 'number') { out[sfPoint.name] = g; continue; }
    const users = points.filter((p) => p.sf === sfPoint.name);
    let chosen = 0;
    for (let e = -3; e <= 9; e++) {
      chosen = e;
      const fits = users.every((p) => values.every((vals) => {
        const v = vals[p.name];
        return typeof v !== 'number' || Math.abs(Math.round(v / 10 ** e)) <= rawLimit(p.type) && (p.type.startsWith('int') || v >= 0 || Math.round(v / 10 ** e) === 0);
      }));
      if (fits) break;
    }
    out[sfPoint.name] = chosen;
  }
  return out;
}

function encodePoints(points: PointLayout[], values: Record<string, number | string | null | undefined>, sfs: Record<string, number>, out: number[], base: number, header: boolean): void {
  for (const p of points) {
    if (header && (p.name === 'ID' || p.name === 'L')) continue; // written by encodeModel
    const v = p.type === 'sunssf' ? (values[p.name] === null ? null : sfs[p.name] ?? values[p.name]) : values[p.name];
    let words: number[];
    if (v === null || v === undefined) words = notImplementedWords(p.type, p.size);
    else if (p.type === 'string') words = stringWords(String(v), p.size);
    else if (typeof v === 'string') words = notImplementedWords(p.type, p.size);
    else {
      const sf = typeof p.sf === 'number' ? p.sf : p.sf ? sfs[p.sf] ?? 0 : 0;
      words = integerWords(p.type, p.type === 'sunssf' ? v : v / 10 ** sf);
    }
    words.forEach((w, i) => { out[base + p.offset + i] = w; });
  }
}

/**
 * The scale factors a device would fix for values up to the given ones (its ratings): for each sunssf point of
 * the fixed part, the finest decimal exponent at which every value it scales fits. A simulator passes these
 * back as values of the sunssf points so its scale factors stay constant, as a real device's do.
 */
export function scaleFactorsFor(layout: ModelLayout, ratings: ModelValues): Record<string, number> {
  const blockUsers = layout.block?.points.filter((p) => typeof p.sf === 'string' && !layout.block!.points.some((q) => q.name === p.sf)) ?? [];
  return chooseScaleFactors([...layout.points, ...blockUsers], [ratings.points, ...(ratings.blocks ?? [])], {});
}

/**
 * Lay out one model's registers (ID, L, then the points) from values in the model's units; scale factors are
 * chosen to fit unless given as values of the sunssf points. Returns L + 2 words.
 */
export function encodeModel(layout: ModelLayout, values: ModelValues): number[] {
  const blocks = layout.block ? values.blocks ?? [] : [];
  const total = layout.fixedLength + blocks.length * (layout.block?.length ?? 0);
  const out = new Array<number>(total).fill(0);
  out[0] = layout.id;
  out[1] = total - 2;
  const fixedSfs = chooseScaleFactors([...layout.points, ...(layout.block?.points.filter((p) => typeof p.sf === 'string' && !layout.block!.points.some((q) => q.name === p.sf)) ?? [])],
    [values.points, ...blocks], values.points);
  encodePoints(layout.points, values.points, fixedSfs, out, 0, true);
  blocks.forEach((b, i) => {
    const blockSfs = { ...fixedSfs, ...chooseScaleFactors(layout.block!.points, [b], b) };
    encodePoints(layout.block!.points, b, blockSfs, out, layout.fixedLength + i * layout.block!.length, false);
  });
  return out;
}
