/**
 * Tier rollups of the embedded store: per numeric field, series and tier bucket, the partial aggregates
 * (count, sum, min, max, first, last) kept current at write time. A query whose windows are whole multiples
 * of a tier's buckets, on the same grid, reads the tier instead of raw rows: a year of 15-minute rows of
 * 100 meters summed per Shanghai day reads 36 500 day buckets instead of 3.5 million rows. Range edges not on
 * the tier grid are read from raw rows. New rows are added to their buckets incrementally; a rewritten row
 * (same series and time, new value) makes its buckets be recomputed from raw rows, since a min or max cannot
 * be taken back incrementally.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { AggregatePoint, AggregateQuery } from '../port.ts';
import { normalOffsetMs, roundAggregate, windowStartMs } from '../windows.ts';

/** One tier: buckets of `grain_ms` aligned to epoch + `offset_ms`. `id` names it in the table. */
export interface TierSpec {
  id: number;
  grain_ms: number;
  offset_ms: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * Days of UTC+8 (Asia/Shanghai, no DST since 1991: the demo site's calendar; GROUP BY time(1d, -8h)), which also
 * serve weeks and any whole number of days on that grid. An hour tier (`HOUR_TIER`) would serve long hourly
 * reads too, but every tier costs one more upsert per written row (the bench measured write throughput falling
 * to about a half with hours and days); 15-minute and hourly reads of a month read raw rows quickly enough.
 */
export const DEFAULT_TIERS: TierSpec[] = [dayTier(8 * HOUR_MS)];

/** Hours on the epoch grid: any whole-hour window in any whole-hour time zone. */
export const HOUR_TIER: TierSpec = { id: 1, grain_ms: HOUR_MS, offset_ms: 0 };

/** The day tier of a fixed UTC offset (Asia/Shanghai: +8 h); for a site elsewhere pass `tiers: [dayTier(offset)]`. */
export function dayTier(utcOffsetMs: number): TierSpec {
  return { id: 2, grain_ms: DAY_MS, offset_ms: -utcOffsetMs };
}

interface Partial {
  n: number;
  sum: number;
  min: number;
  max: number;
  firstTime: number;
  first: number;
  lastTime: number;
  last: number;
}

function merge(into: Partial, p: Partial): void {
  into.n += p.n;
  into.sum += p.sum;
  if (p.min < into.min) into.min = p.min;
  if (p.max > into.max) into.max = p.max;
  if (p.firstTime < into.firstTime) { into.firstTime = p.firstTime; into.first = p.first; }
  if (p.lastTime > into.lastTime) { into.lastTime = p.lastTime; into.last = p.last; }
}

const windowExpr = (col: string): string => `${col} - (((((${col}) - :o) % :e) + :e) % :e)`;

/** The tier bookkeeping of one store. */
export class Rollups {
  readonly tiers: TierSpec[];
  private readonly upsert: Statement;
  private readonly recompute: Statement;

  constructor(private readonly db: Database, tiers: TierSpec[]) {
    this.tiers = tiers.map((t) => ({ ...t, offset_ms: normalOffsetMs(t.grain_ms, t.offset_ms) })).sort((a, b) => b.grain_ms - a.grain_ms);
    this.upsert = db.prepare(`
      INSERT INTO rollup (tier, field_id, series_id, bucket, n, v_sum, v_min, v_max, first_time, first_v, last_time, last_v)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (tier, field_id, series_id, bucket) DO UPDATE SET
        n = n + excluded.n, v_sum = v_sum + excluded.v_sum,
        v_min = min(v_min, excluded.v_min), v_max = max(v_max, excluded.v_max),
        first_v = CASE WHEN excluded.first_time < first_time THEN excluded.first_v ELSE first_v END,
        first_time = min(first_time, excluded.first_time),
        last_v = CASE WHEN excluded.last_time > last_time THEN excluded.last_v ELSE last_v END,
        last_time = max(last_time, excluded.last_time)`);
    this.recompute = db.prepare(`
      INSERT OR REPLACE INTO rollup (tier, field_id, series_id, bucket, n, v_sum, v_min, v_max, first_time, first_v, last_time, last_v)
      SELECT :tier, g.field_id, g.series_id, g.b, g.n, g.s, g.mn, g.mx,
        g.ft, (SELECT value FROM point WHERE field_id = g.field_id AND series_id = g.series_id AND time = g.ft),
        g.lt, (SELECT value FROM point WHERE field_id = g.field_id AND series_id = g.series_id AND time = g.lt)
      FROM (SELECT field_id, series_id, ${windowExpr('time')} AS b, count(*) AS n, sum(value) AS s,
              min(value) AS mn, max(value) AS mx, min(time) AS ft, max(time) AS lt
            FROM point WHERE field_id = :f AND series_id = :s AND time >= :from AND time < :to
            GROUP BY b) AS g`);
    this.checkLayout();
  }

  /** Rebuild every tier when the configured tiers differ from those the file was built with. */
  private checkLayout(): void {
    const want = JSON.stringify(this.tiers);
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'tiers'").get() as { value: string } | undefined;
    if (row?.value === want) return;
    this.db.transaction(() => {
      this.db.exec('DELETE FROM rollup');
      const fields = this.db.prepare("SELECT id FROM field WHERE kind = 'number'").all() as { id: number }[];
      const seriesOf = this.db.prepare('SELECT DISTINCT series_id AS s FROM point WHERE field_id = ?');
      for (const { id } of fields) {
        for (const { s } of seriesOf.all(id) as { s: number }[]) {
          for (const t of this.tiers) this.recompute.run({ tier: t.id, f: id, s, o: BigInt(t.offset_ms), e: BigInt(t.grain_ms), from: BigInt(Number.MIN_SAFE_INTEGER), to: BigInt(Number.MAX_SAFE_INTEGER) });
        }
      }
      this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('tiers', ?)").run(want);
    })();
  }

  /** Collects one write batch's changes; `apply()` runs inside the batch's transaction. */
  batch(): RollupBatch {
    return new RollupBatch(this);
  }

  /** @internal */
  applyBatch(partials: Map<string, BucketPartial>, dirty: Map<string, BucketKey>): void {
    for (const k of dirty.values()) {
      this.recompute.run({ tier: k.tier.id, f: k.f, s: k.s, o: BigInt(k.tier.offset_ms), e: BigInt(k.tier.grain_ms), from: BigInt(k.b), to: BigInt(k.b + k.tier.grain_ms) });
    }
    for (const [key, p] of partials) {
      if (dirty.has(key)) continue;
      this.upsert.run(p.tier.id, p.f, p.s, BigInt(p.b), p.n, p.sum, p.min, p.max, BigInt(p.firstTime), p.first, BigInt(p.lastTime), p.last);
    }
  }
}

interface BucketKey {
  tier: TierSpec;
  f: number;
  s: number;
  b: number;
}
type BucketPartial = BucketKey & Partial;

/** The rollup changes of one write batch. */
export class RollupBatch {
  private readonly partials = new Map<string, BucketPartial>();
  private readonly dirty = new Map<string, BucketKey>();

  constructor(private readonly rollups: Rollups) {}

  /** A new numeric row. */
  added(fieldId: number, seriesId: number, time: number, value: number): void {
    for (const tier of this.rollups.tiers) {
      const b = windowStartMs(time, tier.grain_ms, tier.offset_ms);
      const key = `${tier.id}:${fieldId}:${seriesId}:${b}`;
      const p = this.partials.get(key);
      const one = { n: 1, sum: value, min: value, max: value, firstTime: time, first: value, lastTime: time, last: value };
      if (p) merge(p, one);
      else this.partials.set(key, { tier, f: fieldId, s: seriesId, b, ...one });
    }
  }

  /** A numeric row overwritten with a different value. */
  rewritten(fieldId: number, seriesId: number, time: number): void {
    for (const tier of this.rollups.tiers) {
      const b = windowStartMs(time, tier.grain_ms, tier.offset_ms);
      this.dirty.set(`${tier.id}:${fieldId}:${seriesId}:${b}`, { tier, f: fieldId, s: seriesId, b });
    }
  }

  /** Write the changes (inside the batch's transaction). */
  apply(): void {
    if (this.partials.size > 0 || this.dirty.size > 0) this.rollups.applyBatch(this.partials, this.dirty);
  }
}

const RAW_SQL = {
  stats: `SELECT ${windowExpr('time')} AS w, count(value), sum(value), min(value), max(value) FROM point`,
  first: `SELECT ${windowExpr('time')} AS w, count(value), value, min(time) FROM point`,
  last: `SELECT ${windowExpr('time')} AS w, count(value), value, max(time) FROM point`,
};
const TIER_SQL = {
  stats: `SELECT ${windowExpr('bucket')} AS w, sum(n), sum(v_sum), min(v_min), max(v_max) FROM rollup`,
  first: `SELECT ${windowExpr('bucket')} AS w, sum(n), first_v, min(first_time) FROM rollup`,
  last: `SELECT ${windowExpr('bucket')} AS w, sum(n), last_v, max(last_time) FROM rollup`,
};
const RAW_WHERE = ' WHERE field_id = :f AND series_id IN (SELECT value FROM json_each(:ids)) AND time >= :from AND time < :to GROUP BY w';
const TIER_WHERE = ' WHERE tier = :tier AND field_id = :f AND series_id IN (SELECT value FROM json_each(:ids)) AND bucket >= :from AND bucket < :to GROUP BY w';

type Shape = keyof typeof RAW_SQL;
const statements = new WeakMap<Database, Map<string, Statement>>();

function prepared(db: Database, sql: string): Statement {
  let m = statements.get(db);
  if (!m) statements.set(db, (m = new Map()));
  let s = m.get(sql);
  if (!s) m.set(sql, (s = db.prepare(sql).raw(true)));
  return s;
}

function collect(rows: unknown[][], shape: Shape, into: Map<number, Partial>): void {
  for (const r of rows) {
    const w = r[0] as number, n = r[1] as number;
    if (!n) continue;
    let p: Partial;
    if (shape === 'stats') p = { n, sum: r[2] as number, min: r[3] as number, max: r[4] as number, firstTime: Infinity, first: NaN, lastTime: -Infinity, last: NaN };
    else if (shape === 'first') p = { n, sum: 0, min: Infinity, max: -Infinity, firstTime: r[3] as number, first: r[2] as number, lastTime: -Infinity, last: NaN };
    else p = { n, sum: 0, min: Infinity, max: -Infinity, firstTime: Infinity, first: NaN, lastTime: r[3] as number, last: r[2] as number };
    const have = into.get(w);
    if (have) merge(have, p);
    else into.set(w, p);
  }
}

/**
 * One group's windows (only those holding data, in time order), from the coarsest tier on the query's grid
 * for the aligned middle of the range and from raw rows for the edges.
 */
export function aggregateGroup(db: Database, rollups: Rollups, fieldId: number, seriesIds: number[], q: AggregateQuery): AggregatePoint[] {
  // Without every_ms, one window [from, to): a grid of step (to − from) anchored at `from` gives exactly that.
  const every = q.every_ms ?? q.to - q.from;
  const offset = q.every_ms === undefined ? q.from : (q.offset_ms ?? 0);
  const o = normalOffsetMs(every, offset);
  const shape: Shape = q.fn === 'first' ? 'first' : q.fn === 'last' ? 'last' : 'stats';
  const params = { f: fieldId, ids: JSON.stringify(seriesIds), o: BigInt(o), e: BigInt(every) };
  const windows = new Map<number, Partial>();

  const tier = rollups.tiers.find((t) =>
    q.every_ms === undefined || (every % t.grain_ms === 0 && (o - t.offset_ms) % t.grain_ms === 0));
  let rawRanges: [number, number][] = [[q.from, q.to]];
  if (tier) {
    const a = windowStartMs(q.from - 1, tier.grain_ms, tier.offset_ms) + tier.grain_ms; // first bucket start ≥ from
    const b = windowStartMs(q.to, tier.grain_ms, tier.offset_ms); // last bucket start ≤ to
    if (a < b) {
      const rows = prepared(db, TIER_SQL[shape] + TIER_WHERE).all({ ...params, tier: tier.id, from: BigInt(a), to: BigInt(b) }) as unknown[][];
      collect(rows, shape, windows);
      rawRanges = [[q.from, a], [b, q.to]];
    }
  }
  for (const [from, to] of rawRanges) {
    if (from >= to) continue;
    const rows = prepared(db, RAW_SQL[shape] + RAW_WHERE).all({ ...params, from: BigInt(from), to: BigInt(to) }) as unknown[][];
    collect(rows, shape, windows);
  }

  return [...windows.entries()].sort((x, y) => x[0] - y[0]).map(([time, p]) => ({ time, value: finalValue(q.fn, p) }));
}

function finalValue(fn: AggregateQuery['fn'], p: Partial): number {
  switch (fn) {
    case 'sum': return roundAggregate(p.sum);
    case 'mean': return roundAggregate(p.sum / p.n);
    case 'count': return p.n;
    case 'min': return p.min;
    case 'max': return p.max;
    case 'first': return p.first;
    case 'last': return p.last;
  }
}
