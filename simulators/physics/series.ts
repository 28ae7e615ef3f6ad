/**
 * A power signal whose integral is exact: values at fixed knots (every `stepMs`), joined linearly, so the
 * energy between any two instants is the trapezoid sum — a simulated kWh counter is then exactly the integral
 * of the kW the same device reports (to floating-point rounding), which is what a real meter guarantees.
 *
 * Cost: the integral from the origin needs every day between the origin and the instant once (cached per
 * day); within a day, knot values and running sums are cached for the few most recent days, so a poll or
 * a backfill step costs O(1).
 */

const DAY_MS = 86_400_000;
/** Days whose knot values stay cached (a live poll and a sequential backfill touch one or two). */
const RECENT_DAYS = 4;

/** Knot values of a non-negative rate (e.g. kW) and its exact running integral (e.g. kWh). */
export class KnotSeries {
  private readonly perDay: number;
  private readonly stepH: number;
  /** integral from the origin to the start of day d (days counted from the origin), in value·hours */
  private readonly dayStart = new Map<number, number>([[0, 0]]);
  private lowDay = 0;
  private highDay = 0;
  /** recent days: knot values 0…perDay and running integral from the day's start at each knot */
  private readonly recent = new Map<number, { values: Float64Array; running: Float64Array }>();

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
    this.stepH = stepMs / 3_600_000;
  }

  private day(d: number): { values: Float64Array; running: Float64Array } {
    let hit = this.recent.get(d);
    if (hit) return hit;
    const first = d * this.perDay;
    const values = new Float64Array(this.perDay + 1);
    const running = new Float64Array(this.perDay + 1);
    for (let i = 0; i <= this.perDay; i++) values[i] = this.knot(first + i);
    for (let i = 1; i <= this.perDay; i++) running[i] = running[i - 1] + ((values[i - 1] + values[i]) / 2) * this.stepH;
    hit = { values, running };
    if (this.recent.size >= RECENT_DAYS) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(d, hit);
    return hit;
  }

  private locate(ms: number): { d: number; i: number; f: number } {
    const x = (ms - this.originMs) / this.stepMs;
    const k = Math.floor(x);
    const d = Math.floor(k / this.perDay);
    return { d, i: k - d * this.perDay, f: x - k };
  }

  /** Rate at an instant (linear between knots). */
  rate(ms: number): number {
    const { d, i, f } = this.locate(ms);
    const { values } = this.day(d);
    return f === 0 ? values[i] : values[i] + (values[i + 1] - values[i]) * f;
  }

  /** Integral from the start of the (origin-aligned) day holding `ms` to `ms`, in rate·hours. */
  withinDayHours(ms: number): number {
    const { d, i, f } = this.locate(ms);
    const { values, running } = this.day(d);
    const end = values[i] + (values[i + 1] - values[i]) * f;
    return running[i] + ((values[i] + end) / 2) * this.stepH * f;
  }

  /** Integral of the rate from the origin to `ms`, in rate·hours (kW → kWh); negative before the origin. */
  integralHours(ms: number): number {
    return this.cumulativeAtDay(this.locate(ms).d) + this.withinDayHours(ms);
  }

  private dayIntegral(day: number): number {
    const cached = this.recent.get(day);
    if (cached) return cached.running[this.perDay];
    const first = day * this.perDay;
    let sum = 0;
    let a = this.knot(first);
    for (let i = 1; i <= this.perDay; i++) {
      const b = this.knot(first + i);
      sum += (a + b) / 2;
      a = b;
    }
    return sum * this.stepH;
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

/**
 * The origin of every simulated counter: 2026-01-01T00:00 Asia/Shanghai (counters start from a seeded
 * reading there). Reading far from it costs one pass over the days in between, once per process.
 */
export const COUNTER_ORIGIN_MS = Date.UTC(2025, 11, 31, 16, 0);
