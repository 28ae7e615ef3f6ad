/**
 * The issue-2 slice of the API and the device endpoints, against each storage adapter, every response
 * validated against the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from './server.ts';
import { assertMatchesOpenApi } from './openapi-check.ts';
import { dayOfRollups, fixtureSite, partialDays, sh, testKeys, withBuildingRollups } from './testing/fixture.ts';
import { storageBackends } from './testing/backends.ts';
import type { Storage } from '../storage/port.ts';

for (const backend of storageBackends({ memory: true })) {
  describe(`API v1 on ${backend.name}`, () => {
    const keys = testKeys();
    let storage: Storage;
    let base = '';
    let stop: () => Promise<void> = async () => {};
    let cleanup: () => Promise<void> = async () => {};
    const now = sh(2025, 3, 1, 12, 0);

    beforeAll(async () => {
      ({ storage, cleanup } = await backend.open());
      await storage.write(withBuildingRollups([...dayOfRollups(), ...partialDays()]));
      await storage.write([
        { measurement: 'telemetry', tags: { site: 'test-site', building: 'b1', gateway: 'gw1', device: 'hvac1', point: 'supply_temp_c', quality: 'good' }, fields: { value: 12.5 }, time: now - 40_000 },
        { measurement: 'telemetry', tags: { site: 'test-site', building: 'b1', gateway: 'gw1', device: 'hvac1', point: 'supply_temp_c', quality: 'good' }, fields: { value: 12.75 }, time: now - 20_000 },
        { measurement: 'telemetry', tags: { site: 'test-site', building: 'b1', gateway: 'gw1', device: 'hvac1', point: 'fan_power_kw', quality: 'uncertain' }, fields: { value: 3.2 }, time: now - 20_000 },
      ]);
      await storage.flush();
      const api = await startApi({ site: fixtureSite(), storage, port: 0, now: () => now, brokerHealth: () => ({ ok: true, detail: 'connected' }), security: keys.security });
      base = `http://127.0.0.1:${api.port}`;
      stop = api.stop;
    });
    afterAll(async () => {
      await stop();
      await cleanup();
    });

    /** GET, check against the document, return the body. */
    async function get(path: string, template: string, status = 200): Promise<Record<string, unknown> & unknown[]> {
      const res = await fetch(base + path, { headers: keys.headers('technician') });
      const body = await res.json() as Record<string, unknown> & unknown[];
      expect(res.status, JSON.stringify(body)).toBe(status);
      assertMatchesOpenApi('get', template, status, body);
      return body;
    }
    const energy = '/api/v1/buildings/{id}/energy';

    it('lists buildings', async () => {
      expect(await get('/api/v1/buildings', '/api/v1/buildings')).toEqual([
        { id: 'b1', name: '一号楼', floor_area_m2: 1000 }, { id: 'b2', name: '二号楼', floor_area_m2: 500 },
      ]);
    });

    it('sums the root meters per 15 minutes, leaving sub-meters out', async () => {
      const body = await get('/api/v1/buildings/b1/energy?from=2025-03-01T00:00:00%2B08:00&to=2025-03-01T01:00:00%2B08:00&interval=15m', energy);
      // m1 1 kWh + m2 0.5 kWh per quarter hour; m1a (under m1) is already in m1.
      expect(body).toMatchObject({ building: 'b1', interval: '15m', unit: 'kWh' });
      expect(body.points).toEqual([0, 15, 30, 45].map((m) => ({ start: `2025-03-01T00:${String(m).padStart(2, '0')}:00+08:00`, energy_kwh: 1.5, estimated_kwh: 0, coverage: 1, complete: true })));
    });

    it('gives hours and local calendar days', async () => {
      const hours = await get('/api/v1/buildings/b1/energy?from=2025-03-01&to=2025-03-02&interval=1h', energy);
      expect((hours.points as unknown[]).length).toBe(24);
      expect((hours.points as { energy_kwh: number }[]).every((p) => p.energy_kwh === 6)).toBe(true);
      const days = await get('/api/v1/buildings/b1/energy?from=2025-02-28&to=2025-03-03&interval=1d', energy);
      // One day of data: 96 + 48 = 144 kWh, starting at local midnight; empty days are absent, not zero.
      expect(days.points).toEqual([{ start: '2025-03-01T00:00:00+08:00', energy_kwh: 144, estimated_kwh: 0, coverage: 1, complete: true }]);
    });

    it('gives today in the site time zone when from and to are left out', async () => {
      // now is 2025-03-01 12:00 +08:00: today is that local day, 96 quarter hours of 1.5 kWh.
      const body = await get('/api/v1/buildings/b1/energy?interval=15m', energy);
      const points = body.points as { start: string; energy_kwh: number }[];
      expect(points).toHaveLength(96);
      expect(points[0]).toEqual({ start: '2025-03-01T00:00:00+08:00', energy_kwh: 1.5, estimated_kwh: 0, coverage: 1, complete: true });
    });

    it('says how much is estimated and which share of the quarter-hours was measured (issue 12)', async () => {
      // partialDays(): b2's one meter has 73 of 96 quarter-hours on 2025-04-10 and 04-11 (worked in the fixture).
      const days = await get('/api/v1/buildings/b2/energy?from=2025-04-10&to=2025-04-12&interval=1d', energy);
      expect(days.points).toEqual([
        // 69 measured + 4 estimated (2 kWh each) of 96: 77 kWh, 8 estimated, coverage 69/96 = 0.71875
        { start: '2025-04-10T00:00:00+08:00', energy_kwh: 77, estimated_kwh: 8, coverage: 0.7188, complete: false },
        // 73 measured of 96: coverage 0.760416… → 0.7604, not complete
        { start: '2025-04-11T00:00:00+08:00', energy_kwh: 73, estimated_kwh: 0, coverage: 0.7604, complete: false },
      ]);
      const hours = await get('/api/v1/buildings/b2/energy?from=2025-04-10T02:00:00%2B08:00&to=2025-04-10T04:00:00%2B08:00&interval=1h', energy);
      expect(hours.points).toEqual([
        // 02:00: 1 + 1 + 2 + 2 kWh, the last two estimated: coverage 2/4, every quarter-hour present
        { start: '2025-04-10T02:00:00+08:00', energy_kwh: 6, estimated_kwh: 4, coverage: 0.5, complete: true },
        { start: '2025-04-10T03:00:00+08:00', energy_kwh: 6, estimated_kwh: 4, coverage: 0.5, complete: true },
      ]);
      // The last hour with data (18:00) holds one quarter-hour of four.
      const evening = await get('/api/v1/buildings/b2/energy?from=2025-04-11T18:00:00%2B08:00&to=2025-04-11T19:00:00%2B08:00&interval=1h', energy);
      expect(evening.points).toEqual([{ start: '2025-04-11T18:00:00+08:00', energy_kwh: 1, estimated_kwh: 0, coverage: 0.25, complete: false }]);
    });

    it('answers 404 for an unknown building and 400 naming a bad parameter', async () => {
      expect((await get('/api/v1/buildings/nope/energy?from=2025-03-01&to=2025-03-02', energy, 404)).error).toMatchObject({ code: 'not_found' });
      for (const [query, parameter] of [
        ['from=yesterday&to=2025-03-02', 'from'],
        ['from=2025-03-01&to=2025-02-30', 'to'],
        ['from=2025-03-02&to=2025-03-01', 'to'],
        ['to=2025-03-01', 'from'],
        ['from=2025-03-01&to=2025-03-02&interval=5m', 'interval'],
        ['from=2025-03-01&from=2025-03-02&to=2025-03-03', 'from'],
      ]) {
        const body = await get(`/api/v1/buildings/b1/energy?${query}`, energy, 400);
        expect(body.error, query).toMatchObject({ code: 'bad_parameter', parameter });
      }
    });

    it('reports health, metrics and its own document', async () => {
      expect(await get('/api/v1/health', '/api/v1/health')).toMatchObject({ status: 'ok', broker: { ok: true }, storage: { ok: true, kind: storage.kind } });
      const metrics = await fetch(`${base}/metrics`, { headers: keys.headers('technician') });
      expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
      expect(await metrics.text()).toMatch(/jieneng_api_request_duration_seconds_bucket\{.*route="\/api\/v1\/buildings"/);
      const doc = await (await fetch(`${base}/api/v1/openapi.json`)).json() as { openapi: string };
      expect(doc.openapi).toBe('3.1.0');
      const unknown = await fetch(`${base}/api/v1/nothing-here`, { headers: keys.headers() });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ error: { code: 'not_found' } });
    });

    it('lists devices with online state and gives the latest value of each point', async () => {
      const devices = await get('/api/v1/devices', '/api/v1/devices') as unknown as { id: string; online: boolean; protocol: string }[];
      expect(devices.find((d) => d.id === 'hvac1')).toMatchObject({ online: true, protocol: 'bacnet-ip' });
      expect(devices.find((d) => d.id === 'm3')).toMatchObject({ online: false, protocol: 'modbus-tcp' });
      const latest = await get('/api/v1/devices/hvac1/latest', '/api/v1/devices/{id}/latest');
      expect(latest.points).toEqual([
        { point: 'fan_power_kw', value: 3.2, unit: 'kW', quality: 'uncertain', timestamp: '2025-03-01T11:59:40+08:00' },
        { point: 'supply_temp_c', value: 12.75, unit: '°C', quality: 'good', timestamp: '2025-03-01T11:59:40+08:00' },
      ]);
      const silent = await get('/api/v1/devices/m3/latest', '/api/v1/devices/{id}/latest');
      expect(silent).toMatchObject({ online: false, points: [], warnings: [{ code: 'no_data' }] });
      await get('/api/v1/devices/nope/latest', '/api/v1/devices/{id}/latest', 404);
    });
  });
}
