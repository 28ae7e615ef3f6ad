/**
 * An in-memory Storage with the port's aggregate semantics, for unit tests of the routes only. The route
 * tests run against the real embedded store and real InfluxDB as well; this is never shipped as an adapter.
 */
import { parseLines } from '../../storage/line-protocol.ts';
import type { AggregateQuery, AggregateSeries, RawQuery, Storage, StorageHealth, StoredPoint } from '../../storage/port.ts';

const matches = (p: StoredPoint, where: AggregateQuery['where']) =>
  Object.entries(where ?? {}).every(([k, v]) => (Array.isArray(v) ? v.includes(p.tags[k] ?? '') : p.tags[k] === v));

/** Memory-backed Storage. */
export function memoryStorage(): Storage & { rows: StoredPoint[] } {
  const rows: StoredPoint[] = [];
  const key = (p: StoredPoint) => `${p.measurement}|${JSON.stringify(Object.entries(p.tags).sort())}|${p.time}`;
  const index = new Map<string, number>();
  return {
    kind: 'memory',
    rows,
    async write(points) {
      for (const p of points) {
        const k = key(p);
        const at = index.get(k);
        if (at === undefined) { index.set(k, rows.length); rows.push({ ...p, fields: { ...p.fields } }); } else Object.assign(rows[at].fields, p.fields);
      }
    },
    async writeLines(lines) {
      await this.write(parseLines(lines));
    },
    async flush() {},
    async aggregate(q: AggregateQuery): Promise<AggregateSeries[]> {
      const groups = new Map<string, { tags: Record<string, string>; windows: Map<number, number[]> }>();
      for (const p of rows) {
        if (p.measurement !== q.measurement || p.time < q.from || p.time >= q.to || !matches(p, q.where)) continue;
        const v = p.fields[q.field];
        if (typeof v !== 'number') continue;
        const tags = Object.fromEntries((q.group_by ?? []).map((t) => [t, p.tags[t] ?? '']));
        const gk = JSON.stringify(tags);
        let g = groups.get(gk);
        if (!g) groups.set(gk, (g = { tags, windows: new Map() }));
        const off = q.offset_ms ?? 0;
        const w = q.every_ms ? Math.floor((p.time - off) / q.every_ms) * q.every_ms + off : q.from;
        const list = g.windows.get(w) ?? [];
        list.push(v);
        g.windows.set(w, list);
      }
      const fn = (vs: number[]): number => {
        switch (q.fn) {
          case 'sum': return vs.reduce((a, b) => a + b, 0);
          case 'mean': return vs.reduce((a, b) => a + b, 0) / vs.length;
          case 'min': return Math.min(...vs);
          case 'max': return Math.max(...vs);
          case 'count': return vs.length;
          case 'first': return vs[0];
          case 'last': return vs[vs.length - 1];
        }
      };
      return [...groups.values()].map((g) => ({
        tags: g.tags,
        points: [...g.windows.entries()].sort((a, b) => a[0] - b[0]).map(([time, vs]) => ({ time, value: fn(vs) })),
      }));
    },
    async raw(q: RawQuery) {
      const out = rows.filter((p) => p.measurement === q.measurement && p.time >= q.from && p.time < q.to && matches(p, q.where)).sort((a, b) => a.time - b.time);
      return q.limit ? out.slice(0, q.limit) : out;
    },
    async health(): Promise<StorageHealth> { return { ok: true, kind: 'memory', detail: 'in process memory' }; },
    async close() {},
  };
}
