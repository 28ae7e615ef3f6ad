/**
 * A device model as every part reads it (DESIGN D5, D11; decision 0006): its published points with their unit and
 * physical range, whether CT/PT multiply them, the exact roll-over of an integer counter, and the maximum power
 * a meter can measure. The part of a template file this needs is validated here; the rest (addresses,
 * objects, paths) belongs to the protocol that reads the device and is validated by the gateway's registry.
 */
import { Type, type Static } from '@sinclair/typebox';
import { pointUnitProblem, unitOfPoint, type PhysicalRange, type PointUnit } from '../units.ts';

/** The protocols a template may be written for; each has its schema, checks and source in the gateway's registry. */
export const TEMPLATE_PROTOCOLS = ['modbus', 'sunspec', 'bacnet', 'mqtt'] as const;
/** A template protocol. */
export type TemplateProtocol = (typeof TEMPLATE_PROTOCOLS)[number];

/** What every point row of every protocol shares (Modbus `registers`, others `points`). */
const PointRow = Type.Object({
  point: Type.String({ minLength: 1 }),
  unit: Type.Optional(Type.String()),
  range: Type.Optional(Type.Tuple([Type.Number(), Type.Number()])),
  publish: Type.Optional(Type.Boolean()),
  ct: Type.Optional(Type.Boolean()),
  pt: Type.Optional(Type.Boolean()),
  type: Type.Optional(Type.String()),
  scale: Type.Optional(Type.Number()),
  offset: Type.Optional(Type.Number()),
  scale_register: Type.Optional(Type.Unknown()),
  writable: Type.Optional(Type.Boolean()),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
});

/** The shared part of a template file; the protocol's own schema adds and closes the rest. */
export const ModelDocument = Type.Object({
  protocol: Type.Unsafe<TemplateProtocol>({ type: 'string', enum: [...TEMPLATE_PROTOCOLS] }),
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$' }),
  kind: Type.Optional(Type.String()),
  registers: Type.Optional(Type.Array(PointRow)),
  points: Type.Optional(Type.Array(PointRow)),
});
/** The shared part of a template file. */
export type ModelDocument = Static<typeof ModelDocument>;

/** One published point of a model. */
export interface ModelPoint {
  readonly point: string;
  readonly unit: PointUnit;
  /** what the instrument itself can show (template `range`, before CT/PT); without it, `unit.range` bounds the value */
  readonly range?: PhysicalRange;
  /** the gateway multiplies the value by the device's CT ratio / PT ratio */
  readonly ct: boolean;
  readonly pt: boolean;
  /** where an integer register wraps: 2^bits × scale (before CT/PT; issue #12.4), for counters */
  readonly rollover?: number;
  /** the gateway writes it on command (set-points), within [min, max] when given */
  readonly writable?: { min?: number; max?: number };
}

/** The narrow interface every part reads a device model through. */
export interface DeviceModel {
  readonly id: string;
  readonly protocol: TemplateProtocol;
  readonly kind?: string;
  /** the published points by name; a SunSpec `{n}` row is listed once per block number it may take (1…99) */
  readonly points: ReadonlyMap<string, ModelPoint>;
}

/** Register widths of the integer encodings (Modbus templates), for the exact roll-over of a counter. */
const INTEGER_BITS: Record<string, number> = { uint16: 16, int16: 16, uint32: 32, int32: 32, uint64: 64, int64: 64 };

/** The exact wrap of an integer register at its scale (2^32 × 0.01 = 42 949 672.96 for a u32 at 0.01), or undefined. */
export function rolloverOf(row: { type?: string; scale?: number; scale_register?: unknown }): number | undefined {
  const bits = row.type === undefined ? undefined : INTEGER_BITS[row.type];
  // a scale read from the device at run time makes the wrap unknown here
  if (bits === undefined || row.scale_register !== undefined) return undefined;
  return 2 ** bits * (row.scale ?? 1);
}

/** Block numbers a SunSpec `block: each` row may publish (`current_dc_{n}_a` → `current_dc_1_a` …). */
const BLOCKS = Array.from({ length: 99 }, (_, i) => String(i + 1));

/** The model view of a validated document, or the path and problem of a point the units catalogue does not know. */
export function modelOf(doc: ModelDocument): DeviceModel | { path: string; problem: string } {
  const points = new Map<string, ModelPoint>();
  const rows = doc.registers ? ['registers', doc.registers] as const : ['points', doc.points ?? []] as const;
  for (const [i, row] of rows[1].entries()) {
    if (row.publish === false) continue;
    for (const name of row.point.includes('{n}') ? BLOCKS.map((n) => row.point.replace('{n}', n)) : [row.point]) {
      const unit = unitOfPoint(name);
      if (!unit) return { path: `${rows[0]}[${i}].point`, problem: pointUnitProblem(name) ?? '' };
      points.set(name, {
        point: name, unit, range: row.range, ct: row.ct ?? false, pt: row.pt ?? false, rollover: rolloverOf(row),
        ...(row.writable ? { writable: { min: row.min, max: row.max } } : {}),
      });
    }
  }
  return { id: doc.id, protocol: doc.protocol, kind: doc.kind, points };
}

/**
 * The most power a meter can measure, in kW, from the ranges of its voltage and current points scaled like the
 * gateway scales them (issue #12.3's default `max_power_kw`): Σ over the phase currents U_max × I_max / 1000, with
 * U_max the highest phase-voltage range maximum × PT (a line voltage counts / √3), I_max a current range maximum
 * × CT, power factor 1. Undefined when the model has no voltage or no current point with a range.
 */
export function maxPowerKw(model: DeviceModel, ct = 1, pt = 1): number | undefined {
  let phaseVoltage = 0;
  const currents: number[] = [];
  for (const p of model.points.values()) {
    if (!p.range) continue;
    const max = p.range[1] * (p.ct ? ct : 1) * (p.pt ? pt : 1);
    if (/^voltage(_l[123])?_v$/.test(p.point)) phaseVoltage = Math.max(phaseVoltage, max);
    else if (/^voltage_l(12|23|31)_v$/.test(p.point)) phaseVoltage = Math.max(phaseVoltage, max / Math.sqrt(3));
    else if (/^current(_l[123])?_a$/.test(p.point)) currents.push(max);
  }
  if (phaseVoltage === 0 || currents.length === 0) return undefined;
  return currents.reduce((sum, i) => sum + (phaseVoltage * i) / 1000, 0);
}
