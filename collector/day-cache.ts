/** Local-day boundaries of a site time zone, memoised: Intl look-ups are slow next to the rest of ingestion. */
import { startOfLocalDay } from '../core/time.ts';

/** The local day [start, end) holding an instant, with the last few days remembered. */
export class LocalDays {
  private readonly days: [number, number][] = [];

  constructor(readonly tz: string) {}

  /** [start, end) of the local day holding `ms`. */
  dayOf(ms: number): [number, number] {
    for (const d of this.days) if (ms >= d[0] && ms < d[1]) return d;
    const start = startOfLocalDay(ms, this.tz);
    // 26 h after a local midnight is always inside the next local day, even on 23 h and 25 h DST days.
    const d: [number, number] = [start, startOfLocalDay(start + 26 * 3_600_000, this.tz)];
    this.days.unshift(d);
    if (this.days.length > 8) this.days.pop();
    return d;
  }
}
