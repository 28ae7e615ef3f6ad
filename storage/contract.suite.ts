/**
 * The one contract every Storage adapter passes (in the manner of aedes' abstract persistence tests): the
 * embedded store runs it in embedded/embedded.test.ts, InfluxDB 1.6.7 in influx/influx.test.ts. Expected
 * values are worked out by hand in the comments, or by a brute-force reference over the same points, so two
 * adapters that pass give identical answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError, type AggregateFn, type AggregateQuery, type AggregateSeries, type Storage, type StoredPoint } from './port.ts';
import { matchesFilter, storedTags } from './series-key.ts';
import { toLine } from './line-protocol.ts';
import { roundAggregate, windowStartMs } from './windows.ts';

/** How the suite gets stores: each call opens another handle on the same backing store (file, database). */
export interface ContractTarget {
  open(): Promise<Storage>;
}

const H = 3_600_000;
const D = 24 * H;
/** 2025-01-01 00:00 Asia/Shanghai (UTC+8) = 2024-12-31T16:00Z */
const SH_DAY0 = Date.UTC(2024, 11, 31, 16);
const SH_DAY = { every_ms: D, offset_ms: -8 * H };

/** Brute-force reference: what any correct adapter answers. */
export function referenceAggregate(points: StoredPoint[], q: AggregateQuery): AggregateSeries[] {
  const groups = new Map<string, { tags: Record<string, string>; rows: { time: number; value: number }[] }>();
  const groupBy = [...new Set(q.group_by ?? [])].sort();
  // last write wins per series, field and time
  const latest = new Map<string, { tags: Record<string, string>; time: number; value: number }>();
  for (const p of points) {
    const v = p.fields[q.field];
    if (p.measurement !== q.measurement || typeof v !== 'number') continue;
    const tags = storedTags(p.tags);
    latest.set(`${JSON.stringify(Object.entries(tags))}@${p.time}`, { tags, time: p.time, value: v });
  }
  for (const r of latest.values()) {
    if (r.time < q.from || r.time >= q.to || !matchesFilter(r.tags, q.where)) continue;
    const tags: Record<string, string> = {};
    for (const k of groupBy) tags[k] = r.tags[k] ?? '';
    const key = JSON.stringify(tags);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { tags, rows: [] }));
    g.rows.push(r);
  }
  const out: AggregateSeries[] = [];
  for (const g of groups.values()) {
    const windows = new Map<number, { time: number; value: number }[]>();
    for (const r of g.rows.sort((a, b) => a.time - b.time)) {
      const w = q.every_ms === undefined ? q.from : windowStartMs(r.time, q.every_ms, q.offset_ms ?? 0);
      if (!windows.has(w)) windows.set(w, []);
      windows.get(w)!.push(r);
    }
    const pts = [...windows.entries()].sort((a, b) => a[0] - b[0]).map(([time, rows]) => ({ time, value: reduce(q.fn, rows.map((r) => r.value)) }));
    out.push({ tags: g.tags, points: pts });
  }
  return out.sort((a, b) => (JSON.stringify(groupBy.map((k) => a.tags[k])) < JSON.stringify(groupBy.map((k) => b.tags[k])) ? -1 : 1));
}

