/**
 * Modbus value codec: 16-bit registers ⇄ numbers and strings, for every encoding and byte/word order of a
 * template row. The gateway decodes with it and the simulator encodes with it, so both read the same layout.
 * Registers travel big-endian on the wire (Modbus Application Protocol v1.1b3 §4.2); the order names how a
 * device spreads a wider value over them (see `ByteOrder` in template.ts).
 */
import { registerCount, type ByteOrder, type Encoding } from './template.ts';

/** A decoded value: numbers for numeric encodings and bits, text for `string`. */
export type Decoded = number | string;

/** Big-endian bytes of `words` registers → the value's bytes in ABCD… order (and back: the map is an involution). */
function reorder(bytes: Buffer, order: ByteOrder): Buffer {
  const out = Buffer.alloc(bytes.length);
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    let src = i;
    switch (order) {
      case 'ABCD': src = i; break;
      case 'DCBA': src = n - 1 - i; break;
      case 'BADC': src = i ^ 1; break;
      // words reversed, bytes inside each word kept: the "low word first" layout
      case 'CDAB': src = (n - 2 - (i & ~1)) + (i & 1); break;
    }
    out[i] = bytes[src];
  }
  return out;
}

function wordsToBytes(words: ArrayLike<number>): Buffer {
  const b = Buffer.alloc(words.length * 2);
  for (let i = 0; i < words.length; i++) b.writeUInt16BE(words[i] & 0xffff, i * 2);
  return b;
}

function bytesToWords(b: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < b.length; i += 2) out.push(b.readUInt16BE(i));
  return out;
}

/**
 * Decode one value from its registers (exactly `registerCount` of them). 64-bit integers beyond 2^53 lose
 * precision as numbers; energy counters never get there. Strings: ASCII/UTF-8, NUL and trailing spaces trimmed;
 * for strings only ABCD and BADC (byte-swapped registers) are meaningful.
 */
export function decodeValue(words: ArrayLike<number>, type: Encoding, order: ByteOrder = 'ABCD'): Decoded {
  if (type === 'bool') return words[0] ? 1 : 0;
  const raw = wordsToBytes(words);
  if (type === 'string') {
    const b = order === 'BADC' || order === 'DCBA' ? reorder(raw, 'BADC') : raw;
    const end = b.indexOf(0);
    return b.subarray(0, end < 0 ? b.length : end).toString('utf8').replace(/\s+$/, '');
  }
  // 16-bit values: only the byte swap inside the register applies (ABCD = CDAB = AB, BADC = DCBA = BA)
  const b = raw.length === 2 ? (order === 'BADC' || order === 'DCBA' ? reorder(raw, 'BADC') : raw) : reorder(raw, order);
  switch (type) {
    case 'int16': return b.readInt16BE(0);
    case 'uint16': case 'bitfield': return b.readUInt16BE(0);
    case 'int32': return b.readInt32BE(0);
    case 'uint32': return b.readUInt32BE(0);
    case 'float32': return b.readFloatBE(0);
    case 'int64': return Number(b.readBigInt64BE(0));
    case 'uint64': return Number(b.readBigUInt64BE(0));
    case 'float64': return b.readDoubleBE(0);
  }
}

/**
 * Encode one value into registers. Integers are rounded and must fit the type (RangeError otherwise);
 * strings are padded with NUL to `lengthWords` registers.
 */
export function encodeValue(value: Decoded, type: Encoding, order: ByteOrder = 'ABCD', lengthWords = 1): number[] {
  if (type === 'bool') return [value ? 1 : 0];
  if (type === 'string') {
    const b = Buffer.alloc(lengthWords * 2);
    Buffer.from(String(value), 'utf8').copy(b, 0, 0, b.length);
    return bytesToWords(order === 'BADC' || order === 'DCBA' ? reorder(b, 'BADC') : b);
  }
  const v = typeof value === 'number' ? value : Number(value);
  const b = Buffer.alloc(registerCount(type) * 2);
  const int = Math.round(v);
  switch (type) {
    case 'int16': b.writeInt16BE(int, 0); break;
    case 'uint16': case 'bitfield': b.writeUInt16BE(int, 0); break;
    case 'int32': b.writeInt32BE(int, 0); break;
    case 'uint32': b.writeUInt32BE(int, 0); break;
    case 'float32': b.writeFloatBE(v, 0); break;
    case 'int64': b.writeBigInt64BE(BigInt(int), 0); break;
    case 'uint64': b.writeBigUInt64BE(BigInt(int), 0); break;
    case 'float64': b.writeDoubleBE(v, 0); break;
  }
  const laid = b.length === 2 ? (order === 'BADC' || order === 'DCBA' ? reorder(b, 'BADC') : b) : reorder(b, order);
  return bytesToWords(laid);
}

/** The smallest and largest raw integer a type can carry, for the simulator's clamping. */
export function integerLimits(type: Encoding): [number, number] | undefined {
  switch (type) {
    case 'int16': return [-32768, 32767];
    case 'uint16': case 'bitfield': return [0, 65535];
    case 'int32': return [-2147483648, 2147483647];
    case 'uint32': return [0, 4294967295];
    case 'int64': return [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
    case 'uint64': return [0, Number.MAX_SAFE_INTEGER];
    default: return undefined;
  }
}
