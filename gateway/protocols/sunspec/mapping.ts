/**
 * From decoded SunSpec models to canonical points (DESIGN.md boundary 3): the template's rows pick a point
 * of the first listed model the device has, apply the unit factor, and judge quality. A point the device
 * marks "not implemented", or does not send at all (beyond the model length it reports), is published as null
 * with bad quality and the reason — never as zero.
 */
import type { PointValue } from '../../../core/contract/v1.ts';
import type { DecodedModel, SunspecValue } from './codec.ts';
import type { SunspecPointRow, SunspecTemplate } from './template.ts';

/** The models a template's published rows need, as ids: a model only `publish: false` rows name is not read (issue 12). */
export function neededModels(t: SunspecTemplate): Set<number> {
  return new Set(t.points.filter((r) => r.publish !== false).flatMap((r) => r.models));
}

function judge(row: SunspecPointRow, model: DecodedModel, record: Record<string, SunspecValue>): PointValue {
  // a point the device does not send (beyond the model length it reports) is bad with the reason, never zero
  if (!(row.name in record)) return { value: null, quality: 'bad', reason: model.unsent[row.name] ?? `not sent by the device (SunSpec ${model.id}.${row.name})` };
  return judgeValue(row, model.id, record[row.name]);
}

function judgeValue(row: SunspecPointRow, model: number, raw: SunspecValue): PointValue {
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
    if (row.block === undefined) out[row.point] = judge(row, m, m.points);
    else if (row.block === 'each') m.blocks.forEach((b, i) => { out[row.point.replace('{n}', String(i + 1))] = judge(row, m, b); });
    else if (m.blocks[row.block - 1]) out[row.point] = judge(row, m, m.blocks[row.block - 1]);
  }
  return out;
}