function reduce(fn: AggregateFn, v: number[]): number {
  const sum = v.reduce((s, x) => s + x, 0);
  switch (fn) {
    case 'sum': return roundAggregate(sum);
    case 'mean': return roundAggregate(sum / v.length);
    case 'count': return v.length;
    case 'min': return Math.min(...v);
    case 'max': return Math.max(...v);
    case 'first': return v[0];
    case 'last': return v[v.length - 1];
  }
}

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Register the contract tests for one adapter. */
export function storageContract(name: string, target: ContractTarget): void {
  describe(`Storage contract: ${name}`, () => {
    let store: Storage;
    let n = 0;
    /** a measurement no other test uses, so tests share one store without seeing each other's rows */
    const fresh = (base: string): string => `${base}_${++n}`;
    const put = async (points: StoredPoint[]): Promise<void> => {
      await store.write(points);
      await store.flush();
    };

    beforeAll(async () => {
      store = await target.open();
    });
    afterAll(async () => {
      await store?.close();
    });

    describe('aggregate', () => {
      // Meter a: 1, 2, 3 kWh at 00:00, 00:15, 00:30 UTC day 1; 4 at 00:00 day 2. Meter b: 10 at 00:15 day 1.
      const m = 'agg_fns';
      const t1 = Date.UTC(2025, 2, 1);
      beforeAll(async () => {
        await put([
          { measurement: m, tags: { meter: 'a', building: 'x' }, fields: { e: 1 }, time: t1 },
          { measurement: m, tags: { meter: 'a', building: 'x' }, fields: { e: 2 }, time: t1 + 15 * 60_000 },
          { measurement: m, tags: { meter: 'a', building: 'x' }, fields: { e: 3 }, time: t1 + 30 * 60_000 },
          { measurement: m, tags: { meter: 'a', building: 'x' }, fields: { e: 4 }, time: t1 + D },
          { measurement: m, tags: { meter: 'b', building: 'x' }, fields: { e: 10 }, time: t1 + 15 * 60_000 },
        ]);
      });
      const q = (fn: AggregateFn): AggregateQuery => ({ measurement: m, field: 'e', fn, from: t1, to: t1 + 2 * D, every_ms: D, group_by: ['meter'] });
      const cases: [AggregateFn, number[], number[]][] = [
        // fn, meter a day 1 / day 2, meter b day 1
        ['sum', [6, 4], [10]],
        ['mean', [2, 4], [10]],
        ['min', [1, 4], [10]],
        ['max', [3, 4], [10]],
        ['first', [1, 4], [10]],
        ['last', [3, 4], [10]],
        ['count', [3, 1], [1]],
      ];
      it.each(cases)('%s per UTC day and meter', async (fn, a, b) => {
        expect(await store.aggregate(q(fn))).toEqual([
          { tags: { meter: 'a' }, points: [{ time: t1, value: a[0] }, { time: t1 + D, value: a[1] }] },
          { tags: { meter: 'b' }, points: [{ time: t1, value: b[0] }] },
        ]);
      });

      it('without every_ms gives one value stamped with the range start', async () => {
        // 1+2+3+4+10 = 20; last is meter a's 4 (day 2), stamped `from`, not the point's time
        const from = t1 - 5;
        expect(await store.aggregate({ measurement: m, field: 'e', fn: 'sum', from, to: t1 + 2 * D })).toEqual([{ tags: {}, points: [{ time: from, value: 20 }] }]);
        expect(await store.aggregate({ measurement: m, field: 'e', fn: 'last', from, to: t1 + 2 * D })).toEqual([{ tags: {}, points: [{ time: from, value: 4 }] }]);
      });

      it('counts from inclusive and to exclusive', async () => {
        // [00:15, 00:30) holds a's 2 and b's 10
        expect(await store.aggregate({ measurement: m, field: 'e', fn: 'sum', from: t1 + 15 * 60_000, to: t1 + 30 * 60_000 }))
          .toEqual([{ tags: {}, points: [{ time: t1 + 15 * 60_000, value: 12 }] }]);
      });

      it('filters by one tag value, several, or none', async () => {
        const base = { measurement: m, field: 'e', fn: 'sum' as const, from: t1, to: t1 + 2 * D };
        expect(await store.aggregate({ ...base, where: { meter: 'b' } })).toEqual([{ tags: {}, points: [{ time: t1, value: 10 }] }]);
        expect(await store.aggregate({ ...base, where: { meter: ['a', 'b', 'zzz'] } })).toEqual([{ tags: {}, points: [{ time: t1, value: 20 }] }]);
        expect(await store.aggregate({ ...base, where: { meter: [] } })).toEqual([]);
        expect(await store.aggregate({ ...base, where: { meter: 'nobody' } })).toEqual([]);
        expect(await store.aggregate({ ...base, where: { building: 'x', meter: 'a' }, every_ms: D })).toEqual([
          { tags: {}, points: [{ time: t1, value: 6 }, { time: t1 + D, value: 4 }] },
        ]);
      });

      it('groups by several tags, a missing tag grouping as empty', async () => {
        const mm = fresh('grp');
        await put([
          { measurement: mm, tags: { meter: 'a', building: 'x' }, fields: { e: 1 }, time: t1 },
          { measurement: mm, tags: { meter: 'b', building: 'x' }, fields: { e: 2 }, time: t1 },
          { measurement: mm, tags: { meter: 'c', building: 'y' }, fields: { e: 4 }, time: t1 },
          { measurement: mm, tags: { meter: 'd' }, fields: { e: 8 }, time: t1 },
        ]);
        expect(await store.aggregate({ measurement: mm, field: 'e', fn: 'sum', from: t1, to: t1 + 1, group_by: ['building'] })).toEqual([
          { tags: { building: '' }, points: [{ time: t1, value: 8 }] },
          { tags: { building: 'x' }, points: [{ time: t1, value: 3 }] },
          { tags: { building: 'y' }, points: [{ time: t1, value: 4 }] },
        ]);
      });

      it('answers nothing for an unknown measurement or field, or an empty range', async () => {
        expect(await store.aggregate({ measurement: 'no_such_measurement', field: 'e', fn: 'sum', from: t1, to: t1 + D })).toEqual([]);
        expect(await store.aggregate({ measurement: m, field: 'no_such_field', fn: 'sum', from: t1, to: t1 + D })).toEqual([]);
        expect(await store.aggregate({ measurement: m, field: 'e', fn: 'sum', from: t1 + D, to: t1 + D })).toEqual([]);
      });
    });

    describe('windows', () => {
      it('puts Asia/Shanghai days at local midnight with every 1 d, offset −8 h', async () => {
        const mm = fresh('sh_days');
        // 23:45 local on Jan 1 belongs to Jan 1; 00:00 local Jan 2 to Jan 2 (= 16:00Z Jan 1)
        await put([
          { measurement: mm, tags: { meter: 'a' }, fields: { e: 1.5 }, time: SH_DAY0 + 23.75 * H },
          { measurement: mm, tags: { meter: 'a' }, fields: { e: 2.5 }, time: SH_DAY0 + D },
          { measurement: mm, tags: { meter: 'a' }, fields: { e: 0.5 }, time: SH_DAY0 + 8 * H }, // 08:00 local = 00:00Z, Jan 1
        ]);
        expect(await store.aggregate({ measurement: mm, field: 'e', fn: 'sum', from: SH_DAY0, to: SH_DAY0 + 2 * D, ...SH_DAY })).toEqual([
          { tags: {}, points: [{ time: SH_DAY0, value: 2 }, { time: SH_DAY0 + D, value: 2.5 }] },
        ]);
        // the same offset written as +16 h is the same grid
        expect(await store.aggregate({ measurement: mm, field: 'e', fn: 'sum', from: SH_DAY0, to: SH_DAY0 + 2 * D, every_ms: D, offset_ms: 16 * H }))
          .toEqual(await store.aggregate({ measurement: mm, field: 'e', fn: 'sum', from: SH_DAY0, to: SH_DAY0 + 2 * D, ...SH_DAY }));
      });

      it('stamps a window by its aligned start when the range begins inside it, counting only rows in range', async () => {
        const mm = fresh('unaligned');
        const pts: StoredPoint[] = [];
        // one row per 15 min for 3 local days, each 0.25 kWh: a full day is 24 kWh
        for (let i = 0; i < 3 * 96; i++) pts.push({ measurement: mm, tags: { meter: 'a' }, fields: { e: 0.25 }, time: SH_DAY0 + i * 15 * 60_000 });
        await put(pts);
        // from 06:00:00.005 local day 1 to 17:59:59.999 local day 3:
        // day 1: rows 06:15 … 23:45 = 71 rows = 17.75; day 2: 24; day 3: rows 00:00 … 17:45 = 72 rows = 18
        const from = SH_DAY0 + 6 * H + 5, to = SH_DAY0 + 2 * D + 18 * H - 1;
        expect(await store.aggregate({ measurement: mm, field: 'e', fn: 'sum', from, to, ...SH_DAY })).toEqual([
          { tags: {}, points: [{ time: SH_DAY0, value: 17.75 }, { time: SH_DAY0 + D, value: 24 }, { time: SH_DAY0 + 2 * D, value: 18 }] },
        ]);
        expect(await store.aggregate({ measurement: mm, field: 'e', fn: 'count', from, to, every_ms: 6 * H })).toEqual([
          { tags: {}, points: [
            // 6-hour UTC windows; SH_DAY0 is 16:00Z so windows start at 00/06/12/18Z. from = 22:00Z + 5 ms, in [18Z, 24Z)
            { time: SH_DAY0 + 2 * H, value: 7 },
            // nine full windows: 00Z Jan 1 (SH_DAY0 + 8 h) … 18Z Jan 2 (SH_DAY0 + 56 h)
            ...Array.from({ length: 9 }, (_, k) => ({ time: SH_DAY0 + 8 * H + k * 6 * H, value: 24 })),
            // to = 09:59:59.999Z Jan 3 (SH_DAY0 + 66 h − 1 ms): window 06Z (SH_DAY0 + 62 h) holds 06:00 … 09:45 = 16 rows
            { time: SH_DAY0 + 62 * H, value: 16 },
          ] },
        ]);
      });

      it('leaves empty windows out instead of giving zeros', async () => {
        const mm = fresh('gaps');
        await put([
          { measurement: mm, tags: { meter: 'a' }, fields: { e: 1 }, time: SH_DAY0 + H },
          { measurement: mm, tags: { meter: 'a' }, fields: { e: 0 }, time: SH_DAY0 + 3 * D + H },
        ]);
        expect(await store.aggregate({ measurement: mm, field: 'e', fn: 'sum', from: SH_DAY0, to: SH_DAY0 + 5 * D, ...SH_DAY })).toEqual([
          // a real zero stays; days 2, 3 and 5 have no rows and are absent
          { tags: {}, points: [{ time: SH_DAY0, value: 1 }, { time: SH_DAY0 + 3 * D, value: 0 }] },
        ]);
      });

      it('agrees with the brute-force reference on random data, windows, offsets and ranges', async () => {
        const mm = fresh('random');
        const rand = rng(20250301);
        const pts: StoredPoint[] = [];
        const start = SH_DAY0 - 3 * D;
        for (let i = 0; i < 1500; i++) {
          const meter = `m${Math.floor(rand() * 5)}`;
          pts.push({
            measurement: mm, tags: { meter, building: meter < 'm2' ? 'b1' : 'b2' },
            fields: { e: Math.round(rand() * 100_000) / 1000 - 20 },
            // quarter hours over 10 days, so rewrites of the same instant happen; each meter a second apart
            // so that first/last never face a tie between series (which one wins a tie is unspecified)
            time: start + Math.floor(rand() * 960) * 15 * 60_000 + Number(meter.slice(1)) * 1000,
          });
        }
        await put(pts.slice(0, 700));
        await put(pts.slice(700));
        const queries: AggregateQuery[] = [];
        const fns: AggregateFn[] = ['sum', 'mean', 'min', 'max', 'first', 'last', 'count'];
        const grids = [{ every_ms: D, offset_ms: -8 * H }, { every_ms: H }, { every_ms: 15 * 60_000 }, { every_ms: 2 * D, offset_ms: 5 * H }, {}];
        for (const grid of grids) {
          for (const fn of fns) {
            const from = start + Math.floor(rand() * 2 * D), to = from + Math.floor(rand() * 7 * D) + H;
            queries.push({ measurement: mm, field: 'e', fn, from, to, ...grid, group_by: rand() < 0.5 ? ['building'] : undefined, where: rand() < 0.3 ? { meter: ['m0', 'm3'] } : undefined });
          }
        }
        for (const q of queries) expect(await store.aggregate(q), JSON.stringify(q)).toEqual(referenceAggregate(pts, q));
      });
    });

    describe('writes', () => {
      it('keeps one row per series and time: last write wins per field', async () => {
        const mm = fresh('rewrite');
        const t = SH_DAY0 + H;
        await put([{ measurement: mm, tags: { meter: 'a', building: 'x' }, fields: { e: 1, estimated: 1 }, time: t }]);
        // same series (tags in another order), same time: e replaced, estimated kept
        await put([{ measurement: mm, tags: { building: 'x', meter: 'a' }, fields: { e: 5 }, time: t }]);
        await put([{ measurement: mm, tags: { meter: 'a', building: 'x' }, fields: { e: 7 }, time: t + 1 }]);
        expect(await store.aggregate({ measurement: mm, field: 'e', fn: 'sum', from: SH_DAY0, to: SH_DAY0 + D, ...SH_DAY })).toEqual([{ tags: {}, points: [{ time: SH_DAY0, value: 12 }] }]);
        expect(await store.aggregate({ measurement: mm, field: 'e', fn: 'count', from: SH_DAY0, to: SH_DAY0 + D })).toEqual([{ tags: {}, points: [{ time: SH_DAY0, value: 2 }] }]);
        expect(await store.aggregate({ measurement: mm, field: 'e', fn: 'max', from: SH_DAY0, to: SH_DAY0 + D, ...SH_DAY })).toEqual([{ tags: {}, points: [{ time: SH_DAY0, value: 7 }] }]);
        // rewriting down: the old maximum must not survive in any rollup
        await put([{ measurement: mm, tags: { meter: 'a', building: 'x' }, fields: { e: 2 }, time: t + 1 }]);
        expect(await store.aggregate({ measurement: mm, field: 'e', fn: 'max', from: SH_DAY0, to: SH_DAY0 + D, ...SH_DAY })).toEqual([{ tags: {}, points: [{ time: SH_DAY0, value: 5 }] }]);
        expect(await store.raw({ measurement: mm, from: SH_DAY0, to: SH_DAY0 + D })).toEqual([
          { measurement: mm, tags: { building: 'x', meter: 'a' }, fields: { e: 5, estimated: 1 }, time: t },
          { measurement: mm, tags: { building: 'x', meter: 'a' }, fields: { e: 2 }, time: t + 1 },
        ]);
      });

      it('sums decimals without float noise and stores numbers exactly', async () => {
        const mm = fresh('exact');
        const values = [0.1, 0.2, 1e-7, 123456789.123456, -0.5, 2 ** 53 - 1, 1.7976931348623157e308 / 1e300, 299792.458];
        await put(values.map((v, i) => ({ measurement: mm, tags: { meter: 'a' }, fields: { e: v }, time: SH_DAY0 + i * 1000 })));
        // 0.1 + 0.2 in float64 is 0.30000000000000004; the port answers 0.3
        expect(await store.aggregate({ measurement: mm, field: 'e', fn: 'sum', from: SH_DAY0, to: SH_DAY0 + 2000 })).toEqual([{ tags: {}, points: [{ time: SH_DAY0, value: 0.3 }] }]);
        const tenths = fresh('tenths');
        await put(Array.from({ length: 10 }, (_, i) => ({ measurement: tenths, tags: {}, fields: { e: 0.1 }, time: SH_DAY0 + i })));
        expect(await store.aggregate({ measurement: tenths, field: 'e', fn: 'sum', from: SH_DAY0, to: SH_DAY0 + D, ...SH_DAY })).toEqual([{ tags: {}, points: [{ time: SH_DAY0, value: 1 }] }]);
        expect(await store.aggregate({ measurement: tenths, field: 'e', fn: 'mean', from: SH_DAY0, to: SH_DAY0 + D })).toEqual([{ tags: {}, points: [{ time: SH_DAY0, value: 0.1 }] }]);
        const raw = await store.raw({ measurement: mm, from: SH_DAY0, to: SH_DAY0 + D });
        expect(raw.map((p) => p.fields.e)).toEqual(values);
      });

      it('round-trips tags, measurements and fields with quotes, spaces, backslashes, commas and Unicode', async () => {
        const mm = fresh('awkward m,eas "q" \'s\' C:\\dir 节能');
        const tags = { 'k e,y="1"': 'a "b" \'c\' d\\e, f=g  h', 楼宇: '第8号楼 会堂 😀', "o'k": "'; DROP MEASUREMENT x; --" };
        const fields = { 'f "x",y=z': 1.25, flag: true, note: 'str "q" \\ back \'s\' 节能' };
        await put([{ measurement: mm, tags, fields, time: SH_DAY0 }]);
        expect(await store.raw({ measurement: mm, from: SH_DAY0, to: SH_DAY0 + 1 })).toEqual([{ measurement: mm, tags, fields, time: SH_DAY0 }]);
        for (const [k, v] of Object.entries(tags)) {
          expect(await store.aggregate({ measurement: mm, field: 'f "x",y=z', fn: 'sum', from: SH_DAY0, to: SH_DAY0 + 1, where: { [k]: v }, group_by: [k] }))
            .toEqual([{ tags: { [k]: v }, points: [{ time: SH_DAY0, value: 1.25 }] }]);
          expect(await store.aggregate({ measurement: mm, field: 'f "x",y=z', fn: 'sum', from: SH_DAY0, to: SH_DAY0 + 1, where: { [k]: `${v}x` } })).toEqual([]);
        }
      });

      it('stores line protocol (writeLines, text or UTF-8 bytes) as write stores the points, later lines winning', async () => {
        const mm = fresh('lines m,eas "q" 节能');
        const tags = { 'k e,y="1"': 'a "b" \'c\' d\\e, f=g  h', 楼宇: '第8号楼 会堂' };
        const first: StoredPoint = { measurement: mm, tags, fields: { e: 1.25, flag: true, note: 'str "q" \\ 节能' }, time: SH_DAY0 };
        const second: StoredPoint = { measurement: mm, tags: { 楼宇: 'x' }, fields: { e: -0.5 }, time: SH_DAY0 + 1 };
        await store.writeLines(`${toLine({ ...first, fields: { e: 9 } })}\n${toLine(first)}\n`);
        await store.writeLines(Buffer.from(`${toLine(second)}\n`));
        await store.flush();
        expect(await store.raw({ measurement: mm, from: SH_DAY0, to: SH_DAY0 + 2 })).toEqual([first, second]);
      });

      it('rejects text that is not line protocol with a non-retryable StorageError', async () => {
        const err = await (async () => {
          await store.writeLines('not line protocol\n');
          await store.flush();
        })().then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(StorageError);
        expect((err as StorageError).retryable).toBe(false);
        await store.flush(); // the store is usable afterwards
      });

      it('rejects malformed points with a non-retryable StorageError', async () => {
        const bad: StoredPoint[][] = [
          [{ measurement: 'x', tags: {}, fields: { e: Number.NaN }, time: SH_DAY0 }],
          [{ measurement: 'x', tags: {}, fields: { e: Infinity }, time: SH_DAY0 }],
          [{ measurement: 'x', tags: {}, fields: {}, time: SH_DAY0 }],
          [{ measurement: '', tags: {}, fields: { e: 1 }, time: SH_DAY0 }],
          [{ measurement: 'x', tags: {}, fields: { e: 1 }, time: 1.5 }],
          [{ measurement: 'x', tags: { k: 'line\nbreak' }, fields: { e: 1 }, time: SH_DAY0 }],
          [{ measurement: 'x', tags: { k: 'ends with \\' }, fields: { e: 1 }, time: SH_DAY0 }],
        ];
        for (const points of bad) {
          const err = await store.write(points).then(() => undefined, (e: unknown) => e);
          expect(err, JSON.stringify(points)).toBeInstanceOf(StorageError);
          expect((err as StorageError).retryable).toBe(false);
        }
        await store.flush();
      });
    });

    describe('raw', () => {
      it('lists rows in time order, then by series, merged per series and time, up to a limit', async () => {
        const mm = fresh('raw');
        const t = SH_DAY0;
        await put([
          { measurement: mm, tags: { meter: 'b' }, fields: { e: 2 }, time: t + 2000 },
          { measurement: mm, tags: { meter: 'a' }, fields: { e: 1, ok: true, note: 'x' }, time: t + 1000 },
          { measurement: mm, tags: { meter: 'b' }, fields: { e: 3 }, time: t + 1000 },
          { measurement: mm, tags: { meter: 'a' }, fields: { e: 4 }, time: t + 3000 },
          { measurement: mm, tags: { meter: 'a' }, fields: { e: 9 }, time: t + 9000 },
        ]);
        const all = await store.raw({ measurement: mm, from: t, to: t + 9000 });
        expect(all).toEqual([
          { measurement: mm, tags: { meter: 'a' }, fields: { e: 1, ok: true, note: 'x' }, time: t + 1000 },
          { measurement: mm, tags: { meter: 'b' }, fields: { e: 3 }, time: t + 1000 },
          { measurement: mm, tags: { meter: 'b' }, fields: { e: 2 }, time: t + 2000 },
          { measurement: mm, tags: { meter: 'a' }, fields: { e: 4 }, time: t + 3000 },
        ]);
        expect(await store.raw({ measurement: mm, from: t, to: t + 9000, limit: 3 })).toEqual(all.slice(0, 3));
        expect(await store.raw({ measurement: mm, from: t, to: t + 9001, where: { meter: ['a'] }, limit: 2 })).toEqual([all[0], all[3]]);
        expect(await store.raw({ measurement: mm, from: t, to: t + 9001, where: { meter: 'zzz' } })).toEqual([]);
        expect(await store.raw({ measurement: 'no_such_measurement', from: t, to: t + 9001 })).toEqual([]);
        expect(await store.raw({ measurement: mm, from: t, to: t + 9001, limit: 0 })).toEqual([]);
        await expect(store.raw({ measurement: mm, from: t, to: t + 9001, limit: -1 })).rejects.toMatchObject({ retryable: false });
      });
    });

    describe('lifecycle', () => {
      it('reports health', async () => {
        const h = await store.health();
        expect(h.ok).toBe(true);
        expect(h.kind).toBe(store.kind);
        expect(h.detail).toBeTruthy();
      });

      it('close() writes what was queued but not flushed', async () => {
        const mm = fresh('close');
        const other = await target.open();
        await other.write(Array.from({ length: 12_345 }, (_, i) => ({ measurement: mm, tags: { meter: `m${i % 7}` }, fields: { e: 1 }, time: SH_DAY0 + i * 1000 })));
        await other.close();
        expect((await other.health()).ok).toBe(false);
        expect(await store.aggregate({ measurement: mm, field: 'e', fn: 'count', from: SH_DAY0, to: SH_DAY0 + D })).toEqual([{ tags: {}, points: [{ time: SH_DAY0, value: 12_345 }] }]);
        await expect(other.write([{ measurement: mm, tags: {}, fields: { e: 1 }, time: SH_DAY0 }])).rejects.toBeInstanceOf(StorageError);
      });
    });
  });
}
