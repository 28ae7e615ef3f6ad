/**
 * SunSpec model definitions, read from the official JSON files in `models/` (SunSpec Alliance, Apache-2.0;
 * see models/NOTICE). Each definition is laid out into register offsets here, once, so no offset is ever
 * typed by hand (DESIGN.md D5): offset 0 is the model's ID register, 1 its length L, points follow in file order.
 * A model may end with one repeating group (model 160 MPPT modules, 302 irradiance sensors, 303 BOM
 * temperatures): the number of repetitions comes from the length L the device reports.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { validate } from '../../../core/config/yaml-file.ts';

/** Where the copied official definitions live. */
export const MODEL_DIR = join(dirname(fileURLToPath(import.meta.url)), 'models');

/** Point types of the SunSpec information model specification (SunSpec Model Specification §6). */
export const PointType = Type.Union(['int16', 'uint16', 'count', 'acc16', 'enum16', 'bitfield16', 'pad', 'int32', 'uint32',
  'acc32', 'enum32', 'bitfield32', 'ipaddr', 'int64', 'uint64', 'acc64', 'ipv6addr', 'float32', 'float64', 'string',
  'sunssf', 'eui48'].map((t) => Type.Literal(t)));
export type PointType = Static<typeof PointType>;

const PointDef = Type.Object({
  name: Type.String(),
  type: PointType,
  size: Type.Integer({ minimum: 1 }),
  sf: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
  units: Type.Optional(Type.String()),
  label: Type.Optional(Type.String()),
  mandatory: Type.Optional(Type.String()),
  static: Type.Optional(Type.String()),
  value: Type.Optional(Type.Union([Type.Integer(), Type.String()])),
  symbols: Type.Optional(Type.Array(Type.Object({ name: Type.String(), value: Type.Integer() }))),
});

interface GroupDef {
  name: string;
  count?: number | string;
  points: Static<typeof PointDef>[];
  groups?: GroupDef[];
}

const GroupDefSchema = Type.Recursive((Self) => Type.Object({
  name: Type.String(),
  type: Type.Optional(Type.String()),
  count: Type.Optional(Type.Union([Type.Integer(), Type.String()])),
  points: Type.Array(PointDef),
  groups: Type.Optional(Type.Array(Self)),
}));

const ModelFile = Type.Object({ id: Type.Integer(), group: GroupDefSchema });

/** One point of a model with its place: `offset` from the model's ID register (fixed part) or block start. */
export interface PointLayout {
  name: string;
  type: PointType;
  size: number;
  offset: number;
  /** scale factor: the name of the sunssf point that holds it, or a fixed decimal exponent */
  sf?: string | number;
  units?: string;
  label?: string;
  mandatory: boolean;
  /** enum symbols by value (enum16: St 4 = MPPT …) */
  symbols?: Map<number, string>;
}

/** A model laid out into registers. */
export interface ModelLayout {
  id: number;
  name: string;
  /** ID, L and every fixed point; `fixedLength` registers including ID and L */
  points: PointLayout[];
  fixedLength: number;
  /** the repeating group, if any: its points (offsets from the block start) and block length */
  block?: { name: string; points: PointLayout[]; length: number };
}

function layOut(points: Static<typeof PointDef>[]): { points: PointLayout[]; length: number } {
  let offset = 0;
  const out = points.map((p) => {
    const l: PointLayout = {
      name: p.name, type: p.type, size: p.size, offset, sf: p.sf, units: p.units, label: p.label,
      mandatory: p.mandatory === 'M',
      symbols: p.symbols ? new Map(p.symbols.map((s) => [s.value, s.name])) : undefined,
    };
    offset += p.size;
    return l;
  });
  return { points: out, length: offset };
}

/** Lay out one parsed model definition. */
export function layoutModel(id: number, group: GroupDef): ModelLayout {
  const fixed = layOut(group.points);
  const sub = group.groups?.[0];
  if (group.groups && group.groups.length > 1) throw new Error(`SunSpec model ${id}: more than one repeating group is not supported`);
  const block = sub ? layOut(sub.points) : undefined;
  return {
    id, name: group.name, points: fixed.points, fixedLength: fixed.length,
    block: sub && block ? { name: sub.name, points: block.points, length: block.length } : undefined,
  };
}

const cache = new Map<number, ModelLayout | null>();

/** The layout of model `id` from the shipped definitions, or undefined when the model is not shipped. */
export function modelLayout(id: number, dir = MODEL_DIR): ModelLayout | undefined {
  if (cache.has(id)) return cache.get(id) ?? undefined;
  const file = join(dir, `model_${id}.json`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    cache.set(id, null);
    return undefined;
  }
  const parsed = validate(ModelFile, JSON.parse(text) as unknown, file);
  const layout = layoutModel(parsed.id, parsed.group as GroupDef);
  cache.set(id, layout);
  return layout;
}

/** Ids of the shipped model definitions. */
export function shippedModels(dir = MODEL_DIR): number[] {
  return readdirSync(dir).map((f) => /^model_(\d+)\.json$/.exec(f)?.[1]).filter((s): s is string => !!s).map(Number).sort((a, b) => a - b);
}

/** A point of the fixed part by name. */
export function fixedPoint(model: ModelLayout, name: string): PointLayout | undefined {
  return model.points.find((p) => p.name === name);
}
