/** The boards' per-day building figures on a hand-worked day (docs/formulas.md, "Board figures"). */
import { describe, expect, it } from 'vitest';
import { zonedTime } from '../core/time.ts';
import { workCalendar } from '../api/domain/calendar.ts';
import { loadReferenceData } from '../api/reference.ts';
import { buildingDayFields } from './building-day-kpis.ts';

const TZ = 'Asia/Shanghai';
const reference = loadReferenceData();

describe('building day figures', () => {
  it('works out cost, hourly shape, base load and the pro-rated limit of Wednesday 4 March 2026', () => {
    const day = zonedTime(TZ, 2026, 3, 4);
    // 1 kWh in every quarter-hour, 5 kWh in each of 10:00–11:00: hours of 4 kWh, hour 10 of 20 kWh, 112 kWh in all
    const quarterHours = Array.from({ length: 96 }, (_, i) => ({ time: day + i * 900_000, value: i >= 40 && i < 44 ? 5 : 1 }));
    const fields = buildingDayFields({
      building: { id: 'b', name: 'b', floor_area_m2: 1000, building_class: 'A-government-office' },
      quarterHours, daily: new Map([[day, { electricity: 112, water: 10, gas: 2 }]]),
      reference, calendar: workCalendar(reference.holidays.years), tz: TZ,
    }).get(day)!;
    expect(fields.kwh_h10).toBe(20);
    expect(fields.kwh_h09).toBe(4);
    // night hours 22–24 and 0–6: 8 hours of 4 kWh → 4 kW; the day 112 kWh / 24 h
    expect(fields.night_base_kw).toBe(4);
    expect(fields.day_mean_kw).toBeCloseTo(112 / 24, 10);
    expect(fields.working_day).toBe(1);
    expect(fields.base_load_kw).toBe(4); // a working day: the night's
    // March is shoulder season, flat 0.70 CNY/kWh: valley ×0.5 00–06 and 22–24 (32 kWh → 11.20), flat 06–08,
    // 11–18, 21–22 (40 kWh → 28.00), peak ×1.6 08–11 and 18–21 (40 kWh → 44.80): 84.00; water 10 m³ × 5.50,
    // gas 2 m³ × 4.50
    expect(fields.electricity_cost_cny).toBeCloseTo(84, 6);
    expect(fields.cost_cny).toBeCloseTo(84 + 55 + 9, 6);
    // GB/T 51161 A-class government office: 70 / 55 kWh/(m²·a) over the 365 days of 2026
    expect(fields.electricity_limit_kwh_per_m2).toBeCloseTo(70 / 365, 10);
    expect(fields.electricity_target_kwh_per_m2).toBeCloseTo(55 / 365, 10);
  });

  it('takes the whole day as the base load of a Sunday', () => {
    const day = zonedTime(TZ, 2026, 3, 8);
    const quarterHours = Array.from({ length: 96 }, (_, i) => ({ time: day + i * 900_000, value: i < 24 ? 1 : 2 }));
    const fields = buildingDayFields({
      building: { id: 'b', name: 'b', floor_area_m2: 1000 }, quarterHours, daily: new Map([[day, { electricity: 168 }]]),
      reference, calendar: workCalendar(reference.holidays.years), tz: TZ,
    }).get(day)!;
    expect(fields.working_day).toBe(0);
    expect(fields.base_load_kw).toBeCloseTo(168 / 24, 10); // 24 kWh in 00–06 + 144 kWh after, over 24 h
    expect(fields.night_base_kw).toBeCloseTo((24 + 16) / 8, 10); // 00–06: 24 kWh; 22–24: 2 × 8 kWh
    expect(fields.electricity_limit_kwh_per_m2).toBeUndefined(); // no building class
  });

  it('takes base load only from whole hours, and only when at least half the hours are whole', () => {
    const day = zonedTime(TZ, 2026, 3, 4);
    // 2 kWh a quarter-hour (8 kW); hour 00 whole, hour 01 only its first quarter-hour (2 kWh: not its mean kW),
    // hours 02–05 and 22–23 missing, 06–21 whole: of the 8 night hours only 00 is whole → no night base load
    const kept = (i: number) => i < 4 || i === 4 || (i >= 24 && i < 88);
    const quarterHours = Array.from({ length: 96 }, (_, i) => ({ time: day + i * 900_000, value: 2 })).filter((_, i) => kept(i));
    const fields = buildingDayFields({
      building: { id: 'b', name: 'b', floor_area_m2: 1000 }, quarterHours, daily: new Map([[day, { electricity: 2 * quarterHours.length }]]),
      reference, calendar: workCalendar(reference.holidays.years), tz: TZ,
    }).get(day)!;
    expect(fields.kwh_h01).toBe(2);
    expect(fields.night_base_kw).toBeUndefined();
    expect(fields.base_load_kw).toBeUndefined(); // a working day: the night's, which is not known
    // whole hours 00 and 06–21: 17 of 24, each 8 kWh → 8 kW (the partial hour 01 would have pulled it to 7.61 kW)
    expect(fields.day_mean_kw).toBe(8);
  });
});
