/**
 * The embedded store (DESIGN D2): the Storage port on one SQLite file through better-sqlite3 12. Writes are
 * one transaction per batch of prepared upserts; aggregates are answered from the tier rollups where the
 * query's windows line up with a tier (rollups.ts) and from raw rows for the rest. See docs/storage.md.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database, { type Database as Db, type Statement } from 'better-sqlite3';
import {
  StorageError, type AggregateQuery, type AggregateSeries, type FieldValue, type RawQuery, type Storage,
  type StorageHealth, type StoredPoint,
} from '../port.ts';
import { checkPoints, compareRaw, fieldKind, filterIsEmpty, matchesFilter, storedTags, type FieldKind } from '../series-key.ts';
import { checkAggregateQuery } from '../windows.ts';
import { parseLines } from '../line-protocol.ts';
import { migrate } from './schema.ts';
import { aggregateGroup, Rollups, type TierSpec, DEFAULT_TIERS } from './rollups.ts';

/** Options of the embedded store. */
export interface EmbeddedOptions {
  /** the SQLite file; its directory is created if missing */
  path: string;
  /** rollup tiers (default: Asia/Shanghai days); see rollups.ts */
  tiers?: TierSpec[];
}

interface SeriesRow {
  id: number;
  tags: Record<string, string>;
}

/** Open (creating if needed) the embedded store at `opts.path`. */
export function openEmbeddedStorage(opts: EmbeddedOptions): EmbeddedStorage {
  return new EmbeddedStorage(opts);
}

/** The Storage port on SQLite. */
export class EmbeddedStorage implements Storage {
  readonly kind = 'embedded' as const;
  readonly path: string;
  private readonly db: Db;
  private readonly series = new Map<string, SeriesRow[]>();
  private readonly seriesIds = new Map<string, number>();
  private readonly fieldIds = new Map<string, number>();
  private readonly fieldsById = new Map<number, { name: string; kind: FieldKind }>();
  private readonly rollups: Rollups;
  private readonly stmt: {
    insertSeries: Statement<[string, string, string]>;
    insertField: Statement<[string, string, string]>;
    insertPoint: Statement<[number, number, bigint, FieldValue]>;
    updatePoint: Statement<[FieldValue, number, number, bigint, FieldValue]>;
  };
  private closed = false;
  private lastSeriesId = 0;
  private lastFieldId = 0;
  private dataVersion = -1;

  constructor(opts: EmbeddedOptions) {
    this.path = opts.path;
    try {
      if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
      this.db = new Database(opts.path);
      // WAL: readers (the API) never block the writer (the collector) and commits are one sequential append.
      this.db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a committed batch survives a process crash; only an OS crash may lose the last commits.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('cache_size = -65536');
      this.db.pragma('busy_timeout = 5000');
      migrate(this.db);
    } catch (err) {
      throw new StorageError(`embedded store ${opts.path}: ${(err as Error).message}`, false, undefined, { cause: err });
    }
    this.stmt = {
      insertSeries: this.db.prepare('INSERT INTO series (measurement, tag_key, tags) VALUES (?, ?, ?)'),
      insertField: this.db.prepare('INSERT INTO field (measurement, name, kind) VALUES (?, ?, ?)'),
      // INSERT OR IGNORE then UPDATE on conflict tells a new row (rollups add it) from a rewrite (rollups recompute).
      insertPoint: this.db.prepare('INSERT OR IGNORE INTO point (field_id, series_id, time, value) VALUES (?, ?, ?, ?)'),
      updatePoint: this.db.prepare('UPDATE point SET value = ? WHERE field_id = ? AND series_id = ? AND time = ? AND value IS NOT ?'),
    };
    this.loadCatalogue();
    this.rollups = new Rollups(this.db, opts.tiers ?? DEFAULT_TIERS);
  }

