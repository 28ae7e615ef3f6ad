/**
 * The embedded store's tables (better-sqlite3, one file, WAL). Layout chosen for windowed aggregates:
 *
 *   series(id, measurement, tag_key, tags)     one row per measurement + canonical tag set
 *   field(id, measurement, name, kind)         a field name per value kind (number, boolean, string)
 *   point(field_id, series_id, time, value)    WITHOUT ROWID, primary key (field, series, time):
 *                                              one row per series, field and instant (last write wins),
 *                                              clustered so a field's series is one contiguous range scan
 *   rollup(tier, field_id, series_id, bucket, n, v_sum, v_min, v_max, first_time, first_v, last_time, last_v)
 *                                              partial aggregates of numeric fields per tier bucket,
 *                                              kept up to date at write time (see rollups.ts)
 *
 * Times are INTEGER epoch ms (D6). The schema version lives in `PRAGMA user_version`.
 */
import type { Database } from 'better-sqlite3';

/** Schema version written to `PRAGMA user_version`. */
export const SCHEMA_VERSION = 1;

const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  measurement TEXT NOT NULL,
  tag_key TEXT NOT NULL,
  tags TEXT NOT NULL,
  UNIQUE (measurement, tag_key)
);
CREATE TABLE IF NOT EXISTS field (
  id INTEGER PRIMARY KEY,
  measurement TEXT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('number', 'boolean', 'string')),
  UNIQUE (measurement, name, kind)
);
CREATE TABLE IF NOT EXISTS point (
  field_id INTEGER NOT NULL,
  series_id INTEGER NOT NULL,
  time INTEGER NOT NULL,
  value ANY,
  PRIMARY KEY (field_id, series_id, time)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup (
  tier INTEGER NOT NULL,
  field_id INTEGER NOT NULL,
  series_id INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  n INTEGER NOT NULL,
  v_sum REAL NOT NULL,
  v_min REAL NOT NULL,
  v_max REAL NOT NULL,
  first_time INTEGER NOT NULL,
  first_v REAL NOT NULL,
  last_time INTEGER NOT NULL,
  last_v REAL NOT NULL,
  PRIMARY KEY (tier, field_id, series_id, bucket)
) WITHOUT ROWID;
`;

/** Create or check the tables; refuses a file written by a newer schema. */
export function migrate(db: Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`schema version ${version} is newer than this program's ${SCHEMA_VERSION}; upgrade Jieneng`);
  }
  db.exec(DDL);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}
