/** Time-of-use cost against hand-priced intervals of the Shanghai 2023 schedule (flat price 0.70 CNY/kWh in the data). */
import { describe, expect, it } from 'vitest';
import { zonedTime } from '../../core/time.ts';
import { loadReferenceData } from '../reference.ts';
import { periodEndsMin, priceAt, pricedParts, tariffOn, touCost } from './tariff.ts';

const ref = loadReferenceData();
const TZ = 'Asia/Shanghai';
const tariff = tariffOn(ref.tariffs.tariffs, '2023-07-01');

describe('time-of-use tariff', () => {
  it('finds the tariff in force by date', () => {
    expect(tariff?.id).toBe('shanghai-2023-tou');
    expect(tariffOn(ref.tariffs.tariffs, '2022-12-31')).toBeUndefined();
  });

  it('prices each period of each season', () => {
    const t = tariff!;
    // July 13:00: critical peak = 0.70 × 1.8 × 1.25 = 1.575
    expect(priceAt(t, 7, 13 * 60)).toEqual({ kind: 'critical', price_cny_per_kwh: expect.closeTo(1.575, 12) });
    // September 13:00: no critical peak in September → peak 0.70 × 1.8 = 1.26
    expect(priceAt(t, 9, 13 * 60)).toEqual({ kind: 'peak', price_cny_per_kwh: expect.closeTo(1.26, 12) });
    // March 10:00 peak 0.70 × 1.6 = 1.12; 11:00 flat 0.70; 05:00 valley 0.70 × 0.5 = 0.35
    expect(priceAt(t, 3, 10 * 60).price_cny_per_kwh).toBeCloseTo(1.12, 12);
    expect(priceAt(t, 3, 11 * 60)).toEqual({ kind: 'flat', price_cny_per_kwh: 0.7 });
    expect(priceAt(t, 3, 5 * 60).price_cny_per_kwh).toBeCloseTo(0.35, 12);
    // January 19:30: winter critical peak 1.575; 18:00 peak 1.26; 23:00 valley 0.70 × 0.4 = 0.28
    expect(priceAt(t, 1, 19 * 60 + 30).kind).toBe('critical');
    expect(priceAt(t, 1, 18 * 60).price_cny_per_kwh).toBeCloseTo(1.26, 12);
    expect(priceAt(t, 1, 23 * 60).price_cny_per_kwh).toBeCloseTo(0.28, 12);
  });

  it('splits a series into critical/peak/flat/valley', () => {
    // 2023-07-01 (local): 1 kWh at 13:00 (1.575) + 2 kWh at 09:00 (2 × 1.26 = 2.52) + 1 kWh at 07:00 (0.70)
    // + 4 kWh at 23:00 (4 × 0.28 = 1.12) → 8 kWh, 5.915 CNY
    const at = (h: number) => zonedTime(TZ, 2023, 7, 1, h);
    const r = touCost([{ time: at(13), value: 1 }, { time: at(9), value: 2 }, { time: at(7), value: 1 }, { time: at(23), value: 4 }], ref.tariffs.tariffs, TZ);
    expect(r.energy_kwh).toBe(8);
    expect(r.cost_cny).toBeCloseTo(5.915, 12);
    expect(r.by_period.critical).toEqual({ energy_kwh: 1, cost_cny: expect.closeTo(1.575, 12) });
    expect(r.by_period.peak.cost_cny).toBeCloseTo(2.52, 12);
    expect(r.by_period.valley).toEqual({ energy_kwh: 4, cost_cny: expect.closeTo(1.12, 12) });
    expect(r.warnings.map((w) => w.code)).toEqual(['tariff_unconfirmed']);
  });

  it('does not price energy before any tariff took effect, and says how much', () => {
    const r = touCost([{ time: zonedTime(TZ, 2022, 6, 1, 10), value: 3 }], ref.tariffs.tariffs, TZ);
    expect(r.cost_cny).toBe(0);
    expect(r.warnings[0]).toMatchObject({ code: 'no_tariff' });
  });

  it('splits a span where the price may change: period and critical-peak ends, local midnight', () => {
    // July: periods end at 06, 08, 15, 18, 21, 22, 24 h, the critical peak at 12 and 14 h
    expect(periodEndsMin(tariff!, 7)).toEqual([360, 480, 720, 840, 900, 1080, 1260, 1320, 1440]);
    const at = (mo: number, d: number, h: number, m: number) => zonedTime(TZ, 2025, mo, d, h, m);
    const brief = (ms: number, ms2: number) => pricedParts(ref.tariffs.tariffs, TZ, ms, ms2)
      .map((p) => [(p.to_ms - p.from_ms) / 60_000, p.date, p.price?.kind, p.price?.price_cny_per_kwh]);
    // July 1 11:58–12:03: peak 1.26 for 2 min, critical peak 1.575 for 3 min
    expect(brief(at(7, 1, 11, 58), at(7, 1, 12, 3))).toEqual([[2, '2025-07-01', 'peak', expect.closeTo(1.26, 12)], [3, '2025-07-01', 'critical', expect.closeTo(1.575, 12)]]);
    // June 30 23:58 – July 1 00:02: June's valley 0.35, then July's 0.28
    expect(brief(at(6, 30, 23, 58), at(7, 1, 0, 2))).toEqual([[2, '2025-06-30', 'valley', expect.closeTo(0.35, 12)], [2, '2025-07-01', 'valley', expect.closeTo(0.28, 12)]]);
    // a span inside one period is one part; a day without a tariff is a part without a price
    expect(brief(at(6, 30, 9, 0), at(6, 30, 10, 0))).toEqual([[60, '2025-06-30', 'peak', expect.closeTo(1.12, 12)]]);
    expect(pricedParts(ref.tariffs.tariffs, TZ, zonedTime(TZ, 2022, 12, 31, 23), zonedTime(TZ, 2023, 1, 1, 1)).map((p) => p.price?.kind)).toEqual([undefined, 'valley']);
  });
});
