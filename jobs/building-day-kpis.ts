/**
 * The per-day building figures the boards need beyond quantities and standard coal (decision 0408), from one read
 * of the building's 15-minute electricity (its root meters, decision 0404) with the API's domain functions:
 * cost by time-of-use tariff (`touCost`, as `GET /buildings/{id}/cost`) plus water and gas at their prices,
 * energy per local clock hour (`kwh_h00` … `kwh_h23`, the day × hour heat map), night base load (mean kW over
 * 22:00–06:00 of the day), the day's mean kW, whether it is a working day (holiday calendar) and the base load as
 * the base-load alert rule judges it (night on working days, whole day otherwise), and the GB/T 51161 limit
 * and target of the building class pro-rated to one day (`rateIntensity`).
 */
import type { Building, Medium } from '../core/site/schema.ts';
import { localParts } from '../core/time.ts';
import { daysInYear, isWorkingDay, meanPowerKw, periodStart, rateIntensity, touCost, type WorkCalendar } from '../api/domain/index.ts';
import type { ReferenceData } from '../api/reference.ts';
import { localDate } from '../core/time.ts';
import type { SeriesPoint } from '../api/series.ts';

/** Night hours, local [from, 24) and [0, to): the base-load alert rule's default night (alerts/kpi/compute.ts). */
export const NIGHT_HOURS = { from: 22, to: 6 } as const;

/** The price of a medium in force on a local date, as `GET /buildings/{id}/cost` picks it. */
export function priceOn(reference: ReferenceData, medium: Medium, date: string): number | undefined {
  return reference.tariffs.prices.filter((p) => p.medium === medium && p.effective_from <= date)
    .sort((a, b) => a.effective_from.localeCompare(b.effective_from)).at(-1)?.cny_per_unit;
}

/** Fields per local day (local midnight → fields) of one building. */
export function buildingDayFields(args: {
  building: Building; quarterHours: SeriesPoint[]; daily: Map<number, Partial<Record<Medium, number>>>;
  reference: ReferenceData; calendar: WorkCalendar; tz: string;
}): Map<number, Record<string, number>> {
  const { building, reference, calendar, tz } = args;
  const byDay = new Map<number, SeriesPoint[]>();
  for (const p of args.quarterHours) {
    const day = periodStart(p.time, tz, 'day');
    const list = byDay.get(day);
    if (list) list.push(p); else byDay.set(day, [p]);
  }
  const limits = building.building_class ? reference.limits.classes[building.building_class] : undefined;
  const out = new Map<number, Record<string, number>>();
  for (const [day, q] of args.daily) {
    const fields: Record<string, number> = { working_day: isWorkingDay(day + 12 * 3_600_000, tz, calendar).working ? 1 : 0 };
    const quarters = byDay.get(day) ?? [];
    let cost = 0;
    if (quarters.length > 0) {
      const e = touCost(quarters, reference.tariffs.tariffs, tz);
      fields.electricity_cost_cny = e.cost_cny;
      cost += e.cost_cny;
      const hours = new Map<number, number>(), counts = new Map<number, number>();
      for (const p of quarters) {
        const h = localParts(p.time, tz).hour;
        hours.set(h, (hours.get(h) ?? 0) + p.value);
        counts.set(h, (counts.get(h) ?? 0) + 1);
      }
      for (const [h, v] of hours) fields[`kwh_h${String(h).padStart(2, '0')}`] = v;
      // an hour's kWh is its mean kW only when its four quarter-hours are there; base load as the base-load alert
      // rule takes it (meanPowerKw), and like it only from at least half the hours judged
      const whole = [...hours].filter(([h]) => counts.get(h) === 4);
      const atLeastHalf = (list: number[], of: number) => (list.length * 2 >= of ? meanPowerKw(list) : null);
      const night = atLeastHalf(whole.filter(([h]) => h >= NIGHT_HOURS.from || h < NIGHT_HOURS.to).map(([, v]) => v), 24 - NIGHT_HOURS.from + NIGHT_HOURS.to);
      const day = atLeastHalf(whole.map(([, v]) => v), 24);
      if (night !== null) fields.night_base_kw = night;
      if (day !== null) fields.day_mean_kw = day;
      const base = fields.working_day === 1 ? night : day;
      if (base !== null) fields.base_load_kw = base;
    }
    for (const medium of ['water', 'gas'] as const) {
      const quantity = q[medium];
      const price = priceOn(reference, medium, localDate(day, tz));
      if (quantity !== undefined && price !== undefined) cost += quantity * price;
    }
    fields.cost_cny = cost;
    if (limits) {
      const r = rateIntensity(0, 1, daysInYear(day, tz), limits);
      fields.electricity_limit_kwh_per_m2 = r.limit;
      fields.electricity_target_kwh_per_m2 = r.target;
    }
    out.set(day, fields);
  }
  return out;
}
