/**
 * The Modbus device template: one YAML file per device model under core/devices/templates/, validated at
 * load by `templateSchema`. Device knowledge is data (DESIGN.md D5): each row says where a value lives, how its
 * bytes are laid out and how it becomes a canonical point; the code decodes generically.
 */
import { Type, type Static } from '@sinclair/typebox';
import { declaredUnitProblem } from '../../../core/units.ts';

/** Modbus Application Protocol v1.1b3 §6: coils FC 1, discrete inputs FC 2, holding FC 3, input FC 4. */
export const RegisterKind = Type.Union([
  Type.Literal('coil'), Type.Literal('discrete'), Type.Literal('holding'), Type.Literal('input'),
]);
/** A register type. */
export type RegisterKind = Static<typeof RegisterKind>;

/** Value encodings; `bool` is for coils and discrete inputs, the rest occupy 16-bit registers. */
export const Encoding = Type.Union([
  Type.Literal('int16'), Type.Literal('uint16'), Type.Literal('int32'), Type.Literal('uint32'),
  Type.Literal('int64'), Type.Literal('uint64'), Type.Literal('float32'), Type.Literal('float64'),
  Type.Literal('string'), Type.Literal('bitfield'), Type.Literal('bool'),
]);
/** A value encoding. */
export type Encoding = Static<typeof Encoding>;

/** Registers a value of `type` occupies (strings: `lengthWords`). */
export function registerCount(type: Encoding, lengthWords = 1): number {
  switch (type) {
    case 'int32': case 'uint32': case 'float32': return 2;
    case 'int64': case 'uint64': case 'float64': return 4;
    case 'string': return lengthWords;
    default: return 1;
  }
}

/**
 * Byte/word order with the letters of a big-endian 32-bit value (Telegraf's convention): ABCD big-endian,
 * CDAB word-swapped ("low word first"), BADC byte-swapped, DCBA little-endian. 64-bit values extend it
 * (ABCD = ABCDEFGH, CDAB = GHEFCDAB, BADC = BADCFEHG, DCBA = HGFEDCBA).
 */
export const ByteOrder = Type.Union([
  Type.Literal('ABCD'), Type.Literal('CDAB'), Type.Literal('BADC'), Type.Literal('DCBA'),
]);
/** A byte/word order. */
export type ByteOrder = Static<typeof ByteOrder>;

const Address = Type.Integer({ minimum: 0, maximum: 65535, description: 'zero-based protocol address (PDU address)' });
const PointName = Type.String({ pattern: '^[a-z][a-z0-9_]*$', maxLength: 64, description: 'canonical point, unit in the name' });

/** Scale taken from another register at read time (SunSpec-style `value × 10^sf`, or `value × factor`). */
export const ScaleRegister = Type.Object({
  address: Address,
  register: Type.Optional(RegisterKind),
  type: Type.Optional(Type.Union([Type.Literal('int16'), Type.Literal('uint16')], { default: 'int16' })),
  mode: Type.Optional(Type.Union([Type.Literal('pow10'), Type.Literal('factor')], { default: 'pow10' })),
}, { additionalProperties: false });
/** A scale read from a register. */
export type ScaleRegister = Static<typeof ScaleRegister>;

/** One value of the device: where it lives, how it is encoded, which canonical point it feeds. */
export const RegisterRow = Type.Object({
  point: PointName,
  name: Type.String({ minLength: 1, description: "the datasheet's name for the register" }),
  address: Address,
  register: Type.Optional(RegisterKind),
  type: Encoding,
  order: Type.Optional(ByteOrder),
  length: Type.Optional(Type.Integer({ minimum: 1, maximum: 125, description: 'registers of a string' })),
  bit: Type.Optional(Type.Integer({ minimum: 0, maximum: 63, description: 'bitfield: publish this bit as 0/1' })),
  scale: Type.Optional(Type.Number({ description: 'engineering value = raw × scale + offset' })),
  offset: Type.Optional(Type.Number()),
  scale_register: Type.Optional(ScaleRegister),
  unit: Type.String({ description: 'unit of the point after scaling, e.g. kWh, kW, V, A, Hz, m³' }),
  ct: Type.Optional(Type.Boolean({ description: 'multiply by the device CT ratio (site model ct_ratio)' })),
  pt: Type.Optional(Type.Boolean({ description: 'multiply by the device PT ratio (site model pt_ratio)' })),
  range: Type.Optional(Type.Tuple([Type.Number(), Type.Number()], { description: '[min, max] the instrument itself can show (after scale, before CT/PT)' })),
  publish: Type.Optional(Type.Boolean({ description: 'false: read for information only (e.g. serial number)' })),
  writable: Type.Optional(Type.Boolean({ description: 'set-points and commands only: FC 5 (coil), FC 6 or FC 16 (holding) allowed' })),
  min: Type.Optional(Type.Number({ description: 'writable: lowest value the gateway writes, in the point unit' })),
  max: Type.Optional(Type.Number({ description: 'writable: highest value the gateway writes, in the point unit' })),
}, { additionalProperties: false });
/** One template row. */
export type RegisterRow = Static<typeof RegisterRow>;

