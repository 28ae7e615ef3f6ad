/** InfluxDB 1.6.7 (the run's shared server) against the storage contract, and opening it at start-up. */
import { describe, expect, inject, it } from 'vitest';
import { StartupError } from '../../core/errors.ts';
import { storageContract } from '../contract.suite.ts';
import { storageConfigFromEnv, openStorage } from '../index.ts';
import { freePort } from '../../test/harness/ports.ts';
import type { InfluxConfig } from '../config.ts';
import { openInfluxStorage, parseVersion } from './open.ts';

const url = inject('influxUrl');
// a fresh database for this file, created by openStorage
const database = `contract_${process.pid}_${Date.now()}`;

storageContract('InfluxDB 1.6.7', { open: () => openStorage(storageConfigFromEnv({ INFLUX_URL: url, INFLUX_DB: database })) });

async function databases(): Promise<string[]> {
  const res = await fetch(`${url}/query?q=SHOW%20DATABASES`);
  const body = (await res.json()) as { results: { series?: { values?: string[][] }[] }[] };
  return (body.results[0].series?.[0].values ?? []).map((r) => r[0]);
}

describe('opening InfluxDB', () => {
  it('detects 1.x from /ping, creates the missing database and maps writes to /write', async () => {
    const db = `open_${process.pid}_${Date.now()}`;
    expect(await databases()).not.toContain(db);
    const store = await openStorage(storageConfigFromEnv({ INFLUX_URL: url, INFLUX_DB: db }));
    try {
      expect(await databases()).toContain(db);
      expect((await store.health()).detail).toMatch(/InfluxDB 1\.6\.7.* database open_/);
      await store.write([{ measurement: 'm', tags: {}, fields: { v: 1 }, time: Date.UTC(2025, 0, 1) }]);
      await store.flush();
      expect(await store.raw({ measurement: 'm', from: 0, to: Date.UTC(2026, 0, 1) })).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('says in one line what is wrong when nothing listens', async () => {
    const port = await freePort();
    const err = await openStorage(storageConfigFromEnv({ INFLUX_URL: `http://127.0.0.1:${port}` })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toBe(`InfluxDB at http://127.0.0.1:${port}: connection refused — start it or correct INFLUX_URL, or unset INFLUX_URL to use the embedded store`);
  });

  it('asks for a token on 2.x and 3.x', async () => {
    const base: InfluxConfig = { kind: 'influxdb', url, database: 'x' };
    await expect(openInfluxStorage({ ...base, version: 2 })).rejects.toThrow(/needs a token — set INFLUX_TOKEN/);
    await expect(openInfluxStorage({ ...base, version: 2, token: 't' })).rejects.toThrow(/set INFLUX_ORG/);
    await expect(openInfluxStorage({ ...base, version: 3 })).rejects.toThrow(/needs a token/);
  });

  it('reads versions as servers send them', () => {
    expect(parseVersion('1.6.7~rc0')).toEqual({ major: 1, minor: 6 });
    expect(parseVersion('v2.7.4')).toEqual({ major: 2, minor: 7 });
    expect(parseVersion('3.0.1')).toEqual({ major: 3, minor: 0 });
    expect(parseVersion(undefined)).toBeUndefined();
  });
});
