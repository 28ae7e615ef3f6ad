/**
 * An InfluxDB outage seen through the adapter, on a server of this file's own: flush() rejects with a retryable
 * StorageError while the server is down, succeeds once it is back, and every point is stored exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxServer } from '../../test/harness/influxd.ts';
import { waitFor } from '../../test/harness/ports.ts';
import { StorageError, type StoredPoint } from '../port.ts';
import { storageConfigFromEnv, type InfluxConfig } from '../config.ts';
import { openInfluxStorage } from './open.ts';

let server: InfluxServer;
beforeAll(async () => {
  server = await startInfluxd();
}, 60_000);
afterAll(async () => {
  await server?.destroy();
}, 60_000);

const T0 = Date.UTC(2025, 5, 1);
const batch = (from: number, n: number, meter = 'a'): StoredPoint[] =>
  Array.from({ length: n }, (_, i) => ({ measurement: 'energy_15m', tags: { meter }, fields: { energy_kwh: 0.5 }, time: T0 + (from + i) * 900_000 }));

async function stored(store: Awaited<ReturnType<typeof openInfluxStorage>>, meter = 'a'): Promise<number> {
  const s = await store.aggregate({ measurement: 'energy_15m', field: 'energy_kwh', fn: 'count', from: T0, to: T0 + 365 * 86_400_000, where: { meter } });
  return s[0]?.points[0]?.value ?? 0;
}

describe('InfluxDB outage', () => {
  const config = (db: string): InfluxConfig => storageConfigFromEnv({ INFLUX_URL: server.url, INFLUX_DB: db }) as InfluxConfig;

  it('rejects flush() as retryable while down, then stores everything exactly once', async () => {
    const store = await openInfluxStorage(config('outage'), { writeOptions: { maxRetries: 50, minRetryDelay: 200, maxRetryDelay: 500 } });
    try {
      await store.write(batch(0, 1000));
      await store.flush();
      await server.stop();
      await store.write(batch(1000, 1000));
      const err = await store.flush().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect((err as StorageError).retryable).toBe(true);
      expect((err as Error).message).toMatch(/connection refused|ECONNRESET|socket hang up/);
      // still down: still retryable, nothing given up
      await store.write(batch(1500, 1000)); // overlaps 500 points already queued: idempotent
      await expect(store.flush()).rejects.toMatchObject({ retryable: true });
      expect((await store.health()).ok).toBe(false);
      await server.start();
      await store.flush();
      expect(await stored(store)).toBe(2500);
      expect((await store.health()).ok).toBe(true);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('close() writes what waited for a retry', async () => {
    const cfg = config('outage_close');
    const store = await openInfluxStorage(cfg, { writeOptions: { maxRetries: 50, minRetryDelay: 200, maxRetryDelay: 500 } });
    await server.stop();
    await store.write(batch(0, 700, 'b'));
    await expect(store.flush()).rejects.toMatchObject({ retryable: true });
    await server.start();
    await store.close();
    const reader = await openInfluxStorage(cfg);
    expect(await stored(reader, 'b')).toBe(700);
    await reader.close();
  }, 60_000);

  it('says so when the client gave points up, so the caller writes them again', async () => {
    const store = await openInfluxStorage(config('outage_drop'), { writeOptions: { maxRetries: 1, minRetryDelay: 100, maxRetryDelay: 200, retryJitter: 0 } });
    try {
      await server.stop();
      await store.write(batch(0, 300, 'c'));
      // the first attempt fails: retryable, kept for one retry by the client
      await expect(store.flush()).rejects.toMatchObject({ retryable: true });
      // the client's own retry fails too and gives the points up; the next flush says so, once
      expect(store.waitingForRetry).toBe(300);
      await waitFor('the client to give the points up', async () => store.waitingForRetry === 0, 20_000);
      await expect(store.flush()).rejects.toThrow(/300 points were given up/);
      await server.start();
      await store.flush();
      // the caller's replay stores them, once
      await store.write(batch(0, 300, 'c'));
      await store.flush();
      expect(await stored(store, 'c')).toBe(300);
    } finally {
      await store.close();
    }
  }, 60_000);
});
