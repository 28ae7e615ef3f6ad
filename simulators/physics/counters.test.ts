/**
 * Every simulated counter of the demo site against the range its template declares (as the collector judges it,
 * collector/point-rules.ts): the register seeded at the counter origin holds enough years of the meter's use that
 * a backfill reaching two years before the origin still reads inside the range (a real register never goes below
 * zero), and ten years of growth after it stay inside too (no register of the demo wraps in that time; one that
 * did would need its template's `rollover`).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { devicePointRules } from '../../collector/point-rules.ts';
import { loadSite } from '../../core/site/load.ts';
import { buildSitePhysics } from './site.ts';
import { COUNTER_ORIGIN_MS } from './series.ts';

const DAY = 86_400_000;
const site = loadSite(join(import.meta.dirname, '..', '..', 'config', 'demo-site.yaml'));

describe('simulated counters against their templates', () => {
  it('read inside the declared range from two years before the origin to ten years after it', () => {
    const physics = buildSitePhysics(site, 1);
    const checked: string[] = [];
    const outside: string[] = [];
    for (const device of site.devices) {
      const sim = physics.get(device.id);
      const rules = devicePointRules(device);
      if (!sim || !rules.counterPoint) continue;
      const at = (ms: number) => sim.read(ms)[rules.counterPoint!];
      if (at(COUNTER_ORIGIN_MS) === undefined) continue;
      const [min, max] = rules.points.get(rules.counterPoint)!;
      const earliest = at(COUNTER_ORIGIN_MS - 730 * DAY);
      const yearly = at(COUNTER_ORIGIN_MS) - at(COUNTER_ORIGIN_MS - 365 * DAY);
      const tenYears = at(COUNTER_ORIGIN_MS) + 10 * yearly;
      checked.push(device.id);
      if (!(earliest >= min)) outside.push(`${device.id}.${rules.counterPoint} two years back = ${earliest} < ${min}`);
      if (rules.counterRollover === undefined && !(tenYears <= max)) outside.push(`${device.id}.${rules.counterPoint} in ten years ≈ ${tenYears} > ${max}`);
    }
    expect(outside).toEqual([]);
    expect(checked).toEqual(expect.arrayContaining(['centre-b1-main', 'centre-b1-water', 'centre-b1-gas', 'service-centre-gas']));
  }, 60_000);
});
