/**
 * MQTT-native device templates: a controller that already publishes JSON to a broker joins by configuration —
 * per point a path into the payload, the vendor's unit and a scale (DESIGN D5). `protocol: mqtt`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { displayPath } from '../../../core/config/yaml-file.ts';
import { PointName } from '../../../core/contract/v1.ts';
import { conversionFor, deviceUnitSymbol, pointUnitProblem, type UnitConversion } from '../../../core/units.ts';
import { parsePath, type PathStep } from './path.ts';

const Obj = <P extends Parameters<typeof Type.Object>[0]>(props: P, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });

/** One JSON field read as one canonical point. */
export const MqttPoint = Obj({
  point: PointName,
  path: Type.String({ minLength: 1, description: 'where the value is in the payload, e.g. odu.power or idu[0].setTemp' }),
  label: Type.String({ minLength: 1, description: 'what people read (Chinese label)' }),
  unit: Type.Optional(Type.String({ description: "the vendor's unit, e.g. W, kWh, °C, °F, l/s (default: the point's own unit)" })),
  scale: Type.Optional(Type.Number({ description: 'multiplier applied before the unit conversion (e.g. 0.1 for tenths)' })),
  offset: Type.Optional(Type.Number({ description: 'added after scaling, before the unit conversion' })),
  map: Type.Optional(Type.Record(Type.String(), Type.Number(), { description: 'text or boolean values to numbers, e.g. { cool: 1, heat: 2 }' })),
  writable: Type.Optional(Type.Boolean({ description: 'the gateway may command it: JSON { <set>: value } on the device topic + /set' })),
  set: Type.Optional(Type.String({ minLength: 1, description: 'writable: the key of the command payload, e.g. setTemp' })),
  min: Type.Optional(Type.Number({ description: 'writable: lowest value the gateway writes, in the point unit' })),
  max: Type.Optional(Type.Number({ description: 'writable: highest value the gateway writes, in the point unit' })),
});
export type MqttPoint = Static<typeof MqttPoint>;

/** An MQTT-native controller model. */
export const templateSchema = Obj({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$' }),
  protocol: Type.Literal('mqtt'),
  name: Type.String({ minLength: 1 }),
  manufacturer: Type.Optional(Type.String()),
  model: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  kind: Type.Optional(Type.Union([Type.Literal('hvac'), Type.Literal('meter'), Type.Literal('sensor')])),
  timestamp: Type.Optional(Obj({
    path: Type.String({ minLength: 1 }),
    format: Type.Union([Type.Literal('epoch-ms'), Type.Literal('epoch-s'), Type.Literal('iso8601')]),
  }, 'source timestamp in the payload (default: time of arrival)')),
  stale_s: Type.Optional(Type.Integer({ minimum: 5, maximum: 86_400, default: 180, description: 'no message for this long: device offline' })),
  command_timeout_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 600, default: 15, description: 'a command is confirmed when a message shows the value within this long' })),
  points: Type.Array(MqttPoint, { minItems: 1 }),
}, 'MQTT-native device template');
export type MqttTemplate = Static<typeof templateSchema>;

/** A point ready to apply: parsed path and unit conversion. */
export interface CompiledPoint extends MqttPoint {
  steps: PathStep[];
  conversion: UnitConversion;
}

/** Rules beyond the schema (unit suffix, path syntax, unit compatibility), first problem or undefined. */
export function checkMqttTemplateRules(t: MqttTemplate): { path: string; problem: string; at: (string | number)[] } | undefined {
  const names = new Set<string>();
  for (const [i, p] of t.points.entries()) {
    const fail = (key: string | undefined, problem: string) => {
      const at = key ? ['points', i, key] : ['points', i];
      return { path: displayPath(at), problem, at };
    };
    if (names.has(p.point)) return fail('point', `duplicate point '${p.point}'`);
    if (p.writable && p.set === undefined) return fail('set', "a writable point needs 'set', the key of its command payload");
    if (!p.writable && (p.set !== undefined || p.min !== undefined || p.max !== undefined)) return fail('set', 'set/min/max apply to writable points only');
    names.add(p.point);
    const unitProblem = pointUnitProblem(p.point);
    if (unitProblem) return fail('point', unitProblem);
    try { parsePath(p.path); } catch (err) { return fail('path', (err as Error).message); }
    if (p.unit !== undefined) {
      if (deviceUnitSymbol(p.unit) === undefined) return fail('unit', `unknown unit '${p.unit}'`);
      try { conversionFor(p.point, deviceUnitSymbol(p.unit)); } catch (err) { return fail('unit', (err as Error).message); }
    }
  }
  if (t.timestamp) {
    try { parsePath(t.timestamp.path); } catch (err) { return { path: 'timestamp.path', problem: (err as Error).message, at: ['timestamp', 'path'] }; }
  }
  return undefined;
}

/** Parse every point's path and fix its conversion (the template is already checked). */
export function compilePoints(t: MqttTemplate): CompiledPoint[] {
  return t.points.map((p) => ({
    ...p,
    steps: parsePath(p.path),
    conversion: conversionFor(p.point, p.unit === undefined ? undefined : deviceUnitSymbol(p.unit)),
  }));
}

const pathCache = new Map<string, PathStep[]>();
/** parsePath, remembered (timestamp paths are applied to every message). */
export function parsePathCached(text: string): PathStep[] {
  let steps = pathCache.get(text);
  if (!steps) {
    steps = parsePath(text);
    pathCache.set(text, steps);
  }
  return steps;
}
