/**
 * Linear apportioning of the energy between two counter readings to fixed intervals aligned to the UTC epoch.
 * A counter only says how much flowed between two instants; without a finer record the only unbiased split is
 * proportional to time (the assumption of constant power between readings, as in EN 62053 pulse integration).
 */

/** Visit each interval [start, start + interval_ms) that overlaps (from_ms, to_ms] with its share of `quantity`. */
export function apportion(
  from_ms: number,
  to_ms: number,
  quantity: number,
  interval_ms: number,
  visit: (start_ms: number, share: number) => void,
): void {
  const span_ms = to_ms - from_ms;
  if (span_ms <= 0) return;
  let start = Math.floor(from_ms / interval_ms) * interval_ms;
  // Walk whole intervals; the last one is closed by to_ms. Shares of a segment inside one interval are exact.
  while (start < to_ms) {
    const end = start + interval_ms;
    const overlap = Math.min(end, to_ms) - Math.max(start, from_ms);
    if (overlap > 0) visit(start, overlap === span_ms ? quantity : (quantity * overlap) / span_ms);
    start = end;
  }
}

/** Start of the epoch-aligned interval holding `ms`. */
export function intervalStart(ms: number, interval_ms: number): number {
  return Math.floor(ms / interval_ms) * interval_ms;
}