/** The Modbus template file. */
export const templateSchema = Type.Object({
  protocol: Type.Literal('modbus'),
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$' }),
  manufacturer: Type.String({ minLength: 1 }),
  model: Type.String({ minLength: 1 }),
  kind: Type.Union([Type.Literal('meter'), Type.Literal('inverter'), Type.Literal('sensor'), Type.Literal('hvac')]),
  description: Type.Optional(Type.String()),
  source: Type.String({ minLength: 1, description: 'the document the map comes from (manual, version, page)' }),
  defaults: Type.Optional(Type.Object({
    register: Type.Optional(RegisterKind),
    order: Type.Optional(ByteOrder),
    max_registers_per_read: Type.Optional(Type.Integer({ minimum: 1, maximum: 125, description: 'cap per request (FC 3/4 allow 125)' })),
    max_gap: Type.Optional(Type.Integer({ minimum: 0, maximum: 124, description: 'unused registers a read may span to merge two' })),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 50, maximum: 60_000 })),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
  }, { additionalProperties: false })),
  registers: Type.Array(RegisterRow, { minItems: 1 }),
}, { additionalProperties: false });
/** A validated Modbus template. */
export type ModbusTemplate = Static<typeof templateSchema>;

/** Template checks a schema cannot express; returns the problem and the row's path, or undefined. */
export function checkTemplateRows(t: ModbusTemplate): { path: string; problem: string } | undefined {
  const seen = new Set<string>();
  for (const [i, row] of t.registers.entries()) {
    const kind = row.register ?? t.defaults?.register ?? 'holding';
    const isBit = kind === 'coil' || kind === 'discrete';
    if (isBit !== (row.type === 'bool')) {
      return { path: `registers[${i}].type`, problem: `${kind} registers need type ${isBit ? "'bool'" : 'a register encoding, not bool'}` };
    }
    if (row.type === 'string' && row.length === undefined) return { path: `registers[${i}].length`, problem: "a string needs 'length' (registers)" };
    if (row.bit !== undefined && row.type !== 'bitfield') return { path: `registers[${i}].bit`, problem: "'bit' applies to type bitfield only" };
    if (row.scale_register && row.scale !== undefined) return { path: `registers[${i}].scale_register`, problem: "give either 'scale' or 'scale_register', not both" };
    if (row.range && row.range[0] > row.range[1]) return { path: `registers[${i}].range`, problem: 'min is above max' };
    if (row.writable && (kind === 'discrete' || kind === 'input')) return { path: `registers[${i}].writable`, problem: `${kind} registers are read-only (Modbus FC 2/4)` };
    if (row.writable && (row.type === 'string' || row.type === 'bitfield' || row.scale_register || row.ct || row.pt)) {
      return { path: `registers[${i}].writable`, problem: 'only plain numbers and coils can be written (no string, bitfield, scale register, CT or PT)' };
    }
    if (!row.writable && (row.min !== undefined || row.max !== undefined)) return { path: `registers[${i}].min`, problem: 'min/max apply to writable rows only' };
    if (registerCount(row.type, row.length) + row.address > 65536) return { path: `registers[${i}].address`, problem: 'value runs past register 65535' };
    if (row.publish !== false) {
      const unitProblem = declaredUnitProblem(row.point, row.unit);
      if (unitProblem) return { path: `registers[${i}].unit`, problem: unitProblem };
      if (seen.has(row.point)) return { path: `registers[${i}].point`, problem: `point '${row.point}' is fed by two rows` };
      seen.add(row.point);
    }
  }
  return undefined;
}
