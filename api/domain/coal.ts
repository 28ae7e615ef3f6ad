/**
 * Comprehensive energy in standard coal (综合能耗), GB/T 2589-2020 综合能耗计算通则: each energy kind's quantity
 * times its conversion coefficient, summed. 1 kgce = 29 307 kJ. Coefficients are dated data
 * (config/reference/standard-coal.yaml), never constants in code.
 */
import type { Medium } from '../../core/site/schema.ts';
import type { StandardCoalFile } from '../reference.ts';
import { warn, type Warning } from './warnings.ts';

/** Electricity conversion basis: 当量值 (equivalent, calorific, the default) or 等价值 (equal, primary energy). */
export type ElectricityBasis = 'equivalent' | 'equal';

/** Coefficients in kgce per unit of each medium's interval quantity (kWh, m³ …). */
export interface CoalCoefficients {
  kgce_per_unit: Partial<Record<Medium, number>>;
  basis: ElectricityBasis;
  standard: string;
  unconfirmed: boolean;
}

/**
 * The coefficients in force on a date (`YYYY-MM-DD`, the period start) for a reporting year. With the equal-value
 * basis, electricity uses the coefficient configured for that year (the previous year's average coal consumption
 * of thermal power supply); a missing year falls back to the latest earlier year, with a warning.
 */
export function coalCoefficients(ref: StandardCoalFile, date: string, year: number, basis: ElectricityBasis = 'equivalent'): { coefficients: CoalCoefficients; warnings: Warning[] } {
  const warnings: Warning[] = [];
  const editions = [...ref.editions].sort((a, b) => a.effective_from.localeCompare(b.effective_from));
  let edition = editions.filter((e) => e.effective_from <= date).at(-1);
  if (!edition) {
    edition = editions[0];
    warnings.push(warn('coefficients_before_edition', `${date} is before ${edition.standard} took effect (${edition.effective_from}); its coefficients are used`));
  }
  const kgce: Partial<Record<Medium, number>> = {};
  for (const [medium, c] of Object.entries(edition.media)) kgce[medium as Medium] = c.kgce_per_unit;
  let unconfirmed = edition.unconfirmed === true;
  if (basis === 'equal') {
    const rows = [...ref.electricity_equal_value].sort((a, b) => a.year - b.year);
    const row = rows.find((r) => r.year === year) ?? rows.filter((r) => r.year < year).at(-1);
    if (!row) {
      warnings.push(warn('no_equal_value_coefficient', `no 等价值 coefficient configured for ${year} or earlier; electricity left at 当量值`));
    } else {
      if (row.year !== year) warnings.push(warn('equal_value_from_other_year', `no 等价值 coefficient for ${year}; the ${row.year} value ${row.kgce_per_kwh} kgce/kWh is used`));
      kgce.electricity = row.kgce_per_kwh;
      unconfirmed ||= row.unconfirmed === true;
    }
  }
  return { coefficients: { kgce_per_unit: kgce, basis, standard: edition.standard, unconfirmed }, warnings };
}

/** One energy kind's line of a comprehensive-energy result. */
export interface CoalLine {
  quantity: number;
  kgce_per_unit: number;
  kgce: number;
}

/**
 * Σ quantity × coefficient (GB/T 2589-2020 §4). A medium without a coefficient is left out and warned about,
 * never converted with zero silently. Water carries 0 (a resource, not energy, for public institutions).
 */
export function standardCoal(quantities: Partial<Record<Medium, number>>, c: CoalCoefficients): { by_medium: Partial<Record<Medium, CoalLine>>; total_kgce: number; warnings: Warning[] } {
  const by_medium: Partial<Record<Medium, CoalLine>> = {};
  const warnings: Warning[] = [];
  let total = 0;
  for (const [medium, quantity] of Object.entries(quantities) as [Medium, number][]) {
    const k = c.kgce_per_unit[medium];
    if (k === undefined) {
      warnings.push(warn('no_coal_coefficient', `no standard-coal coefficient for ${medium}; it is not in the total`));
      continue;
    }
    by_medium[medium] = { quantity, kgce_per_unit: k, kgce: quantity * k };
    total += quantity * k;
  }
  return { by_medium, total_kgce: total, warnings };
}
