/** Intervals accepted by the API and configuration: `15m`, `1h`, `1d`. */
export const INTERVALS = { '15m': 15 * 60_000, '1h': 3_600_000, '1d': 86_400_000 } as const;
export type IntervalName = keyof typeof INTERVALS;

export function isInterval(s: string): s is IntervalName {
  return Object.hasOwn(INTERVALS, s);
}
