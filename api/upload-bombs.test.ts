/**
 * Hostile XLSX uploads over HTTP: a small ZIP that unpacks to far more than an upload may (a "zip bomb") is
 * refused with a clear 400 before exceljs unpacks it — on the readings import and on the manual entries upload —
 * and the server answers the next request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertMatchesOpenApi } from './openapi-check.ts';
import { entriesApiFixture } from './returns/testing-api.ts';
import { zipBomb } from './testing/zip-bomb.ts';

describe('XLSX uploads that unpack to too much', () => {
  const fixture = entriesApiFixture();
  const { keys } = fixture;
  const bomb = zipBomb(256); // 256 MiB of sheet XML in about 250 KB
  let base = '';
  beforeAll(async () => { base = await fixture.start(); });
  afterAll(() => fixture.stop());

  const post = async (path: string) => {
    const res = await fetch(base + path, { method: 'POST', headers: { ...keys.headers('statistics'), 'content-type': 'application/octet-stream' }, body: new Uint8Array(bomb) });
    return { status: res.status, body: await res.json() as { error: { code: string; message: string }; problems?: { message: string }[] } };
  };

  it('is small on the wire', () => {
    expect(bomb.length).toBeLessThan(1024 * 1024);
  });

  it('refuses it on the readings import with a 400 naming the problem', async () => {
    const { status, body } = await post('/imports/readings?dry_run=true');
    expect(status).toBe(400);
    assertMatchesOpenApi('post', '/api/v1/imports/readings', 400, body);
    expect(body.error.message).toMatch(/unpacks to more than 32 MiB/);
  });

  it('refuses it on the entries upload with a 400 naming the problem', async () => {
    const { status, body } = await post('/returns/entries/upload?format=xlsx&dry_run=true');
    expect(status).toBe(400);
    expect(body.problems?.[0].message).toMatch(/unpacks to more than 32 MiB/);
    expect((await fetch(`${base}/returns/entries`, { headers: keys.headers('statistics') })).status).toBe(200);
  });
});
