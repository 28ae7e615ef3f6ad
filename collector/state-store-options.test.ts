/** The state database's tuned settings are options with defaults (issue 18 §4), applied to the real SQLite file. */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { STATE_STORE_DEFAULTS, StateStore } from './state-store.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The file's checkpoint interval as SQLite reports it, from a connection opened by the store. */
function checkpointPages(opts?: ConstructorParameters<typeof StateStore>[2]): number {
  dir = mkdtempSync(join(tmpdir(), 'jieneng-state-opts-'));
  const store = new StateStore(dir, undefined, opts);
  const db = (store as unknown as { db: Database.Database }).db;
  const pages = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  store.close();
  return pages;
}

it('checkpoints every 10 000 WAL pages by default, and as told', () => {
  expect(checkpointPages()).toBe(STATE_STORE_DEFAULTS.walAutocheckpointPages);
  rmSync(dir!, { recursive: true, force: true });
  expect(checkpointPages({ walAutocheckpointPages: 500 })).toBe(500);
});

it('commits a batch of more rows than one INSERT takes, whatever the rows per INSERT', () => {
  dir = mkdtempSync(join(tmpdir(), 'jieneng-state-opts-'));
  const store = new StateStore(dir, undefined, { rowsPerInsert: 3 });
  const readings = Array.from({ length: 10 }, (_, i) => ({ meter: 'm', ts: i * 60_000, value: i }));
  store.commit({ readings, intervals: [], evicted: [], energy: '', count: 0, newest_ts: 0 });
  expect(store.loadMeters().get('m')?.readings.map((r) => r.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  store.close();
});
