/**
 * The storage backends the route tests run against: the real embedded store (SQLite file in a temp dir), real
 * InfluxDB 1.6.7 (the test run's server, a fresh database per file), and the in-memory port for quick checks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { Storage, StoredPoint } from '../../storage/port.ts';
import { openStorage } from '../../storage/index.ts';
import { createDatabase } from '../../test/harness/influxd.ts';
import { memoryStorage } from './memory-storage.ts';

/** A named way to open a fresh, empty store for one test file. */
export interface Backend {
  name: string;
  open(): Promise<{ storage: Storage; cleanup(): Promise<void> }>;
}

let dbCounter = 0;

/** Backends to test against; `JIENENG_TEST_INFLUX=0` leaves InfluxDB out (adapter not yet present). */
export function storageBackends(opts: { memory?: boolean } = {}): Backend[] {
  const list: Backend[] = [
    {
      name: 'embedded store',
      open: async () => {
        const dir = mkdtempSync(join(tmpdir(), 'jieneng-api-'));
        const storage = await openStorage({ kind: 'embedded', path: join(dir, 'test.sqlite') });
        return { storage, cleanup: async () => { await storage.close(); rmSync(dir, { recursive: true, force: true }); } };
      },
    },
    {
      name: 'InfluxDB 1.6.7',
      open: async () => {
        const url = inject('influxUrl');
        const database = `api_${process.pid}_${Date.now()}_${dbCounter++}`;
        await createDatabase(url, database);
        const storage = await openStorage({ kind: 'influxdb', url, version: 1, database });
        return { storage, cleanup: async () => { await storage.close(); } };
      },
    },
  ];
  if (process.env.JIENENG_TEST_INFLUX === '0') list.splice(1, 1);
  if (opts.memory) list.push({ name: 'memory', open: async () => ({ storage: memoryStorage(), cleanup: async () => {} }) });
  return list;
}

/** Open a fresh store of `backend` holding `rows` (written in requests of 2 000, then flushed). */
export async function openFilled(backend: Backend, rows: StoredPoint[]): Promise<{ storage: Storage; cleanup(): Promise<void> }> {
  const opened = await backend.open();
  for (let i = 0; i < rows.length; i += 2000) await opened.storage.write(rows.slice(i, i + 2000));
  await opened.storage.flush();
  return opened;
}
