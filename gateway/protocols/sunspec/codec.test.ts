import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from './codec.ts';
import { modelLayout, shippedModels } from './models.ts';

const m103 = modelLayout(103)!;
const offset = (name: string) => m103.points.find((p) => p.name === name)!.offset;

describe('SunSpec model layouts from the official definitions', () => {
  it('places model 103 points where the specification does (REFERENCE §8)', () => {
    expect([offset('A'), offset('A_SF'), offset('PhVphA'), offset('V_SF'), offset('W'), offset('W_SF'), offset('Hz')]).toEqual([2, 6, 10, 13, 14, 15, 16]);
    expect([offset('WH'), offset('WH_SF'), offset('DCW'), offset('TmpCab'), offset('Tmp_SF'), offset('St'), offset('Evt1')]).toEqual([24, 26, 31, 33, 37, 38, 40]);
    expect(m103.fixedLength - 2).toBe(50); // L of model 103
    expect(modelLayout(1)!.fixedLength - 2).toBe(66);
  });

  it('lays out model 160 as a fixed part and 20-register MPPT blocks', () => {
    const m160 = modelLayout(160)!;
    expect(m160.fixedLength).toBe(10);
    expect(m160.block!.length).toBe(20);
    expect(m160.block!.points.map((p) => p.name)).toEqual(['ID', 'IDStr', 'DCA', 'DCV', 'DCW', 'DCWH', 'Tms', 'Tmp', 'DCSt', 'DCEvt']);
  });

  it('loads every shipped definition', () => {
    for (const id of shippedModels()) expect(modelLayout(id)!.id).toBe(id);
  });
});

describe('decoding', () => {
  /** Model 103 registers with chosen raw values; everything else left "not implemented" style zeros. */
  function words103(set: Record<string, number[]>): number[] {
    const w = new Array<number>(52).fill(0);
    w[0] = 103; w[1] = 50;
    for (const [name, vals] of Object.entries(set)) vals.forEach((v, i) => { w[offset(name) + i] = v; });
    return w;
  }

  it('applies scale factors: raw × 10^SF', () => {
    const d = decodeModel(m103, words103({ W: [4523], W_SF: [1], Hz: [50012], Hz_SF: [0xfffd], WH: [0x0001, 0x86a0], WH_SF: [0], TmpCab: [0xff9c], Tmp_SF: [0xffff] }), 40069);
    expect(d.points.W).toBe(45230); // 4523 × 10^1 W
    expect(d.points.Hz).toBeCloseTo(50.012, 6); // 50012 × 10^-3 Hz
    expect(d.points.WH).toBe(100_000); // acc32 0x000186A0 Wh
    expect(d.points.TmpCab).toBeCloseTo(-10, 6); // int16 −100 × 10^-1 °C
    expect(d.address).toBe(40069);
  });

  it('turns not-implemented markers into null, never zero', () => {
    const d = decodeModel(m103, words103({
      W: [0x8000], W_SF: [0], // int16 not implemented
      AphA: [0xffff], A_SF: [0xfffe], // uint16 not implemented
      WH: [0, 0], WH_SF: [0], // acc32 0 = not implemented
      Hz: [5000], Hz_SF: [0x8000], // scale factor not implemented → the value is unusable
      St: [0xffff], // enum16
      Evt1: [0xffff, 0xffff], // bitfield32
    }), 40069);
    expect(d.points.W).toBeNull();
    expect(d.points.AphA).toBeNull();
    expect(d.points.WH).toBeNull();
    expect(d.points.Hz).toBeNull();
    expect(d.points.St).toBeNull();
    expect(d.points.Evt1).toBeNull();
  });

  it('decodes strings and walks repeating blocks by the reported length', () => {
    const m1 = modelLayout(1)!;
    const words = encodeModel(m1, { points: { Mn: 'Jieneng', Md: 'SIM-50K', SN: 'SN0001', DA: 3 } });
    const d = decodeModel(m1, words, 40002);
    expect(d.points).toMatchObject({ Mn: 'Jieneng', Md: 'SIM-50K', SN: 'SN0001', DA: 3, Opt: null });
    const m160 = modelLayout(160)!;
    const blocks = [1, 2, 3].map((n) => ({ ID: n, IDStr: `MPPT ${n}`, DCW: 1000 * n, DCV: 600.5, DCA: 1.5 * n, DCWH: 123_456 * n }));
    const w160 = encodeModel(m160, { points: { N: 3 }, blocks });
    expect(w160[1]).toBe(8 + 3 * 20);
    const d160 = decodeModel(m160, w160, 0);
    expect(d160.blocks).toHaveLength(3);
    expect(d160.blocks[2]).toMatchObject({ ID: 3, IDStr: 'MPPT 3', DCW: 3000, DCV: 600.5, DCA: 4.5, DCWH: 370_368 });
  });

  it('round-trips values through encode and decode within the scale resolution', () => {
    const values = { W: 45_678, WH: 123_456_789, Hz: 50.01, PhVphA: 221.3, A: 66.2, TmpCab: 41.27, St: 4, PF: 99.5, DCW: 47_000 };
    const d = decodeModel(m103, encodeModel(m103, { points: values }), 0);
    for (const [k, v] of Object.entries(values)) expect(Math.abs((d.points[k] as number) - v), k).toBeLessThanOrEqual(Math.abs(v) * 1e-3 + 1e-9);
  });
});
