/** The base-load KPI rule on a night with a partial hour (memory store, the API fixture's building b1). */
import { describe, expect, it } from 'vitest';
import type { ApiContext } from '../../api/context.ts';
import { loadReferenceData } from '../../api/reference.ts';
import { SiteIndex } from '../../api/site-index.ts';
import { fixtureSite, rollup, sh, withBuildingRollups } from '../../api/testing/fixture.ts';
import { memoryStorage } from '../../api/testing/memory-storage.ts';
import type { KpiRule } from '../rules/schema.ts';
import { judgeKpiRule } from './compute.ts';

describe('base load rule', () => {
  it('judges only whole hours of the night', async () => {
    const day = sh(2025, 3, 5); // a Wednesday, a working day: the night 22:00–06:00 of the day is judged
    // b1's root meters m1 and m2 each 1 kWh a quarter-hour (the building 8 kW) over 00:00–04:15: hours 00–03
    // whole, hour 04 only its first quarter-hour (2 kWh); 05:00–06:00 and 22:00–24:00 missing.
    // Whole hours 00–03: 4 of 8 night hours (half: judged) at 8 kW. With the partial hour: (4 × 8 + 2) / 5 = 6.8 kW.
    const rows = [];
    for (let q = 0; q < 17; q++) for (const m of ['m1', 'm2']) rows.push(rollup('energy_15m', m, day + q * 900_000, 1));
    const storage = memoryStorage();
    await storage.write(withBuildingRollups(rows));
    const ctx = { index: new SiteIndex(fixtureSite()), storage, reference: loadReferenceData(), now: () => day + 86_400_000 } as unknown as ApiContext;
    const rule = { id: 'base', kind: 'base_load', name: '基础负荷', severity: 'major', scope: { building: ['b1'] }, above_kw: 7 } as unknown as KpiRule;
    expect(await judgeKpiRule(ctx, rule, ['b1'], day)).toEqual([{ subject: 'b1', breach: true, value: 8, limit: 7, event: 'night' }]);
  });
});
