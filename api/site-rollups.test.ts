/**
 * Site and portfolio scopes on the collector's site totals (decision 0407), on each storage adapter: the answers
 * are the same, field by field, whether the API reads the building totals (no site rows), the site totals
 * (complete since before the range) or both (complete from the middle of it); a site figure is the sum of its
 * buildings'; and the site rows are what is read after the instant they are complete from, not before it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from './server.ts';
import { completeSince } from './site-since.ts';
import { fixtureSite, monthsOfDailyRollups, partialDays, rollup, sh, testKeys, withBuildingRollups, withSiteRollups } from './testing/fixture.ts';
import { openFilled, storageBackends } from './testing/backends.ts';
import type { StoredPoint } from '../storage/port.ts';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test reads of JSON

/** b1's months, b2's two partial days of 15-minute rows (with estimates), and b1 on those two days too. */
const rows = withBuildingRollups([
  ...monthsOfDailyRollups(), ...partialDays(),
  ...[10, 11].flatMap((d) => [rollup('energy_1d', 'm1', sh(2025, 4, d), 30), rollup('energy_1d', 'm2', sh(2025, 4, d), 20, { intervals: 90 })]),
]);
/** The site totals made 1 000 kWh larger on one day: shows which rows a read took. */
const tampered = (day: number) => (ps: StoredPoint[]) => ps.map((p) => (p.measurement === 'energy_site_1d' && p.tags.medium === 'electricity' && p.time === day
  ? { ...p, fields: { ...p.fields, energy_kwh: Number(p.fields.energy_kwh) + 1000 } } : p));

const QUERIES = [
  '/api/v1/kpi/comprehensive-energy?scope=site&from=2024-12-01&to=2025-05-01&granularity=month',
  '/api/v1/kpi/comprehensive-energy?scope=site&from=2025-04-09&to=2025-04-13&granularity=day',
  '/api/v1/kpi/intensity?scope=portfolio&from=2025-01-01&to=2025-02-01',
  '/api/v1/kpi/intensity?scope=portfolio&buildings=b2,b1&from=2025-04-01&to=2025-05-01',
  '/api/v1/kpi/comprehensive-energy?scope=portfolio&buildings=b1&from=2025-01-01&to=2025-05-01&granularity=month',
];

for (const backend of storageBackends()) {
  describe(`site totals on ${backend.name}`, () => {
    const keys = testKeys();
    const stops: (() => Promise<void>)[] = [];
    /** An API on a fresh store holding `data`; returns a GET of a path's JSON body. */
    async function api(data: StoredPoint[]): Promise<(path: string) => Promise<Body>> {
      const { storage, cleanup } = await openFilled(backend, data);
      const started = await startApi({ site: fixtureSite(), storage, port: 0, now: () => sh(2025, 6, 15, 12), security: keys.security });
      stops.push(started.stop, cleanup);
      return async (path) => {
        const res = await fetch(`http://127.0.0.1:${started.port}${path}`, { headers: keys.headers() });
        expect(res.status, path).toBe(200);
        return await res.json() as Body;
      };
    }
    let buildingsOnly: (path: string) => Promise<Body>;
    let siteAll: (path: string) => Promise<Body>;
    let siteSplit: (path: string) => Promise<Body>;
    let tamperedSplit: (path: string) => Promise<Body>;

    beforeAll(async () => {
      buildingsOnly = await api(rows);
      siteAll = await api(withSiteRollups(rows, sh(2024, 1, 1)));
      siteSplit = await api(withSiteRollups(rows, sh(2025, 1, 16)));
      tamperedSplit = await api(tampered(sh(2025, 1, 20))(tampered(sh(2025, 1, 10))(withSiteRollups(rows, sh(2025, 1, 16)))));
    }, 60_000);
    afterAll(async () => {
      for (const stop of stops.reverse()) await stop();
    });

    it('give the same answers as the building totals, field by field', async () => {
      for (const q of QUERIES) {
        const expected = await buildingsOnly(q);
        expect(await siteAll(q), q).toEqual(expected);
        expect(await siteSplit(q), q).toEqual(expected);
      }
    });

    it('make a site figure the sum of its buildings\'', async () => {
      const q = (scope: string) => `/api/v1/kpi/comprehensive-energy?${scope}&from=2025-04-10&to=2025-04-12&granularity=day`;
      const site = await siteAll(q('scope=site'));
      const [b1, b2] = [await siteAll(q('scope=building&id=b1')), await siteAll(q('scope=building&id=b2'))];
      // b1 50 + b2 77 on 04-10, b1 50 + b2 73 on 04-11
      expect(site.periods.map((p: Body) => p.by_medium.electricity.quantity)).toEqual([127, 123]);
      for (const i of [0, 1]) {
        expect(site.periods[i].by_medium.electricity.quantity).toBe(b1.periods[i].by_medium.electricity.quantity + b2.periods[i].by_medium.electricity.quantity);
      }
    });

    it('are read after the instant they are complete from, the building totals before it', async () => {
      const q = '/api/v1/kpi/comprehensive-energy?scope=site&from=2025-01-01&to=2025-02-01&granularity=day';
      const days = (await tamperedSplit(q)).periods.map((p: Body) => p.by_medium.electricity.quantity);
      expect(days[9]).toBe(150); // 2025-01-10: before the instant, the building totals
      expect(days[19]).toBe(1150); // 2025-01-20: the (tampered) site total
      const building = await tamperedSplit('/api/v1/kpi/comprehensive-energy?scope=building&id=b1&from=2025-01-20&to=2025-01-21&granularity=day');
      expect(building.periods[0].by_medium.electricity.quantity).toBe(150);
    });
  });
}

describe('when site totals are complete', () => {
  it('is the latest of the partitions\' earliest instants, for one layout with every partition', () => {
    expect(completeSince([{ partition: '0/1', time: 5 }, { partition: '0/1', time: 3 }])).toBe(3);
    expect(completeSince([{ partition: '0/2', time: 5 }, { partition: '1/2', time: 7 }, { partition: '1/2', time: 9 }])).toBe(7);
  });
  it('is never when a partition is missing, layouts are mixed or a tag is not k/N', () => {
    expect(completeSince([])).toBeUndefined();
    expect(completeSince([{ partition: '0/2', time: 5 }])).toBeUndefined();
    expect(completeSince([{ partition: '0/1', time: 5 }, { partition: '0/2', time: 5 }, { partition: '1/2', time: 5 }])).toBeUndefined();
    expect(completeSince([{ partition: '0/2', time: 5 }, { partition: '2/2', time: 5 }])).toBeUndefined();
    expect(completeSince([{ partition: 'x', time: 5 }])).toBeUndefined();
  });
});
