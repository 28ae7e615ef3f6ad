/**
 * The contract suite's brute-force reference: what any correct adapter answers for an aggregate query over a
 * list of points, written from the port's documented semantics (storage/port.ts, docs/storage.md) and
 * deliberately sharing no code with the adapters — a window, tag or rounding helper that is wrong in both
 * places would otherwise agree with itself.
 */
import type { AggregateFn, AggregateQuery, AggregateSeries, StoredPoint } from './port.ts';

interface Row { tags: Record<string, string>; time: number; value: number }

/** Tags as a store keeps them: empty values dropped (InfluxDB cannot hold them), keys in code-point order. */
function keptTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([, v]) => v !== '').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** InfluxQL's `GROUP BY time(every, offset)`: the grid is the epoch shifted by offset; a window is named by its start. */
function windowOf(time: number, q: AggregateQuery): number {
  if (q.every_ms === undefined) return q.from;
  const every = q.every_ms;
  const shift = (((q.offset_ms ?? 0) % every) + every) % every;
  return Math.floor((time - shift) / every) * every + shift;
}

/** 15 significant digits, decision 0102. */
const fifteenDigits = (v: number): number => Number(v.toPrecision(15));

function reduce(fn: AggregateFn, values: number[]): number {
  const total = values.reduce((s, x) => s + x, 0);
  if (fn === 'sum') return fifteenDigits(total);
  if (fn === 'mean') return fifteenDigits(total / values.length);
  if (fn === 'count') return values.length;
  if (fn === 'min') return Math.min(...values);
  if (fn === 'max') return Math.max(...values);
  return fn === 'first' ? values[0] : values[values.length - 1];
}

/** Every window of every group, by brute force over all points. */
export function referenceAggregate(points: StoredPoint[], q: AggregateQuery): AggregateSeries[] {
  // last write wins per series and time
  const rows = new Map<string, Row>();
  for (const p of points) {
    const value = p.fields[q.field];
    if (p.measurement !== q.measurement || typeof value !== 'number') continue;
    const tags = keptTags(p.tags);
    rows.set(`${JSON.stringify(tags)}@${p.time}`, { tags, time: p.time, value });
  }
  const groupKeys = [...new Set(q.group_by ?? [])].sort();
  const groups = new Map<string, { tags: Record<string, string>; windows: Map<number, Row[]> }>();
  const passes = (r: Row) => Object.entries(q.where ?? {}).every(([k, want]) => (Array.isArray(want) ? want.includes(r.tags[k] ?? '') : want === (r.tags[k] ?? '')));
  for (const r of [...rows.values()].sort((a, b) => a.time - b.time)) {
    if (r.time < q.from || r.time >= q.to || !passes(r)) continue;
    const tags = Object.fromEntries(groupKeys.map((k) => [k, r.tags[k] ?? '']));
    const key = JSON.stringify(groupKeys.map((k) => tags[k]));
    const group = groups.get(key) ?? { tags, windows: new Map<number, Row[]>() };
    groups.set(key, group);
    const w = windowOf(r.time, q);
    group.windows.set(w, [...(group.windows.get(w) ?? []), r]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]) => ({
      tags: g.tags,
      points: [...g.windows.entries()].sort(([a], [b]) => a - b).map(([time, rs]) => ({ time, value: reduce(q.fn, rs.map((r) => r.value)) })),
    }));
}
