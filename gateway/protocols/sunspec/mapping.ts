/**
 * From decoded SunSpec models to canonical points (DESIGN.md boundary 3): the template's rows pick a point
 * of the first listed model the device has, apply the unit factor, and judge quality. A point the device
 * marks "not implemented" is published as null with bad quality — never as zero.
 */
import type { PointValue } from '../../../core/contract/v1.ts';
import type { DecodedModel, SunspecValue } from './codec.ts';
import type { SunspecPointRow, SunspecTemplate } from './template.ts';

/** The models a template needs, as ids. */
export function neededModels(t: SunspecTemplate): Set<number> {
  return new Set(t.points.flatMap((r) => r.models));
}

function judge(row: SunspecPointRow, model: number, raw: SunspecValue): PointValue {
  if (raw === null) return { value: null, quality: 'bad', reason: `not implemented by the device (SunSpec ${model}.${row.name})` };
  if (typeof raw === 'string') return { value: null, quality: 'bad', reason: `text value '${raw}' for a numeric point` };
  // 12 significant digits: drops binary noise of the unit factor (4560 W × 0.001 = 4.5600000000000005 kW)
  const value = Number((raw * (row.scale ?? 1)).toPrecision(12));
  if (!Number.isFinite(value)) return { value: null, quality: 'bad', reason: 'not a finite number' };
  if (row.range && (value < row.range[0] || value > row.range[1])) {
    return { value, quality: 'bad', reason: `outside the physical range [${row.range[0]}, ${row.range[1]}] ${row.unit}` };
  }
  return { value, quality: 'good' };
}

/** Canonical points from the device's decoded models (keyed by model id; first instance of each). */
export function mapPoints(t: SunspecTemplate, models: Map<number, DecodedModel>): Record<string, PointValue> {
  const out: Record<string, PointValue> = {};
  for (const row of t.points) {
    if (row.publish === false) continue;
    const id = row.models.find((m) => models.has(m));
    if (id === undefined) continue; // the device does not carry this model: nothing to say
    const m = models.get(id)!;
    if (row.block === undefined) out[row.point] = judge(row, id, m.points[row.name] ?? null);
    else if (row.block === 'each') m.blocks.forEach((b, i) => { out[row.point.replace('{n}', String(i + 1))] = judge(row, id, b[row.name] ?? null); });
    else if (m.blocks[row.block - 1]) out[row.point] = judge(row, id, m.blocks[row.block - 1][row.name] ?? null);
  }
  return out;
}
