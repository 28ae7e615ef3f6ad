/**
 * A power signal whose integral is exact: values at fixed knots (every `stepMs`), joined linearly, so the
 * energy between any two instants is the trapezoid sum — a simulated kWh counter is then exactly the integral
 * of the kW the same device reports (to floating-point rounding), which is what a real meter guarantees.
 *
 * Cumulative sums are cached per day from a fixed origin, so reading a counter years after the origin costs
 * one pass over the days once, then O(knots in one day).
 */

const DAY_MS = 86_400_000;

/** Knot values of a non-negative rate (e.g. kW) and its exact running integral (e.g. kWh). */
export class KnotSeries {
  private readonly perDay: number;
  /** integral from the origin to the start of day d (days counted from the origin), in value·hours */
  private readonly dayStart = new Map<number, number>([[0, 0]]);
  private lowDay = 0;
  private highDay = 0;

  /**
   * @param knot value of the rate at knot index k (instant originMs + k·stepMs); pure and deterministic
   * @param stepMs knot spacing; must divide one day
   * @param originMs instant where the integral is zero
   */
  constructor(
    private readonly knot: (k: number) => number,
    readonly stepMs: number,
    readonly originMs: number,
  ) {
    if (DAY_MS % stepMs !== 0) throw new Error(`knot step ${stepMs} ms does not divide a day`);
    this.perDay = DAY_MS / stepMs;
  }

  /** Rate at an instant (linear between knots). */
  rate(ms: number): number {
    const x = (ms - this.originMs) / this.stepMs;
    const k = Math.floor(x);
    const f = x - k;
    const a = this.knot(k);
    return f === 0 ? a : a + (this.knot(k + 1) - a) * f;
  }

  /** Integral of the rate from the origin to `ms`, in rate·hours (kW → kWh); negative before the origin. */
  integralHours(ms: number): number {
    const x = (ms - this.originMs) / this.stepMs;
    const day = Math.floor(x / this.perDay);
    let sum = this.cumulativeAtDay(day);
    const firstKnot = day * this.perDay;
    const whole = Math.floor(x) - firstKnot;
    const stepH = this.stepMs / 3_600_000;
    let a = this.knot(firstKnot);
    for (let i = 0; i < whole; i++) {
      const b = this.knot(firstKnot + i + 1);
      sum += ((a + b) / 2) * stepH;
      a = b;
    }
    const f = x - Math.floor(x);
    if (f > 0) {
      const b = this.knot(firstKnot + whole + 1);
      const end = a + (b - a) * f;
      sum += ((a + end) / 2) * stepH * f;
    }
    return sum;
  }

  private dayIntegral(day: number): number {
    const first = day * this.perDay;
    const stepH = this.stepMs / 3_600_000;
    let sum = 0;
    let a = this.knot(first);
    for (let i = 1; i <= this.perDay; i++) {
      const b = this.knot(first + i);
      sum += ((a + b) / 2) * stepH;
      a = b;
    }
    return sum;
  }

  private cumulativeAtDay(day: number): number {
    const hit = this.dayStart.get(day);
    if (hit !== undefined) return hit;
    while (this.highDay < day) {
      const next = this.dayStart.get(this.highDay)! + this.dayIntegral(this.highDay);
      this.highDay++;
      this.dayStart.set(this.highDay, next);
    }
    while (this.lowDay > day) {
      this.lowDay--;
      this.dayStart.set(this.lowDay, this.dayStart.get(this.lowDay + 1)! - this.dayIntegral(this.lowDay));
    }
    return this.dayStart.get(day)!;
  }
}

/** The origin of every simulated counter: 2024-01-01T00:00 Asia/Shanghai (counters start from a seeded reading). */
export const COUNTER_ORIGIN_MS = Date.UTC(2023, 11, 31, 16, 0);