  /**
   * Learn series and fields created since the last look — by this handle or by another process on the same
   * file (e.g. `jieneng collector` writing while `jieneng api` reads). Ids only grow, so this reads new rows only.
   */
  private loadCatalogue(): void {
    const series = this.db.prepare('SELECT id, measurement, tag_key, tags FROM series WHERE id > ? ORDER BY id').all(this.lastSeriesId) as { id: number; measurement: string; tag_key: string; tags: string }[];
    for (const r of series) {
      if (!this.seriesIds.has(`${r.measurement}\0${r.tag_key}`)) this.rememberSeries(r.id, r.measurement, r.tag_key, JSON.parse(r.tags) as Record<string, string>);
      this.lastSeriesId = r.id;
    }
    const fields = this.db.prepare('SELECT id, measurement, name, kind FROM field WHERE id > ? ORDER BY id').all(this.lastFieldId) as { id: number; measurement: string; name: string; kind: FieldKind }[];
    for (const r of fields) {
      this.fieldIds.set(`${r.measurement}\0${r.name}\0${r.kind}`, r.id);
      this.fieldsById.set(r.id, { name: r.name, kind: r.kind });
      this.lastFieldId = r.id;
    }
  }

  /** Reload the catalogue when another connection has committed since we last looked (PRAGMA data_version). */
  private refresh(): void {
    const v = this.db.pragma('data_version', { simple: true }) as number;
    if (v !== this.dataVersion) {
      this.dataVersion = v;
      this.loadCatalogue();
    }
  }

  private rememberSeries(id: number, measurement: string, key: string, tags: Record<string, string>): void {
    this.seriesIds.set(`${measurement}\0${key}`, id);
    let list = this.series.get(measurement);
    if (!list) this.series.set(measurement, (list = []));
    list.push({ id, tags });
  }

  private seriesId(measurement: string, tags: Record<string, string>): number {
    const clean = storedTags(tags);
    const key = JSON.stringify(Object.entries(clean));
    const id = this.seriesIds.get(`${measurement}\0${key}`);
    if (id !== undefined) return id;
    const newId = Number(this.stmt.insertSeries.run(measurement, key, JSON.stringify(clean)).lastInsertRowid);
    this.rememberSeries(newId, measurement, key, clean);
    this.lastSeriesId = Math.max(this.lastSeriesId, newId);
    return newId;
  }

  private fieldId(measurement: string, name: string, kind: FieldKind): number {
    const k = `${measurement}\0${name}\0${kind}`;
    const id = this.fieldIds.get(k);
    if (id !== undefined) return id;
    const newId = Number(this.stmt.insertField.run(measurement, name, kind).lastInsertRowid);
    this.lastFieldId = Math.max(this.lastFieldId, newId);
    this.fieldIds.set(k, newId);
    this.fieldsById.set(newId, { name, kind });
    return newId;
  }

  private open(): void {
    if (this.closed) throw new StorageError(`embedded store ${this.path} is closed`, false);
  }

  async write(points: StoredPoint[]): Promise<void> {
    this.open();
    checkPoints(points);
    if (points.length === 0) return;
    const batch = this.rollups.batch();
    const tx = this.db.transaction(() => {
      this.refresh();
      // The catalogue maps are updated inside the transaction; on rollback they are reloaded (below).
      for (const p of points) {
        const sid = this.seriesId(p.measurement, p.tags);
        const t = BigInt(p.time);
        for (const [name, v] of Object.entries(p.fields)) {
          const kind = fieldKind(v);
          const fid = this.fieldId(p.measurement, name, kind);
          const stored = kind === 'boolean' ? (v ? 1 : 0) : v;
          if (this.stmt.insertPoint.run(fid, sid, t, stored).changes === 1) {
            if (kind === 'number') batch.added(fid, sid, p.time, v as number);
          } else if (this.stmt.updatePoint.run(stored, fid, sid, t, stored).changes === 1) {
            if (kind === 'number') batch.rewritten(fid, sid, p.time);
          }
        }
      }
      batch.apply();
    });
    try {
      tx.immediate();
    } catch (err) {
      this.series.clear(); this.seriesIds.clear(); this.fieldIds.clear(); this.fieldsById.clear();
      this.lastSeriesId = 0; this.lastFieldId = 0;
      this.loadCatalogue();
      throw new StorageError(`embedded store ${this.path}: write failed: ${(err as Error).message}`, isBusy(err), undefined, { cause: err });
    }
  }

  /** Lines are read back into points (the same checks and transaction as `write`). */
  async writeLines(lines: string | Uint8Array): Promise<void> {
    return this.write(parseLines(lines));
  }

  /** Every write is committed before `write()` resolves, so there is nothing to flush. */
  async flush(): Promise<void> {
    this.open();
  }

