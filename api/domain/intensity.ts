/**
 * Intensity indicators of public institutions (公共机构能源资源消费统计调查制度; REFERENCE §2): 人均综合能耗
 * E/P (kgce per person), 单位建筑面积能耗 E/A (kgce/m², kWh/m²), water per person (m³/person); 同比 and 环比
 * changes; rating against the 约束值/引导值 of GB/T 51161-2016 (values unconfirmed, kept in data).
 */
import { warn, type Warning } from './warnings.ts';

/** value / denominator, or null when the denominator is missing or not positive (no division into a fake figure). */
export function perUnit(value: number, denominator: number | undefined): number | null {
  return denominator !== undefined && denominator > 0 ? value / denominator : null;
}

/** Relative change in percent, (current − previous) / previous × 100; null without a positive previous value. */
export function changePct(current: number | null, previous: number | null): number | null {
  if (current === null || previous === null || previous <= 0) return null;
  return ((current - previous) / previous) * 100;
}

/** The same period one year earlier (同比): same local calendar dates, year − 1. */
export function samePeriodLastYear(from: { year: number; month: number; day: number }, to: { year: number; month: number; day: number }) {
  return { from: { ...from, year: from.year - 1 }, to: { ...to, year: to.year - 1 } };
}

/** Rating of an annual electricity intensity (kWh/m²·a) against the standard's limit (约束值) and target (引导值). */
export type Rating = 'at_or_below_target' | 'between_target_and_limit' | 'above_limit';

/**
 * Rate an intensity over a period against annual limits. A period shorter than a year is compared with the limit
 * pro-rated by days (a seasonal building will be mis-rated: warned), since the standard's values are per year.
 */
export function rateIntensity(intensity_per_m2: number, days: number, daysInYear: number, limits: { limit: number; target: number }):
  { rating: Rating; limit: number; target: number; warnings: Warning[] } {
  const factor = days / daysInYear;
  const limit = limits.limit * factor;
  const target = limits.target * factor;
  const warnings: Warning[] = [];
  if (Math.abs(factor - 1) > 0.01) {
    warnings.push(warn('prorated_limits', `the standard's limits are annual; they were pro-rated to ${days.toFixed(1)} of ${daysInYear} days, which ignores seasonality`));
  }
  const rating: Rating = intensity_per_m2 <= target ? 'at_or_below_target' : intensity_per_m2 <= limit ? 'between_target_and_limit' : 'above_limit';
  return { rating, limit, target, warnings };
}
