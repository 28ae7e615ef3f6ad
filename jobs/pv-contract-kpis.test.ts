/**
 * The PV days written for the boards: the temperature-corrected PR is corrected to 25 °C (IEC 61724-1 PR'_STC),
 * so a day's figure is the same whatever range the write-back ran over — worked on the fixture's PV day.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureSite, pvDay, sh } from '../api/testing/fixture.ts';
import { openFilled, storageBackends } from '../api/testing/backends.ts';
import type { Storage } from '../storage/port.ts';
import { kpiSources } from './kpi-writeback.ts';
import { pvDayRows } from './pv-contract-kpis.ts';

describe('PV day rows', () => {
  let storage: Storage;
  let cleanup: () => Promise<void> = async () => {};
  beforeAll(async () => {
    ({ storage, cleanup } = await openFilled(storageBackends()[0], pvDay()));
  }, 30_000);
  afterAll(async () => { await cleanup(); });

  it('corrects PR to the 25 °C cell temperature, the same over a one-day and a three-day range', async () => {
    const ctx = kpiSources(fixtureSite(), storage);
    // 2025-06-01, hours 08–11: G 500, 600, 700, 600 W/m²; T_module 30, 35, 40, 35 °C; 200 kWh AC; P0 100 kWp; γ −0.004 /°C
    // T_cell = T_module + 3 °C · G/1000 = 31.5, 36.8, 42.1, 36.8 °C
    // expected = Σ P0 · G/1000 · 1 h · (1 + γ (T_cell − 25)) = 50·0.974 + 60·0.9528 + 70·0.9316 + 60·0.9528 = 228.248 kWh
    // PR'_STC = 200 / 228.248 = 0.876240 (uncorrected PR 200 / 240 = 0.833333)
    for (const [from, to] of [[sh(2025, 6, 1), sh(2025, 6, 2)], [sh(2025, 5, 31), sh(2025, 6, 3)]]) {
      const { rows } = await pvDayRows(ctx, from, to);
      const day = rows.find((r) => r.time === sh(2025, 6, 1));
      expect(day?.fields.pr).toBeCloseTo(0.8333, 4);
      expect(day?.fields.pr_temp_corrected).toBeCloseTo(0.8762, 4);
    }
  });
});
