/** How numbers leave the API: rounded for display (the domain keeps full precision). */

/** Round to `digits` decimals. */
export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
