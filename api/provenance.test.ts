/**
 * Provenance in the KPI responses (issue 12): estimated quantities, coverage (share of the 15-minute meter-intervals
 * measured) and `complete` (all present), on each storage adapter, every response checked against the OpenAPI
 * document. The figures are worked by hand from the fixture rows (api/testing/fixture.ts) in the comments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from './server.ts';
import { assertMatchesOpenApi } from './openapi-check.ts';
import { fixtureSite, monthsOfDailyRollups, partialDays, sh, testKeys, withBuildingRollups } from './testing/fixture.ts';
import { openFilled, storageBackends } from './testing/backends.ts';
import { coverageOf, expectedIntervals } from './domain/provenance.ts';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test reads of JSON validated against the schema

describe('coverage', () => {
  it('is the measured share of the expected quarter-hours; complete only when all are present', () => {
    // One meter, one local day: 96 quarter-hours expected; 73 present, none estimated → 73/96 = 0.760416…
    expect(expectedIntervals(sh(2025, 4, 11), sh(2025, 4, 12), 1)).toBe(96);
    expect(coverageOf({ estimated: 0, intervals: 73, intervals_estimated: 0 }, 96)).toEqual({ coverage: 73 / 96, complete: false });
    // 96 present of which 4 estimated: complete (an estimate fills its interval), coverage 92/96
    expect(coverageOf({ estimated: 8, intervals: 96, intervals_estimated: 4 }, 96)).toEqual({ coverage: 92 / 96, complete: true });
    // two meters over one hour: 8 expected
    expect(expectedIntervals(0, 3_600_000, 2)).toBe(8);
    expect(coverageOf({ estimated: 0, intervals: 0, intervals_estimated: 0 }, 0)).toEqual({ coverage: 0, complete: false });
  });
});

for (const backend of storageBackends()) {
  describe(`KPI provenance on ${backend.name}`, () => {
    const keys = testKeys();
    let base = '';
    let stop: () => Promise<void> = async () => {};
    let cleanup: () => Promise<void> = async () => {};

    beforeAll(async () => {
      const opened = await openFilled(backend, withBuildingRollups([...monthsOfDailyRollups(), ...partialDays()]));
      cleanup = opened.cleanup;
      const api = await startApi({ site: fixtureSite(), storage: opened.storage, port: 0, now: () => sh(2025, 6, 15, 12), security: keys.security });
      base = `http://127.0.0.1:${api.port}`;
      stop = api.stop;
    }, 60_000);
    afterAll(async () => {
      await stop();
      await cleanup();
    });

    async function get(path: string, template: string): Promise<Body> {
      const res = await fetch(base + path, { headers: keys.headers('viewer') });
      const body = await res.json() as Body;
      expect(res.status, JSON.stringify(body).slice(0, 400)).toBe(200);
      assertMatchesOpenApi('get', template, 200, body);
      return body;
    }

    it('gives each period and medium its estimated quantity, coverage and completeness', async () => {
      const b = await get('/api/v1/kpi/comprehensive-energy?scope=building&id=b2&from=2025-04-10&to=2025-04-12&granularity=day', '/api/v1/kpi/comprehensive-energy');
      const [d10, d11] = b.periods;
      // 04-10: 69 measured + 4 estimated (2 kWh each) of 96 → 77 kWh, 8 estimated, coverage 69/96 = 0.71875
      expect(d10).toMatchObject({ coverage: 0.7188, complete: false, by_medium: { electricity: { quantity: 77, estimated_quantity: 8, coverage: 0.7188, complete: false } } });
      // 04-11: 73 measured of 96 → coverage 0.7604, not complete
      expect(d11).toMatchObject({ coverage: 0.7604, complete: false, by_medium: { electricity: { quantity: 73, estimated_quantity: 0, coverage: 0.7604, complete: false } } });
      // both days: (69 + 73) / 192 = 0.739583…
      expect(b.total).toMatchObject({ coverage: 0.7396, complete: false, by_medium: { electricity: { quantity: 150, estimated_quantity: 8 } } });
    });

    it('weighs media by their meters\' intervals over a month', async () => {
      const b = await get('/api/v1/kpi/comprehensive-energy?scope=building&id=b1&from=2025-01-01&to=2025-03-01&granularity=month', '/api/v1/kpi/comprehensive-energy');
      const [jan, feb] = b.periods;
      expect(jan).toMatchObject({ coverage: 1, complete: true });
      // February: electricity (m1, m2) on 27 of 28 days: 27·96·2 / 28·96·2 = 0.964286; water and gas complete:
      // (5 184 + 2 688 + 2 688) / (5 376 + 2 688 + 2 688) = 10 560 / 10 752 = 0.982143
      expect(feb.by_medium.electricity).toMatchObject({ coverage: 0.9643, complete: false });
      expect(feb.by_medium.water).toMatchObject({ coverage: 1, complete: true });
      expect(feb).toMatchObject({ coverage: 0.9821, complete: false });
    });

    it('says how complete the intensity periods are', async () => {
      const b = await get('/api/v1/kpi/intensity?scope=building&id=b1&from=2025-01-01&to=2025-02-01', '/api/v1/kpi/intensity');
      expect(b.current).toMatchObject({ complete: true, coverage: 1, estimated_kwh: 0 });
      // December 2024 holds no row: nothing measured
      expect(b.previous_period).toMatchObject({ complete: false, coverage: 0, estimated_kwh: null });
      // an org unit reads its own meters' rows (m1b, 96 quarter-hours a day)
      const ou = await get('/api/v1/kpi/intensity?scope=org_unit&id=ou1&from=2025-01-01&to=2025-02-01', '/api/v1/kpi/intensity');
      expect(ou.current).toMatchObject({ complete: true, coverage: 1 });
    });

    it('gives the cost and the breakdown their provenance', async () => {
      const c = await get('/api/v1/buildings/b2/cost?from=2025-04-10&to=2025-04-11', '/api/v1/buildings/{id}/cost');
      expect(c.electricity).toMatchObject({ energy_kwh: 77, estimated_kwh: 8, coverage: 0.7188, complete: false });
      expect(c.warnings.map((w: Body) => w.code)).toContain('incomplete_period');
      const d = await get('/api/v1/buildings/b2/breakdown?from=2025-04-11&to=2025-04-12', '/api/v1/buildings/{id}/breakdown');
      expect(d).toMatchObject({ total: 73, estimated_quantity: 0, coverage: 0.7604, complete: false });
    });
  });
}
