/** A store that fails answers 503 with a JSON error; an unexpected failure 500 without internals. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from '../storage/port.ts';
import { startApi } from './server.ts';
import { assertMatchesOpenApi } from './openapi-check.ts';
import { fixtureSite, testKeys } from './testing/fixture.ts';
import { memoryStorage } from './testing/memory-storage.ts';

describe('API errors from the store', () => {
  const keys = testKeys();
  let base = '';
  let stop: () => Promise<void> = async () => {};
  let failWith: Error = new StorageError('connect ECONNREFUSED 127.0.0.1:8086', true);

  beforeAll(async () => {
    const storage = memoryStorage();
    // Fake only the failing reads: the unit under test is the error mapping.
    storage.aggregate = async () => { throw failWith; };
    storage.health = async () => ({ ok: false, kind: 'memory', detail: 'disk full' });
    const api = await startApi({ site: fixtureSite(), storage, port: 0, security: keys.security });
    base = `http://127.0.0.1:${api.port}`;
    stop = api.stop;
  });
  afterAll(() => stop());

  it('maps StorageError to 503 and anything else to 500', async () => {
    const path = '/api/v1/buildings/b1/energy?from=2025-03-01&to=2025-03-02';
    let res = await fetch(base + path, { headers: keys.headers('viewer') });
    let body = await res.json();
    expect(res.status).toBe(503);
    expect(body).toMatchObject({ error: { code: 'storage_unavailable' } });
    assertMatchesOpenApi('get', '/api/v1/buildings/{id}/energy', 503, body);
    failWith = new TypeError('x is undefined');
    res = await fetch(base + path, { headers: keys.headers('viewer') });
    body = await res.json();
    expect(res.status).toBe(500);
    expect(body).toEqual({ error: { code: 'internal', message: 'internal error; see the API log' } });
  });

  it('reports a degraded store on /health with 503', async () => {
    const res = await fetch(`${base}/api/v1/health`, { headers: keys.headers('viewer') });
    const body = await res.json();
    expect(res.status).toBe(503);
    expect(body).toMatchObject({ status: 'degraded', storage: { ok: false, detail: 'disk full' } });
    assertMatchesOpenApi('get', '/api/v1/health', 503, body);
  });
});
