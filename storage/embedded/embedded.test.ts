/** The embedded store against the storage contract, plus what only it has: tier rollups and its file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { storageContract } from '../contract.suite.ts';
import type { AggregateQuery, StoredPoint } from '../port.ts';
import { openEmbeddedStorage } from './store.ts';
import { dayTier, HOUR_TIER } from './rollups.ts';

const dir = mkdtempSync(join(tmpdir(), 'jieneng-embedded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storageContract('embedded SQLite', { open: async () => openEmbeddedStorage({ path: join(dir, 'contract', 'jieneng.sqlite') }) });

describe('embedded tier rollups', () => {
  const H = 3_600_000, D = 24 * H;
  const day0 = Date.UTC(2024, 11, 31, 16);
  const points: StoredPoint[] = [];
  for (let m = 0; m < 4; m++) {
    for (let i = 0; i < 40 * 96; i++) points.push({ measurement: 'energy_15m', tags: { meter: `m${m}` }, fields: { energy_kwh: ((i * 7 + m * 13) % 17) / 8 }, time: day0 + i * 15 * 60_000 });
  }
  const queries: AggregateQuery[] = (['sum', 'mean', 'min', 'max', 'first', 'last', 'count'] as const).flatMap((fn) => [
    { measurement: 'energy_15m', field: 'energy_kwh', fn, from: day0 + 5 * H + 17, to: day0 + 33 * D + 7 * H, every_ms: D, offset_ms: -8 * H, group_by: ['meter'] },
    { measurement: 'energy_15m', field: 'energy_kwh', fn, from: day0 - D, to: day0 + 50 * D, every_ms: H },
    { measurement: 'energy_15m', field: 'energy_kwh', fn, from: day0 + 30 * 60_000, to: day0 + 20 * D, every_ms: 7 * D, offset_ms: -8 * H },
    { measurement: 'energy_15m', field: 'energy_kwh', fn, from: day0 + 1, to: day0 + 39 * D, where: { meter: ['m1', 'm3'] } },
  ]);

  it('answers from tiers exactly what raw rows give, also after rewrites', async () => {
    const tiered = openEmbeddedStorage({ path: join(dir, 'tiered.sqlite'), tiers: [HOUR_TIER, dayTier(8 * H)] });
    const rawOnly = openEmbeddedStorage({ path: join(dir, 'raw.sqlite'), tiers: [] });
    try {
      for (const s of [tiered, rawOnly]) await s.write(points);
      // late corrections: rewrite some rows with other values (min/max must be recomputed, not added)
      const fixes = points.filter((_, i) => i % 97 === 0).map((p) => ({ ...p, fields: { energy_kwh: 5 - (p.fields.energy_kwh as number) } }));
      for (const s of [tiered, rawOnly]) await s.write(fixes);
      for (const q of queries) expect(await tiered.aggregate(q), JSON.stringify(q)).toEqual(await rawOnly.aggregate(q));
    } finally {
      await tiered.close();
      await rawOnly.close();
    }
  });

  it('rebuilds the tiers when the file is opened with other tiers', async () => {
    const path = join(dir, 'retier.sqlite');
    const first = openEmbeddedStorage({ path, tiers: [] });
    await first.write(points);
    await first.close();
    const again = openEmbeddedStorage({ path });
    const reference = openEmbeddedStorage({ path: join(dir, 'retier-ref.sqlite'), tiers: [] });
    await reference.write(points);
    try {
      for (const q of queries) expect(await again.aggregate(q)).toEqual(await reference.aggregate(q));
    } finally {
      await again.close();
      await reference.close();
    }
  });

  it('keeps data across reopen and refuses a closed store', async () => {
    const path = join(dir, 'reopen.sqlite');
    const a = openEmbeddedStorage({ path });
    await a.write(points.slice(0, 10));
    await a.close();
    await expect(a.aggregate(queries[0])).rejects.toThrow(/closed/);
    const b = openEmbeddedStorage({ path });
    expect((await b.raw({ measurement: 'energy_15m', from: day0, to: day0 + D })).length).toBe(10);
    await b.close();
  });
});
