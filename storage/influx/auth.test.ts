/**
 * A real InfluxDB 1.6.7 with HTTP authentication on, as docker-compose.yml runs its server: a user with
 * read and write rights on the database writes through `/write` and reads through `/query` with Basic
 * credentials, given as INFLUX_USERNAME/INFLUX_PASSWORD or as a "user:password" INFLUX_TOKEN; a wrong
 * password stops start-up with one line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StartupError } from '../../core/errors.ts';
import { startInfluxd, type InfluxServer } from '../../test/harness/influxd.ts';
import { openStorage, storageConfigFromEnv } from '../index.ts';

let server: InfluxServer;
const admin = 'Basic ' + Buffer.from('admin:admin-pw').toString('base64');

async function influxql(q: string, authorization?: string): Promise<void> {
  const res = await fetch(`${server.url}/query`, { method: 'POST', body: new URLSearchParams({ q }), headers: authorization ? { authorization } : {} });
  if (!res.ok) throw new Error(`${q}: HTTP ${res.status} ${await res.text()}`);
}

beforeAll(async () => {
  server = await startInfluxd({ authEnabled: true });
  // With no user yet, 1.x accepts exactly one statement unauthenticated: creating the first admin.
  await influxql(`CREATE USER "admin" WITH PASSWORD 'admin-pw' WITH ALL PRIVILEGES`);
  await influxql('CREATE DATABASE "energy"', admin);
  await influxql(`CREATE USER "jieneng" WITH PASSWORD 'p:w 节'`, admin);
  await influxql('GRANT ALL ON "energy" TO "jieneng"', admin);
}, 60_000);
afterAll(async () => {
  await server?.destroy();
}, 60_000);

const T = Date.UTC(2025, 0, 1);

describe('InfluxDB 1.6.7 with authentication', () => {
  it.each<[string, string, Record<string, string>]>([
    ['INFLUX_USERNAME and INFLUX_PASSWORD', 'user', { INFLUX_USERNAME: 'jieneng', INFLUX_PASSWORD: 'p:w 节' }],
    ['a "user:password" INFLUX_TOKEN', 'token', { INFLUX_TOKEN: 'jieneng:p:w 节' }],
  ])('writes and reads with %s', async (_how, meter, credentials) => {
    const store = await openStorage(storageConfigFromEnv({ INFLUX_URL: server.url, INFLUX_DB: 'energy', ...credentials }));
    try {
      await store.write([{ measurement: 'm', tags: { meter }, fields: { v: 1.5 }, time: T }]);
      await store.flush();
      expect(await store.raw({ measurement: 'm', from: T, to: T + 1, where: { meter } })).toEqual([{ measurement: 'm', tags: { meter }, fields: { v: 1.5 }, time: T }]);
    } finally {
      await store.close();
    }
  });

  it('refuses a wrong password at start-up in one line', async () => {
    const err = await openStorage(storageConfigFromEnv({ INFLUX_URL: server.url, INFLUX_DB: 'energy', INFLUX_USERNAME: 'jieneng', INFLUX_PASSWORD: 'wrong' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toMatch(/^InfluxDB query at http:\/\/127\.0\.0\.1:\d+: .*HTTP 401.* — check INFLUX_USERNAME and INFLUX_PASSWORD, or unset INFLUX_URL to use the embedded store$/);
    expect((err as Error).message).not.toContain('\n');
  });
});
