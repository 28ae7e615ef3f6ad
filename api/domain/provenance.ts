/**
 * Provenance of interval energy (issue 12): how much of a figure is estimated, and which share of the 15-minute
 * intervals it should hold were measured. The collector counts, per stored row, the 15-minute meter-intervals
 * it adds up and how many of them hold an estimate (a gap spread over them, a reset); these functions turn the
 * sums of those counts over a period into `coverage` and `complete` (worked examples in docs/formulas.md).
 */

/** The 15-minute interval of the collector's rollups (decision 0300). */
export const INTERVAL_MS = 15 * 60_000;

/** Sums over a period of the provenance fields of its rows. */
export interface Provenance {
  /** the quantity of the intervals that hold an estimate, in the quantity's unit */
  estimated: number;
  /** 15-minute meter-intervals present (a meter's interval is present once a segment of its counter covers it) */
  intervals: number;
  /** of which hold an estimate */
  intervals_estimated: number;
}

/** Intervals a period should hold: each meter's 15-minute intervals over [from, to). */
export function expectedIntervals(from: number, to: number, meters: number): number {
  return to > from ? meters * Math.ceil((to - from) / INTERVAL_MS) : 0;
}

/**
 * coverage = measured intervals / expected intervals, with measured = present − estimated (0 when nothing is
 * expected); complete = every expected interval is present (estimated ones included: an estimate fills a gap, it
 * is not a missing interval). 73 of 96 quarter-hours of one meter's day: coverage 0.7604, not complete.
 */
export function coverageOf(p: Provenance, expected: number): { coverage: number; complete: boolean } {
  if (expected <= 0) return { coverage: 0, complete: false };
  const measured = Math.max(0, p.intervals - p.intervals_estimated);
  return { coverage: Math.min(1, measured / expected), complete: p.intervals >= expected };
}

/** Add provenance sums. */
export function addProvenance(a: Provenance, b: Provenance): Provenance {
  return { estimated: a.estimated + b.estimated, intervals: a.intervals + b.intervals, intervals_estimated: a.intervals_estimated + b.intervals_estimated };
}

/** Nothing present. */
export const NO_PROVENANCE: Provenance = Object.freeze({ estimated: 0, intervals: 0, intervals_estimated: 0 });
