import { describe, expect, it } from 'vitest';
import { minimalReadCount, planReads, type Span } from './planner.ts';

/** Deterministic pseudo-random numbers (mulberry32), so a failure is reproducible. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function covers(spans: Span[], reads: ReturnType<typeof planReads>, cap: number): void {
  spans.forEach((s, i) => {
    const r = reads.find((x) => x.spans.includes(i));
    expect(r, `span ${i}`).toBeDefined();
    expect(r!.register).toBe(s.register);
    expect(s.address).toBeGreaterThanOrEqual(r!.address);
    expect(s.address + s.count).toBeLessThanOrEqual(r!.address + r!.count);
  });
  for (const r of reads) expect(r.count).toBeLessThanOrEqual(r.register === 'coil' || r.register === 'discrete' ? 2000 : cap);
}

describe('read planner', () => {
  it('merges neighbours within the gap and splits across it and the cap', () => {
    const spans: Span[] = [
      { register: 'holding', address: 0, count: 2 },
      { register: 'holding', address: 10, count: 2 }, // gap 8 ≤ 10: merged
      { register: 'holding', address: 30, count: 2 }, // gap 18 > 10: new read
      { register: 'input', address: 0, count: 2 }, // other function code: its own read
      { register: 'holding', address: 150, count: 2 }, // would pass 125 from 30? gap too anyway
    ];
    const reads = planReads(spans);
    expect(reads.map((r) => [r.register, r.address, r.count])).toEqual([
      ['holding', 0, 12], ['holding', 30, 2], ['holding', 150, 2], ['input', 0, 2],
    ]);
    expect(planReads(spans, { maxGap: 0 }).length).toBe(5);
    expect(planReads(spans, { maxGap: 200 }).map((r) => r.count)).toEqual([32, 2, 2]);
    expect(planReads(spans, { maxGap: 200, maxRegisters: 20 }).length).toBe(4);
  });

  it('a value wider than the cap is a clear error', () => {
    expect(() => planReads([{ register: 'holding', address: 0, count: 4 }], { maxRegisters: 2 })).toThrow(/exceeds the 2-register cap/);
  });

  it('is minimal: equals the exhaustive optimum on 500 random register maps', () => {
    const rand = rng(42);
    for (let n = 0; n < 500; n++) {
      const cap = 4 + Math.floor(rand() * 40);
      const maxGap = Math.floor(rand() * 12);
      const spans: Span[] = [];
      let addr = Math.floor(rand() * 5);
      const items = 1 + Math.floor(rand() * 25);
      for (let i = 0; i < items; i++) {
        const count = [1, 2, 2, 4][Math.floor(rand() * 4)];
        spans.push({ register: rand() < 0.8 ? 'holding' : 'input', address: addr, count });
        addr += count + Math.floor(rand() * rand() * 30);
      }
      const reads = planReads(spans, { maxRegisters: cap, maxGap });
      covers(spans, reads, cap);
      expect(reads.length, JSON.stringify({ spans, cap, maxGap })).toBe(minimalReadCount(spans, { maxRegisters: cap, maxGap }));
    }
  });

  it('plans a 200-meter-like map in the fewest reads (SDM630: 0x0000–0x004B and 0x0156 → 2 reads)', () => {
    const addrs = [0, 2, 4, 6, 8, 10, 12, 14, 16, 0x34, 0x3e, 0x46, 0x48, 0x4a, 0x156];
    const spans: Span[] = addrs.map((a) => ({ register: 'input', address: a, count: 2 }));
    // 0x10→0x34 is a 34-register gap: with the default gap 10 that is 3 reads; allowing 40 it is 2
    expect(planReads(spans).length).toBe(minimalReadCount(spans));
    expect(planReads(spans, { maxGap: 40 }).length).toBe(2);
  });
});