  /** Series ids of a measurement passing the filter, grouped by the group_by tags. */
  private groups(measurement: string, where: AggregateQuery['where'], groupBy: string[]): Map<string, { tags: Record<string, string>; ids: number[] }> {
    const out = new Map<string, { tags: Record<string, string>; ids: number[] }>();
    if (filterIsEmpty(where)) return out;
    for (const s of this.series.get(measurement) ?? []) {
      if (!matchesFilter(s.tags, where)) continue;
      const tags: Record<string, string> = {};
      for (const k of groupBy) tags[k] = s.tags[k] ?? '';
      const key = JSON.stringify(groupBy.map((k) => tags[k]));
      let g = out.get(key);
      if (!g) out.set(key, (g = { tags, ids: [] }));
      g.ids.push(s.id);
    }
    return out;
  }

  async aggregate(q: AggregateQuery): Promise<AggregateSeries[]> {
    this.open();
    checkAggregateQuery(q);
    this.refresh();
    const fid = this.fieldIds.get(`${q.measurement}\0${q.field}\0number`);
    if (fid === undefined || q.to <= q.from) return [];
    const groupBy = [...new Set(q.group_by ?? [])].sort();
    const out: AggregateSeries[] = [];
    for (const g of this.groups(q.measurement, q.where, groupBy).values()) {
      const points = aggregateGroup(this.db, this.rollups, fid, g.ids, q);
      if (points.length > 0) out.push({ tags: g.tags, points });
    }
    return out.sort((a, b) => cmpTags(a.tags, b.tags, groupBy));
  }

  async raw(q: RawQuery): Promise<StoredPoint[]> {
    this.open();
    if (!Number.isSafeInteger(q.from) || !Number.isSafeInteger(q.to)) throw new StorageError('raw: from and to must be integer epoch ms', false);
    if (q.limit !== undefined && (!Number.isSafeInteger(q.limit) || q.limit < 0)) throw new StorageError(`raw: limit must be a non-negative integer, got ${q.limit}`, false);
    this.refresh();
    const limit = q.limit ?? Infinity;
    if (q.to <= q.from || limit <= 0) return [];
    const ids = [...this.groups(q.measurement, q.where, []).values()].flatMap((g) => g.ids);
    const fids = [...this.fieldIds.entries()].filter(([k]) => k.startsWith(`${q.measurement}\0`)).map(([, id]) => id);
    if (ids.length === 0 || fids.length === 0) return [];
    const tagsById = new Map((this.series.get(q.measurement) ?? []).map((s) => [s.id, s.tags]));
    const rows = this.db.prepare(`
      SELECT series_id, time, field_id, value FROM point
      WHERE field_id IN (SELECT value FROM json_each(?)) AND series_id IN (SELECT value FROM json_each(?))
        AND time >= ? AND time < ?
      ORDER BY time`).raw(true).iterate(JSON.stringify(fids), JSON.stringify(ids), BigInt(q.from), BigInt(q.to)) as IterableIterator<[number, number, number, FieldValue]>;
    const byKey = new Map<string, StoredPoint>();
    let cutoff = Infinity;
    for (const [sid, time, fieldId, value] of rows) {
      // Rows come in time order; once `limit` points are complete, later instants cannot enter the answer.
      if (time > cutoff) break;
      const key = `${sid}@${time}`;
      let p = byKey.get(key);
      if (!p) {
        p = { measurement: q.measurement, tags: { ...tagsById.get(sid) }, fields: {}, time };
        byKey.set(key, p);
        if (byKey.size === limit) cutoff = time;
      }
      const f = this.fieldsById.get(fieldId);
      if (f) p.fields[f.name] = f.kind === 'boolean' ? value === 1 : value;
    }
    const out = [...byKey.values()].sort(compareRaw);
    return Number.isFinite(limit) ? out.slice(0, limit) : out;
  }

  async health(): Promise<StorageHealth> {
    if (this.closed) return { ok: false, kind: 'embedded', detail: `${this.path}: closed` };
    try {
      this.db.prepare('SELECT 1').get();
      let n = 0;
      for (const l of this.series.values()) n += l.length;
      return { ok: true, kind: 'embedded', detail: `SQLite ${this.path}: ${n} series` };
    } catch (err) {
      return { ok: false, kind: 'embedded', detail: `SQLite ${this.path}: ${(err as Error).message}` };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code === 'SQLITE_FULL' || code === 'SQLITE_IOERR';
}

function cmpTags(a: Record<string, string>, b: Record<string, string>, keys: string[]): number {
  for (const k of keys) {
    if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  }
  return 0;
}
