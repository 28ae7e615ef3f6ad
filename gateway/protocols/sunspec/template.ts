/**
 * The SunSpec device template (`protocol: sunspec`): which standard models and points feed which canonical
 * points. Offsets never appear: they come from the official model definitions (models.ts). One row per
 * canonical point, naming the SunSpec point as the specification does (model 103 `W`, `WH`, `St` …).
 */
import { Type, type Static } from '@sinclair/typebox';
import { declaredUnitProblem } from '../../../core/units.ts';
import { modelLayout } from './models.ts';

const Obj = <P extends Parameters<typeof Type.Object>[0]>(props: P, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });

/** One canonical point fed by a SunSpec point. */
export const SunspecPointRow = Obj({
  point: Type.String({ pattern: '^[a-z][a-z0-9_]*(\\{n\\}[a-z0-9_]*)?$', description: 'canonical point (unit in the name); {n} = block number for block: each' }),
  models: Type.Array(Type.Integer({ minimum: 1, maximum: 65534 }), { minItems: 1, description: 'alternative models carrying the point, first found wins (e.g. [101, 102, 103])' }),
  name: Type.String({ minLength: 1, description: 'SunSpec point name in the model definition, e.g. W, WH, St' }),
  block: Type.Optional(Type.Union([Type.Literal('each'), Type.Integer({ minimum: 1 })], { description: "repeating group: 'each' block (point name needs {n}) or block number k" })),
  scale: Type.Optional(Type.Number({ description: 'factor after the SunSpec scale factor, to the canonical unit (W → kW: 0.001)' })),
  unit: Type.String({ description: 'canonical unit after scaling' }),
  range: Type.Optional(Type.Tuple([Type.Number(), Type.Number()], { description: 'physically possible [min, max]; outside → bad quality' })),
  publish: Type.Optional(Type.Boolean({ default: true })),
});
export type SunspecPointRow = Static<typeof SunspecPointRow>;

/** A SunSpec device template file. */
export const templateSchema = Obj({
  protocol: Type.Literal('sunspec'),
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$' }),
  manufacturer: Type.Optional(Type.String()),
  model: Type.Optional(Type.String()),
  kind: Type.Union([Type.Literal('inverter'), Type.Literal('sensor'), Type.Literal('meter')]),
  source: Type.Optional(Type.String({ description: 'where the mapping comes from' })),
  base_addresses: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 65535 }), { minItems: 1, description: 'where to look for "SunS", default 40000, 0, 50000' })),
  timeout_ms: Type.Optional(Type.Integer({ minimum: 50, maximum: 60_000 })),
  retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 5 })),
  points: Type.Array(SunspecPointRow, { minItems: 1 }),
}, 'SunSpec device template');
export type SunspecTemplate = Static<typeof templateSchema>;

/** Checks the schema cannot express: every model shipped, every point in its model, {n} iff block: each. */
export function checkSunspecTemplate(t: SunspecTemplate): { path: string; problem: string } | undefined {
  for (const [i, row] of t.points.entries()) {
    const expands = row.point.includes('{n}');
    const unitProblem = row.publish === false ? undefined : declaredUnitProblem(row.point.replace('{n}', '1'), row.unit);
    if (unitProblem) return { path: `points[${i}].unit`, problem: unitProblem };
    if ((row.block === 'each') !== expands) {
      return { path: `points[${i}].point`, problem: row.block === 'each' ? "block: each needs '{n}' in the point name" : "'{n}' is only for block: each" };
    }
    for (const [j, id] of row.models.entries()) {
      const layout = modelLayout(id);
      if (!layout) return { path: `points[${i}].models[${j}]`, problem: `SunSpec model ${id} is not among the shipped definitions` };
      const inBlock = layout.block?.points.some((p) => p.name === row.name) ?? false;
      const inFixed = layout.points.some((p) => p.name === row.name);
      if (row.block !== undefined && !inBlock) return { path: `points[${i}].name`, problem: `model ${id} has no repeating point '${row.name}'` };
      if (row.block === undefined && !inFixed) return { path: `points[${i}].name`, problem: `model ${id} has no point '${row.name}'${inBlock ? ' outside its repeating group (add block:)' : ''}` };
    }
  }
  return undefined;
}
