/**
 * What goes on the wire for InfluxDB 2.x, 3.x and each 1.x, and how refusals come back typed. Only 1.6.7 runs
 * on this machine, so a small HTTP peer stands in for the other versions: it answers /ping with their version
 * header and records each request (path, query, Authorization). It proves what is sent, not that a server of
 * that version accepts it.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StorageError } from '../port.ts';
import { openStorage, storageConfigFromEnv } from '../index.ts';

interface Seen { method: string; path: string; params: Record<string, string>; auth?: string; body: string }

let server: Server;
let url = '';
let version = 'v2.7.4';
let writeStatus = 204;
let writeHeaders: Record<string, string> = {};
let writeBody = '';
const seen: Seen[] = [];

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const text = await body(req);
    const params = Object.fromEntries(u.pathname === '/query' && req.method === 'POST' ? new URLSearchParams(text) : u.searchParams);
    seen.push({ method: req.method ?? '', path: u.pathname, params, auth: req.headers.authorization, body: text });
    if (u.pathname === '/ping') {
      res.writeHead(204, { 'X-Influxdb-Version': version }).end();
    } else if (u.pathname === '/api/v2/write' || u.pathname === '/write') {
      res.writeHead(writeStatus, { 'content-type': 'application/json', ...writeHeaders }).end(writeBody);
    } else if (u.pathname === '/query') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results: [{ statement_id: 0, series: [
        { name: 'm', tags: { meter: 'a' }, columns: ['time', 'value'], values: [[1000, 0.30000000000000004]] },
      ] }] }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  seen.length = 0;
  writeStatus = 204;
  writeHeaders = {};
  writeBody = '';
});

const point = { measurement: 'm', tags: { meter: 'a' }, fields: { e: 1.5 }, time: 1_700_000_000_123 };
const query = { measurement: 'm', field: 'e', fn: 'sum' as const, from: 0, to: 2000, every_ms: 1000, group_by: ['meter'] };

describe('InfluxDB versions on the wire', () => {
  it('2.x: /api/v2/write with org and bucket, InfluxQL on the v1 compatibility /query, Token auth', async () => {
    version = 'v2.7.4';
    const store = await openStorage(storageConfigFromEnv({ INFLUX_URL: url, INFLUX_TOKEN: 'tok', INFLUX_ORG: 'district', INFLUX_DB: 'energy', INFLUX_RP: 'autogen' }));
    await store.write([point]);
    await store.flush();
    expect(await store.aggregate(query)).toEqual([{ tags: { meter: 'a' }, points: [{ time: 1000, value: 0.3 }] }]);
    await store.close();
    const write = seen.find((s) => s.path === '/api/v2/write')!;
    expect(write.params).toEqual({ org: 'district', bucket: 'energy/autogen', precision: 'ms' });
    expect(write.auth).toBe('Token tok');
    expect(write.body).toBe('m,meter=a e=1.5 1700000000123');
    const q = seen.filter((s) => s.path === '/query').at(-1)!;
    expect(q).toMatchObject({ method: 'POST', auth: 'Token tok', params: { db: 'energy', rp: 'autogen', epoch: 'ms' } });
    expect(q.params.q).toMatch(/^SELECT SUM\("e"\) AS "value" FROM "m" WHERE time >= 0ms AND time < 2000ms GROUP BY time\(1000ms, 0ms\), "meter" fill\(none\)$/);
  });

  it('3.x: /api/v2/write to the database as bucket, Bearer auth', async () => {
    version = '3.0.1';
    const store = await openStorage(storageConfigFromEnv({ INFLUX_URL: url, INFLUX_TOKEN: 'tok3', INFLUX_DB: 'energy' }));
    await store.write([point]);
    await store.close();
    const write = seen.find((s) => s.path === '/api/v2/write')!;
    expect(write.params.bucket).toBe('energy');
    expect(write.auth).toBe('Token tok3');
    expect(seen.filter((s) => s.path === '/query').every((s) => s.auth === 'Bearer tok3')).toBe(true);
  });

  it.each([
    ['1.8.10', {}],
    ['1.8.10', { INFLUX_VERSION: '1' }], // as docker-compose.yml configures its influxdb:1.8
    ['1.7.11', {}],
    ['1.6.7', {}],
    ['1.11.8', {}],
  ])('%s %j: /write with db, rp and Basic credentials, never /api/v2/write', async (serverVersion, extra) => {
    version = serverVersion;
    const store = await openStorage(storageConfigFromEnv({ INFLUX_URL: url, INFLUX_USERNAME: 'u', INFLUX_PASSWORD: 'p', INFLUX_RP: 'two_years', ...extra }));
    await store.write([point]);
    await store.close();
    const basic = `Basic ${Buffer.from('u:p').toString('base64')}`;
    expect(seen.filter((s) => s.path === '/api/v2/write')).toEqual([]);
    expect(seen.filter((s) => s.path === '/write')).toEqual([
      { method: 'POST', path: '/write', params: { db: 'jieneng', rp: 'two_years', precision: 'ms' }, auth: basic, body: 'm,meter=a e=1.5 1700000000123' },
    ]);
    expect(seen.filter((s) => s.path === '/query').every((s) => s.auth === basic)).toBe(true);
  });

  it('1.8: a "user:password" token becomes Basic credentials on /write and /query', async () => {
    version = '1.8.10';
    const store = await openStorage(storageConfigFromEnv({ INFLUX_URL: url, INFLUX_TOKEN: 'u:p:w' }));
    await store.write([point]);
    await store.close();
    const basic = `Basic ${Buffer.from('u:p:w').toString('base64')}`;
    expect(seen.find((s) => s.path === '/write')).toMatchObject({ auth: basic, params: { db: 'jieneng', precision: 'ms' } });
    expect(seen.filter((s) => s.path === '/query').map((s) => s.auth)).toEqual(seen.filter((s) => s.path === '/query').map(() => basic));
  });

  it('types refusals: 429 with Retry-After is retryable, 400 is not', async () => {
    version = 'v2.7.4';
    const env = { INFLUX_URL: url, INFLUX_TOKEN: 'tok', INFLUX_ORG: 'o' };
    writeStatus = 429;
    writeHeaders = { 'Retry-After': '7' };
    let store = await openStorage(storageConfigFromEnv(env), );
    await store.write([point]);
    let err = await store.flush().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ retryable: true, status: 429, retryAfterMs: 7000 });
    writeStatus = 204;
    await store.close();

    writeStatus = 400;
    writeHeaders = {};
    writeBody = JSON.stringify({ code: 'invalid', message: 'partial write: field type conflict' });
    store = await openStorage(storageConfigFromEnv(env));
    await store.write([point]);
    err = await store.flush().then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ retryable: false, status: 400 });
    expect((err as Error).message).toMatch(/field type conflict/);
    writeStatus = 204;
    await store.close();
  });
});
