/**
 * The daily KPI write-back as a job of its own (decision 0406): `jieneng kpi writeback` over a range and on a
 * schedule, on each storage adapter, from the building totals of the fixture's rows (worked in the comments).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeSiteFile } from '../collector/testing/process.ts';
import { fixtureSite, monthsOfDailyRollups, sh, withBuildingRollups } from '../api/testing/fixture.ts';
import { openFilled, storageBackends } from '../api/testing/backends.ts';
import type { Storage } from '../storage/port.ts';
import { kpiCli, parseDuration } from './cli.ts';
import { kpiSources, recentDays, scheduleKpiWriteBack } from './kpi-writeback.ts';

describe('kpi job arguments', () => {
  it('reads durations and the recent local days', () => {
    expect([parseDuration('15m'), parseDuration('1h'), parseDuration('30s'), parseDuration('15')]).toEqual([900_000, 3_600_000, 30_000, NaN]);
    // 2 days back at 2025-01-03 12:00 Shanghai: 2025-01-02 00:00 … 2025-01-04 00:00 local
    expect(recentDays(sh(2025, 1, 3, 12), 'Asia/Shanghai', 2)).toEqual({ from: sh(2025, 1, 2), to: sh(2025, 1, 4) });
  });
});

for (const backend of storageBackends()) {
  describe(`kpi write-back on ${backend.name}`, () => {
    let storage: Storage;
    let cleanup: () => Promise<void> = async () => {};
    beforeAll(async () => {
      ({ storage, cleanup } = await openFilled(backend, withBuildingRollups(monthsOfDailyRollups())));
    }, 60_000);
    afterAll(async () => { await cleanup(); });

    const b1Row = async (day: number) => storage.raw({ measurement: 'kpi_1d', from: day, to: day + 86_400_000, where: { scope: 'building', id: 'b1' } });

    it('writes a range once, as `jieneng kpi writeback --from --to` runs it', async () => {
      const siteFile = writeSiteFile(mkdtempSync(join(tmpdir(), 'jieneng-kpi-')), fixtureSite());
      // the command closes the store it opens: hand it this one with a close that leaves it open for the checks
      const view = new Proxy(storage, { get: (t, k: keyof Storage) => (k === 'close' ? async () => {} : typeof t[k] === 'function' ? (t[k] as (...a: unknown[]) => unknown).bind(t) : t[k]) });
      const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      let code: number, printed: string;
      try {
        code = await kpiCli(['writeback', '--site', siteFile, '--from', '2025-01-01', '--to', '2025-01-03'], { openStore: async () => view });
        printed = String(out.mock.calls.at(-1)?.[0]);
      } finally {
        out.mockRestore();
        rmSync(dirname(siteFile), { recursive: true, force: true });
      }
      expect(code).toBe(0);
      // b1 on two days and the site's two rows (b2 has no rows in January)
      expect(printed).toMatch(/^kpi_1d: 4 rows written for /);
      const [row] = await b1Row(sh(2025, 1, 1));
      // 150 kWh × 0.1229 + 10 m³ gas × 1.2143 = 18.435 + 12.143 = 30.578 kgce; / 1 000 m²; / 80 people
      expect(row.fields.energy_kgce).toBeCloseTo(30.578, 6);
      expect(row.fields.energy_kgce_per_m2).toBeCloseTo(0.030578, 9);
      expect(row.fields.energy_kgce_per_person).toBeCloseTo(0.382225, 6);
    });

    it('recomputes the recent days on its own schedule', async () => {
      const job = scheduleKpiWriteBack(kpiSources(fixtureSite(), storage), { every_ms: 3_600_000, days_back: 2, first_ms: 10, now: () => sh(2025, 1, 13, 12) });
      try {
        // days_back 2 at 2025-01-13 12:00 local: 2025-01-12 and 2025-01-13 (b1: 30.578 kgce a day)
        let rows: Awaited<ReturnType<Storage['raw']>> = [];
        for (let i = 0; i < 100 && rows.length === 0; i++) {
          await new Promise((r) => setTimeout(r, 100));
          rows = await b1Row(sh(2025, 1, 13));
        }
        expect(rows[0]?.fields.energy_kgce).toBeCloseTo(30.578, 6);
        expect(await b1Row(sh(2025, 1, 11))).toEqual([]);
      } finally {
        await job.stop();
      }
    });
  });
}
