/**
 * BACnet device templates (DESIGN D5: device knowledge is data): one YAML file per controller model under
 * `core/devices/templates/`, `protocol: bacnet`, mapping BACnet objects to canonical points. The schema gives
 * the types; `checkBacnetTemplateRules` adds what a schema cannot say (unit suffixes, object ids, writability).
 */
import { Type, type Static } from '@sinclair/typebox';
import { displayPath } from '../../../core/config/yaml-file.ts';
import { PointName } from '../../../core/contract/v1.ts';
import { hasUnits, isBinary, isCommandable, isMultiState, parseObjectId } from './objects.ts';
import { pointUnitProblem, unitOfPoint } from '../../../core/units.ts';
import { unitByName } from './units.ts';
import type { BACNetObjectID } from './library.ts';

const Obj = <P extends Parameters<typeof Type.Object>[0]>(props: P, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });

/** One BACnet object read as one canonical point. */
export const BacnetPoint = Obj({
  point: PointName,
  object: Type.String({ pattern: '^[a-z][a-z-]*:[0-9]+$', description: 'object identifier, e.g. analog-input:1' }),
  label: Type.String({ minLength: 1, description: 'what people read (Chinese label)' }),
  object_name: Type.Optional(Type.String({ minLength: 1, description: "the controller's Object_Name for it" })),
  units: Type.Optional(Type.String({ description: 'engineering unit the controller reports, e.g. degrees-celsius (clause 21)' })),
  scale: Type.Optional(Type.Number({ description: 'extra multiplier after unit conversion, default 1' })),
  cov: Type.Optional(Type.Boolean({ description: 'subscribe to COV for this object (default: the template setting)' })),
  cov_increment: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'COV_Increment in the device unit' })),
  writable: Type.Optional(Type.Boolean({ default: false, description: 'WriteProperty allowed (set-points only)' })),
  priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, description: 'write priority, clause 19.2 (default 16, the lowest)' })),
  min: Type.Optional(Type.Number({ description: 'lowest value a write may set, canonical unit' })),
  max: Type.Optional(Type.Number({ description: 'highest value a write may set, canonical unit' })),
  number_of_states: Type.Optional(Type.Integer({ minimum: 1, description: 'Number_Of_States of a multi-state object (clause 12.18.11)' })),
});
export type BacnetPoint = Static<typeof BacnetPoint>;

/** A BACnet controller model. */
export const templateSchema = Obj({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$' }),
  protocol: Type.Literal('bacnet'),
  name: Type.String({ minLength: 1 }),
  manufacturer: Type.Optional(Type.String()),
  model: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  kind: Type.Optional(Type.Union([Type.Literal('hvac'), Type.Literal('meter'), Type.Literal('sensor')])),
  physics: Type.Optional(Type.String({ description: 'simulator physics model (simulators/physics/hvac.ts)' })),
  cov: Type.Optional(Type.Boolean({ default: true, description: 'subscribe to COV by default' })),
  cov_lifetime_s: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400, default: 300, description: 'SubscribeCOV lifetime; renewed at 3/4 of it' })),
  cov_silence_s: Type.Optional(Type.Integer({ minimum: 10, maximum: 86_400, default: 600, description: 'an object silent this long is polled' })),
  points: Type.Array(BacnetPoint, { minItems: 1 }),
}, 'BACnet/IP device template');
export type BacnetTemplate = Static<typeof templateSchema>;

/** A template point with its object id and device unit resolved. */
export interface ResolvedPoint extends BacnetPoint {
  objectId: BACNetObjectID;
  unitsId?: number;
}

/**
 * The rules a schema cannot express, as the registry of protocols wants them (gateway/protocols/index.ts):
 * the first problem with its path, or undefined.
 */
export function checkBacnetTemplateRules(t: BacnetTemplate): { path: string; problem: string; at: (string | number)[] } | undefined {
  const names = new Set<string>();
  const objects = new Set<string>();
  for (const [i, p] of t.points.entries()) {
    const at = (...rest: string[]) => ['points', i, ...rest];
    const fail = (path: (string | number)[], problem: string) => ({ path: displayPath(path), problem, at: path });
    if (names.has(p.point)) return fail(at('point'), `duplicate point '${p.point}'`);
    names.add(p.point);
    if (objects.has(p.object)) return fail(at('object'), `object '${p.object}' is mapped twice`);
    objects.add(p.object);
    const unit = unitOfPoint(p.point);
    if (!unit) return fail(at('point'), pointUnitProblem(p.point) ?? '');
    const objectId = parseObjectId(p.object);
    if (!objectId) return fail(at('object'), `unknown object type in '${p.object}' (e.g. analog-input:1, binary-output:2)`);
    if (p.units !== undefined) {
      if (unitByName(p.units) === undefined) return fail(at('units'), `unknown engineering unit '${p.units}' (e.g. degrees-celsius, kilowatts)`);
      if (!hasUnits(objectId.type)) return fail(at('units'), `object '${p.object}' has no Units property`);
    }
    if (p.number_of_states !== undefined && !isMultiState(objectId.type)) return fail(at('number_of_states'), `'${p.object}' is not a multi-state object`);
    if (isBinary(objectId.type) && unit.quantity !== 'state') return fail(at('point'), 'a binary object maps to a state point (suffix _on or _state)');
    if (p.writable && !isCommandable(objectId.type)) {
      return fail(at('writable'), `'${p.object}' is not an output or value object; inputs cannot be written`);
    }
    if (!p.writable && (p.priority !== undefined || p.min !== undefined || p.max !== undefined)) {
      return fail(at(), 'priority/min/max apply to writable points only');
    }
  }
  return undefined;
}

/** Points with parsed object ids and unit enumerations (the template is already checked). */
export function resolvePoints(t: BacnetTemplate): ResolvedPoint[] {
  return t.points.map((p) => ({
    ...p,
    objectId: parseObjectId(p.object) as BACNetObjectID,
    unitsId: p.units === undefined ? undefined : unitByName(p.units),
  }));
}
