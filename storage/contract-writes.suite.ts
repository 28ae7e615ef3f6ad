/**
 * The storage contract's writes, raw reads and lifecycle (storage/contract.suite.ts registers them for each
 * adapter). Expected values are literal, worked out by hand in the comments.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { StorageError, type Storage, type StoredPoint } from './port.ts';

/** What the contract's parts share: the store under test and its helpers. */
export interface ContractContext {
  /** the store opened for the suite */
  store(): Storage;
  /** another handle on the same backing store */
  open(): Promise<Storage>;
  /** a measurement no other test uses */
  fresh(base: string): string;
  /** write and flush */
  put(points: StoredPoint[]): Promise<void>;
}

const H = 3_600_000;
const D = 24 * H;
/** 2025-01-01 00:00 Asia/Shanghai (UTC+8) = 2024-12-31T16:00Z = 1735660800000 ms */
const SH_DAY0 = Date.UTC(2024, 11, 31, 16);
const SH_DAY = { every_ms: D, offset_ms: -8 * H };

/** Register the writes, raw and lifecycle tests. */
export function writeContract(ctx: ContractContext): void {
  const { fresh, put } = ctx;
  let store: Storage;
  beforeAll(() => {
    store = ctx.store();
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
      // Written by hand from the line protocol reference (https://docs.influxdata.com/influxdb/v1.8/write_protocols/line_protocol_reference/#special-characters):
      // measurement: comma and space escaped; tag keys and values, field keys: comma, equals sign and space;
      // string field values: double quote and backslash. SH_DAY0 = 1735660800000 ms.
      const mm = 'lines m,eas "q" 节能';
      const tags = { 'k e,y="1"': 'a "b" \'c\' d\\e, f=g  h', 楼宇: '第8号楼 会堂' };
      const first: StoredPoint = { measurement: mm, tags, fields: { e: 1.25, flag: true, note: 'str "q" \\ 节能' }, time: SH_DAY0 };
      const second: StoredPoint = { measurement: mm, tags: { 楼宇: 'x' }, fields: { e: -0.5 }, time: SH_DAY0 + 1 };
      const series = 'lines\\ m\\,eas\\ "q"\\ 节能,k\\ e\\,y\\="1"=a\\ "b"\\ \'c\'\\ d\\e\\,\\ f\\=g\\ \\ h,楼宇=第8号楼\\ 会堂';
      await store.writeLines(`${series} e=9 1735660800000\n${series} e=1.25,flag=true,note="str \\"q\\" \\\\ 节能" 1735660800000\n`);
      await store.writeLines(Buffer.from('lines\\ m\\,eas\\ "q"\\ 节能,楼宇=x e=-0.5 1735660800001\n'));
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
      const other = await ctx.open();
      await other.write(Array.from({ length: 12_345 }, (_, i) => ({ measurement: mm, tags: { meter: `m${i % 7}` }, fields: { e: 1 }, time: SH_DAY0 + i * 1000 })));
      await other.close();
      expect((await other.health()).ok).toBe(false);
      expect(await store.aggregate({ measurement: mm, field: 'e', fn: 'count', from: SH_DAY0, to: SH_DAY0 + D })).toEqual([{ tags: {}, points: [{ time: SH_DAY0, value: 12_345 }] }]);
      await expect(other.write([{ measurement: mm, tags: {}, fields: { e: 1 }, time: SH_DAY0 }])).rejects.toBeInstanceOf(StorageError);
    });
  });
}
