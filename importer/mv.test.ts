/**
 * Issue 15, done-when: two years of daily counter readings and outdoor temperatures, uploaded as a CSV to the API,
 * go through the collector's ingestion, and the contract savings (M&V) endpoint answers from them: the baseline
 * year's weather model finds the 20 % saving the file was built with. On the embedded store and on InfluxDB 1.6.7.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSite } from '../core/site/load.ts';
import type { SiteModel } from '../core/site/schema.ts';
import { zonedTime } from '../core/time.ts';
import { assertMatchesOpenApi } from '../api/openapi-check.ts';
import { startApi } from '../api/server.ts';
import { storageBackends } from '../api/testing/backends.ts';
import { testKeys } from '../api/testing/fixture.ts';
import type { Storage } from '../storage/port.ts';
import { dailyReadingsCsv } from './testing.ts';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON checked against the OpenAPI document

/** The demo site with its contract moved onto the imported years: baseline 2024-07 … 2025-06, reporting the year after. */
function siteWithContract(): SiteModel {
  const demo = loadSite('config/demo-site.yaml');
  return {
    ...demo,
    contracts: [{
      ...demo.contracts![0], meters: ['jiwei-main'], temperature_point: 'zhongshan-e290-weather/temp_c',
      baseline: { from: '2024-07-01', to: '2025-06-30' }, reporting: { from: '2025-07-01', to: '2026-06-30' },
    }],
  };
}

for (const backend of storageBackends()) {
  describe(`history import of two years for M&V on ${backend.name}`, () => {
    const keys = testKeys();
    const file = dailyReadingsCsv({ meter: 'jiwei-main', weather: 'zhongshan-e290-weather', from: [2024, 7, 1], days: 730, retrofitDay: 365, savingShare: 0.2 });
    let storage: Storage;
    let cleanup: () => Promise<void> = async () => {};
    let stop: () => Promise<void> = async () => {};
    let base = '';

    beforeAll(async () => {
      ({ storage, cleanup } = await backend.open());
      const api = await startApi({ site: siteWithContract(), storage, port: 0, now: () => zonedTime('Asia/Shanghai', 2026, 12, 5, 12), security: keys.security });
      base = `http://127.0.0.1:${api.port}`;
      stop = api.stop;
    }, 60_000);
    afterAll(async () => {
      await stop();
      await cleanup();
    });

    const upload = async (role: 'statistics' | 'viewer', query = ''): Promise<{ status: number; body: Body }> => {
      const res = await fetch(`${base}/api/v1/imports/readings${query}`, { method: 'POST', headers: { ...keys.headers(role), 'content-type': 'text/csv' }, body: file.csv });
      return { status: res.status, body: await res.json() as Body };
    };

    it('refuses the upload below the statistics role', async () => {
      expect((await upload('viewer')).status).toBe(403);
    });

    it('stores the file through the collector and the savings endpoint answers from it', async () => {
      const { status, body } = await upload('statistics');
      expect(status, JSON.stringify(body).slice(0, 400)).toBe(201);
      assertMatchesOpenApi('post', '/api/v1/imports/readings', 201, body);
      expect(body).toMatchObject({ stored: true, rows: 731 + 730, readings: 1461, already_stored: 0, rejected: [], devices: ['jiwei-main', 'zhongshan-e290-weather'] });
      // the record of the import: per device, its span, kind, the file's hash and who imported it
      const record = await storage.raw({ measurement: 'import_log', from: 0, to: zonedTime('Asia/Shanghai', 2100, 1, 1) });
      expect(record.map((r) => [r.tags.device, r.fields.kind, r.fields.readings, r.fields.to, r.time])).toEqual([
        ['jiwei-main', 'counter', 731, zonedTime('Asia/Shanghai', 2026, 7, 1), zonedTime('Asia/Shanghai', 2024, 7, 1)],
        ['zhongshan-e290-weather', 'telemetry', 730, zonedTime('Asia/Shanghai', 2026, 6, 30, 12), zonedTime('Asia/Shanghai', 2024, 7, 1, 12)],
      ]);
      expect(record[0].fields).toMatchObject({ file_sha256: createHash('sha256').update(file.csv).digest('hex'), by: expect.stringMatching(/^test statistics \(key /) });

      // the daily rows are the counter differences, measured (the file's daily spacing is the meter's poll interval)
      const days = await storage.raw({ measurement: 'energy_1d', from: zonedTime('Asia/Shanghai', 2024, 7, 1), to: zonedTime('Asia/Shanghai', 2026, 7, 1), where: { meter: 'jiwei-main' } });
      expect(days).toHaveLength(730);
      days.forEach((d, i) => expect(d.fields.energy_kwh as number).toBeCloseTo(file.dailyKwh[i], 4));
      expect(days.every((d) => d.fields.estimated === 0)).toBe(true);

      const res = await fetch(`${base}/api/v1/contracts/jiwei-hot-water-emc/savings`, { headers: keys.headers('manager') });
      const savings = await res.json() as Body;
      expect(res.status, JSON.stringify(savings).slice(0, 400)).toBe(200);
      assertMatchesOpenApi('get', '/api/v1/contracts/{id}/savings', 200, savings);
      const codes = savings.warnings.map((w: Body) => w.code);
      expect(codes).not.toContain('no_temperature_data');
      expect(savings.baseline).toMatchObject({ observations: 365, days_with_data: 365 });
      expect(savings.model).toMatchObject({ n: 365, kind: 'hdd_cdd' });
      // The file's reporting year uses 20 % less than its weather-adjusted baseline.
      const { adjusted_baseline, actual, fraction } = savings.savings;
      const expectedActual = file.dailyKwh.slice(365).reduce((a, b) => a + b, 0);
      expect(actual).toBeCloseTo(expectedActual, 0);
      expect(fraction).toBeCloseTo(1 - actual / adjusted_baseline, 3);
      expect(fraction).toBeGreaterThan(0.17);
      expect(fraction).toBeLessThan(0.23);
    }, 120_000); // 141 000 energy rows: about 3 s alone, 30 s on a loaded machine

    it('stores nothing new when the same file comes again', async () => {
      const { status, body } = await upload('statistics');
      expect(status).toBe(200);
      assertMatchesOpenApi('post', '/api/v1/imports/readings', 200, body);
      expect(body).toMatchObject({ stored: false, already_stored: 1461, readings: 1461, energy_rows: 0 });
    }, 30_000);
  });
}
