/** Energy ownership: gateways whose meters meet in a rollup are owned together. */
import { describe, expect, it } from 'vitest';
import { fnv1a, ownershipUnits, ownsGateway, parsePartition } from './partition.ts';
import { collectorTestSite } from './testing/site.ts';

describe('partitions', () => {
  it('parses k/N', () => {
    expect(parsePartition('1/3')).toEqual({ index: 1, count: 3 });
    expect(parsePartition('3/3')).toBeUndefined();
    expect(parsePartition('x')).toBeUndefined();
  });

  it('hashes stably (FNV-1a test vector)', () => {
    expect(fnv1a('a')).toBe(0xe40c292c);
  });

  it('keeps gateways that share a rollup in one unit', () => {
    const site = collectorTestSite();
    expect([...ownershipUnits(site)]).toEqual([['gw1', 'gw1'], ['gw2', 'gw2']]);
    // move the hvac meter to gw2: building b1's rollups now span gw1 and gw2, so they become one unit
    site.devices = site.devices.map((d) => (d.id === 'hvac' ? { ...d, gateway: 'gw2' } : d));
    const units = ownershipUnits(site);
    expect(units.get('gw2')).toBe('gw1');
    for (const k of [0, 1]) expect(ownsGateway({ index: k, count: 2 }, 'gw1', units)).toBe(ownsGateway({ index: k, count: 2 }, 'gw2', units));
  });
});
