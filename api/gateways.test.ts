/**
 * `GET /api/v1/gateways` (issue #12.5) against each storage adapter: the collector's last `gateway_accounting`
 * row per gateway, nulls for a gateway never reported, every response checked against the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSite } from '../core/site/load.ts';
import type { Storage } from '../storage/port.ts';
import { assertMatchesOpenApi } from './openapi-check.ts';
import { startApi } from './server.ts';
import type { StatusFeed } from './status-feed.ts';
import { storageBackends } from './testing/backends.ts';
import { memoryStorage } from './testing/memory-storage.ts';
import { fixtureSite, sh, testKeys } from './testing/fixture.ts';

for (const backend of storageBackends({ memory: true })) {
  describe(`GET /api/v1/gateways on ${backend.name}`, () => {
    const keys = testKeys();
    let storage: Storage;
    let cleanup: () => Promise<void> = async () => {};
    let stop: () => Promise<void> = async () => {};
    let base = '';
    const now = sh(2025, 3, 1, 12, 0);

    beforeAll(async () => {
      ({ storage, cleanup } = await backend.open());
      const tags = { site: 'test-site', gateway: 'gw1' };
      await storage.write([
        { measurement: 'gateway_accounting', tags, fields: { last_seq: 40, gap_batches: 3, recovered: 0, lost: 0, duplicates: 0, stored: 38, restarts: 0, queued: 5, online: false }, time: now - 120_000 },
        { measurement: 'gateway_accounting', tags, fields: { last_seq: 57, gap_batches: 0, recovered: 12, lost: 2, duplicates: 1, stored: 56, restarts: 0, queued: 0, online: true }, time: now - 60_000 },
      ]);
      await storage.flush();
      const fixture = fixtureSite();
      const site = checkSite({ ...fixture, gateways: [...fixture.gateways, { id: 'gw-new', name: '新网关' }] });
      const api = await startApi({ site, storage, port: 0, now: () => now, security: keys.security });
      base = `http://127.0.0.1:${api.port}`;
      stop = api.stop;
    });
    afterAll(async () => {
      await stop();
      await cleanup();
    });

    it("shows each gateway's last report, and nulls for one never reported", async () => {
      const res = await fetch(`${base}/api/v1/gateways`, { headers: keys.headers('technician') });
      const body: unknown = await res.json();
      expect(res.status).toBe(200);
      assertMatchesOpenApi('get', '/api/v1/gateways', 200, body);
      expect(body).toEqual([
        { id: 'gw1', name: 'gw1', last_seq: 57, gap_batches: 0, recovered: 12, lost: 2, duplicates: 1, queued: 0, online: true, reported_at: '2025-03-01T11:59:00+08:00' },
        { id: 'gw-new', name: '新网关', last_seq: null, gap_batches: 0, recovered: 0, lost: 0, duplicates: 0, queued: null, online: null, reported_at: null },
      ]);
    });
  });
}

describe('GET /api/v1/gateways with the status feed', () => {
  it("takes online and queue depth from the gateway's live status, judged by its heartbeat", async () => {
    const now = sh(2025, 3, 1, 12, 0);
    const storage = memoryStorage();
    await storage.write([{ measurement: 'gateway_accounting', tags: { site: 'test-site', gateway: 'gw1' }, fields: { last_seq: 9, gap_batches: 0, recovered: 0, lost: 0, duplicates: 0, stored: 10, restarts: 0, queued: 0, online: true }, time: now - 30_000 }]);
    // a stand-in for the MQTT status feed (api/status-feed.ts): gw1 says offline with 7 batches waiting
    const statusFeed: StatusFeed = {
      connected: () => true,
      gateway: (id) => (id === 'gw1' ? { status: { v: 1, online: false, ts: now - 5000, queued: 7 }, received_ms: now - 5000 } : undefined),
      device: () => undefined,
      stop: async () => {},
    };
    const keys = testKeys();
    const api = await startApi({ site: fixtureSite(), storage, port: 0, now: () => now, statusFeed, security: keys.security });
    try {
      const body: unknown = await (await fetch(`http://127.0.0.1:${api.port}/api/v1/gateways`, { headers: keys.headers('technician') })).json();
      assertMatchesOpenApi('get', '/api/v1/gateways', 200, body);
      expect(body).toMatchObject([{ id: 'gw1', last_seq: 9, online: false, queued: 7 }]);
    } finally {
      await api.stop();
    }
  });
});
