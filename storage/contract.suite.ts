/**
 * The one contract every Storage adapter passes (in the manner of aedes' abstract persistence tests): the
 * embedded store runs it in embedded/embedded.test.ts, InfluxDB 1.6.7 in influx/influx.test.ts. Expected
 * values are literal numbers worked out by hand in the comments; one test on random data compares with a
 * brute-force reference (contract-reference.ts). Nothing here imports an adapter's helpers (windows,
 * rounding, tags, line protocol), so a helper that is wrong cannot make its own expectation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AggregateFn, type AggregateQuery, type Storage, type StoredPoint } from './port.ts';
import { referenceAggregate } from './contract-reference.ts';
import { writeContract } from './contract-writes.suite.ts';

/** How the suite gets stores: each call opens another handle on the same backing store (file, database). */
export interface ContractTarget {
  open(): Promise<Storage>;
}

const H = 3_600_000;
const D = 24 * H;
/** 2025-01-01 00:00 Asia/Shanghai (UTC+8) = 2024-12-31T16:00Z */
const SH_DAY0 = Date.UTC(2024, 11, 31, 16);
const SH_DAY = { every_ms: D, offset_ms: -8 * H };

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

      it('puts 2-day windows on the epoch grid shifted by the offset, any multiple of 2 days apart', async () => {
        const mm = fresh('two_days');
        // 2025-01-02 is day 20 090 since the epoch (even), so 2-day windows with offset +5 h start at
        // 2024-12-31T05Z, 2025-01-02T05Z and 2025-01-04T05Z.
        await put([
          { measurement: mm, tags: { meter: 'a' }, fields: { e: 1 }, time: Date.UTC(2025, 0, 2, 4, 59, 59, 999) },
          { measurement: mm, tags: { meter: 'a' }, fields: { e: 2 }, time: Date.UTC(2025, 0, 2, 5) },
          { measurement: mm, tags: { meter: 'a' }, fields: { e: 4 }, time: Date.UTC(2025, 0, 3, 23) },
          { measurement: mm, tags: { meter: 'a' }, fields: { e: 8 }, time: Date.UTC(2025, 0, 4, 5) },
        ]);
        const expected = [{ tags: {}, points: [
          { time: Date.UTC(2024, 11, 31, 5), value: 1 }, { time: Date.UTC(2025, 0, 2, 5), value: 6 }, { time: Date.UTC(2025, 0, 4, 5), value: 8 },
        ] }];
        // +5 h, −43 h (5 h − 2 d) and +149 h (5 h + 6 d) are the same grid
        for (const offset_ms of [5 * H, -43 * H, 149 * H]) {
          expect(await store.aggregate({ measurement: mm, field: 'e', fn: 'sum', from: Date.UTC(2025, 0, 1), to: Date.UTC(2025, 0, 5), every_ms: 2 * D, offset_ms }), String(offset_ms)).toEqual(expected);
        }
      });

      it('rounds an hourly mean and sum to 15 significant digits', async () => {
        const mm = fresh('hour_mean');
        const t = Date.UTC(2025, 0, 2, 10);
        await put([0.1, 0.2, 0.4].map((e, i) => ({ measurement: mm, tags: {}, fields: { e }, time: t + i * 20 * 60_000 })));
        await put([{ measurement: mm, tags: {}, fields: { e: 0.05 }, time: t + H }]);
        // float64: 0.1 + 0.2 + 0.4 = 0.7000000000000001, / 3 = 0.23333333333333336; to 15 digits 0.7 and 0.233333333333333
        expect(await store.aggregate({ measurement: mm, field: 'e', fn: 'mean', from: t, to: t + 2 * H, every_ms: H })).toEqual([
          { tags: {}, points: [{ time: t, value: 0.233333333333333 }, { time: t + H, value: 0.05 }] },
        ]);
        expect(await store.aggregate({ measurement: mm, field: 'e', fn: 'sum', from: t, to: t + 2 * H, every_ms: H })).toEqual([
          { tags: {}, points: [{ time: t, value: 0.7 }, { time: t + H, value: 0.05 }] },
        ]);
      });

      it('takes first and last in time order across the series of a group', async () => {
        const mm = fresh('first_last');
        const t = Date.UTC(2025, 0, 2);
        await put([
          { measurement: mm, tags: { meter: 'a', building: 'x' }, fields: { e: 10 }, time: t + H },
          { measurement: mm, tags: { meter: 'a', building: 'x' }, fields: { e: 11 }, time: t + 2 * H },
          { measurement: mm, tags: { meter: 'b', building: 'x' }, fields: { e: 20 }, time: t + 0.5 * H },
          { measurement: mm, tags: { meter: 'b', building: 'x' }, fields: { e: 21 }, time: t + 3 * H },
          { measurement: mm, tags: { meter: 'c', building: 'y' }, fields: { e: 30 }, time: t + H },
        ]);
        const q = { measurement: mm, field: 'e', from: t, to: t + 4 * H, group_by: ['building'], where: { meter: ['a', 'b'] } };
        // building x holds a and b: earliest is b's 20 at 00:30, latest b's 21 at 03:00; c (building y) is filtered out
        expect(await store.aggregate({ ...q, fn: 'first' })).toEqual([{ tags: { building: 'x' }, points: [{ time: t, value: 20 }] }]);
        expect(await store.aggregate({ ...q, fn: 'last' })).toEqual([{ tags: { building: 'x' }, points: [{ time: t, value: 21 }] }]);
        // per hour: [00, 01) b 20; [01, 02) a 10; [02, 03) a 11; [03, 04) b 21
        expect(await store.aggregate({ ...q, fn: 'last', every_ms: H })).toEqual([{ tags: { building: 'x' }, points: [
          { time: t, value: 20 }, { time: t + H, value: 10 }, { time: t + 2 * H, value: 11 }, { time: t + 3 * H, value: 21 },
        ] }]);
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

    writeContract({ store: () => store, open: () => target.open(), fresh, put });
  });
}
