/**
 * Weather at the site: outdoor air temperature and cloudiness, deterministic from a seed. One `Weather` per
 * site is shared by every device there, so HVAC loads, PV output and sensors see the same sky.
 *
 * Temperatures follow the CMA 1971–2000 normals for Shanghai (REFERENCE §11): monthly mean daily high/low,
 * interpolated between mid-months, a daily cycle with its minimum near sunrise (05:00) and maximum at 14:00,
 * and a slowly varying anomaly (synoptic weather, a few days long). Cloudy days are cooler by day and
 * warmer by night (smaller daily range).
 */
import { calendarDay, localTime, type CalendarDay } from './calendar.ts';
import { childSeed, unitHash, valueNoise } from './random.ts';

/** Monthly mean daily maximum / minimum, °C, Shanghai (CMA normals 1971–2000), January first. */
export const SHANGHAI_NORMAL_HIGH_C = [8.1, 9.2, 12.8, 19.1, 24.1, 27.6, 31.8, 31.3, 27.2, 22.6, 17.0, 11.1];
export const SHANGHAI_NORMAL_LOW_C = [1.1, 2.2, 5.6, 10.9, 16.1, 20.8, 25.0, 25.0, 21.0, 15.0, 9.0, 3.0];

/** China Standard Time, the site's offset (Asia/Shanghai keeps no daylight saving). */
export const CST_OFFSET_MS = 8 * 3_600_000;

/**
 * Probability of each sky class per month: [clear, partly cloudy] (the rest overcast). Tuned so the year has
 * about 1 300 kWh/m² global horizontal irradiation and ~1 640 h of sunshine (REFERENCE §11); the plum-rain
 * season (梅雨, mid-June to early July) is mostly overcast.
 */
const SKY_PROBABILITY: [number, number][] = [
  [0.38, 0.30], [0.30, 0.30], [0.28, 0.32], [0.32, 0.34], [0.32, 0.36], [0.22, 0.34],
  [0.45, 0.35], [0.48, 0.32], [0.40, 0.32], [0.45, 0.30], [0.40, 0.30], [0.42, 0.28],
];

/** Sky of one day: clearness = fraction of clear-sky irradiance reaching the ground (daily mean). */
export interface DaySky {
  kind: 'clear' | 'partly' | 'overcast';
  clearness: number;
}

function mixNormals(dayOfYear: number, table: number[]): number {
  // Monthly normals sit at mid-month (day ≈ 30.4·m + 15); interpolate cyclically between them.
  const x = (dayOfYear - 15.2) / 30.44;
  const i = Math.floor(x);
  const f = x - i;
  const a = table[((i % 12) + 12) % 12];
  const b = table[(((i + 1) % 12) + 12) % 12];
  return a + (b - a) * f;
}

/** Daily cycle weight in [0, 1]: 0 at 05:00 (minimum), 1 at 14:00 (maximum), cosine in between. */
function diurnalShape(hour: number): number {
  const h = ((hour % 24) + 24) % 24;
  if (h >= 5 && h <= 14) return 0.5 - 0.5 * Math.cos((Math.PI * (h - 5)) / 9);
  const sinceMax = h > 14 ? h - 14 : h + 10; // 14:00 → 05:00 next day, 15 h
  return 0.5 + 0.5 * Math.cos((Math.PI * sinceMax) / 15);
}

/** Site weather from a seed; all methods are pure functions of time. */
export class Weather {
  private readonly skySeed: number;
  private readonly tempSeed: number;
  private readonly cloudSeed: number;
  private readonly skyCache = new Map<number, DaySky>();

  constructor(readonly seed: number, readonly utcOffsetMs = CST_OFFSET_MS) {
    this.skySeed = childSeed(seed, 'sky');
    this.tempSeed = childSeed(seed, 'temperature');
    this.cloudSeed = childSeed(seed, 'cloud');
  }

  /** The sky class and daily clearness of a local day. */
  daySky(day: CalendarDay): DaySky {
    let sky = this.skyCache.get(day.index);
    if (sky) return sky;
    const [pClear, pPartly] = SKY_PROBABILITY[day.month - 1];
    const u = unitHash(this.skySeed, day.index);
    const v = unitHash(this.skySeed ^ 0x5bd1e995, day.index);
    // Plum rain: days 165–190 (mid-June to early July) are overcast twice as often.
    const plum = day.dayOfYear >= 165 && day.dayOfYear <= 190 ? 0.5 : 1;
    if (u < pClear * plum) sky = { kind: 'clear', clearness: 0.8 + 0.14 * v };
    else if (u < (pClear + pPartly) * plum) sky = { kind: 'partly', clearness: 0.42 + 0.3 * v };
    else sky = { kind: 'overcast', clearness: 0.1 + 0.22 * v };
    if (this.skyCache.size > 5000) this.skyCache.clear();
    this.skyCache.set(day.index, sky);
    return sky;
  }

  /**
   * Fraction of clear-sky irradiance at an instant: the day's clearness with passing clouds on partly cloudy
   * days (value noise on a ~10-minute scale) and slow thickening/thinning on overcast days.
   */
  cloudFactor(ms: number): number {
    const { day } = localTime(ms, this.utcOffsetMs);
    const sky = this.daySky(day);
    const minutes = ms / 60_000;
    if (sky.kind === 'clear') return Math.min(1, sky.clearness + 0.03 * valueNoise(this.cloudSeed, minutes / 30));
    if (sky.kind === 'overcast') return Math.max(0.05, sky.clearness * (1 + 0.35 * valueNoise(this.cloudSeed, minutes / 45)));
    // Partly cloudy: bright gaps and shadows; the mean over the day stays near the day's clearness.
    const n = 0.6 * valueNoise(this.cloudSeed, minutes / 9) + 0.4 * valueNoise(this.cloudSeed + 17, minutes / 37);
    return Math.min(1.05, Math.max(0.15, sky.clearness + 0.45 * n));
  }

  /** Outdoor air temperature at an instant, °C. */
  airTempC(ms: number): number {
    const { day, hour } = localTime(ms, this.utcOffsetMs);
    const dayFrac = day.index + hour / 24;
    const high = mixNormals(day.dayOfYear + hour / 24, SHANGHAI_NORMAL_HIGH_C);
    const low = mixNormals(day.dayOfYear + hour / 24, SHANGHAI_NORMAL_LOW_C);
    // Cloudy days: a smaller daily range around the same mean (yesterday's sky matters after midnight).
    const sky = this.daySky(hour < 5 ? calendarDay(day.index - 1) : day);
    const range = (high - low) * (sky.kind === 'clear' ? 1.15 : sky.kind === 'partly' ? 1.0 : 0.6);
    const mean = (high + low) / 2;
    // Synoptic anomaly: ±3 °C over 3–5 days, with a faster ±0.8 °C wiggle.
    const anomaly = 3 * valueNoise(this.tempSeed, dayFrac / 4) + 0.8 * valueNoise(this.tempSeed + 1, dayFrac * 3);
    return mean + range * (diurnalShape(hour) - 0.5) + anomaly;
  }

  /** Relative humidity, %: high at night and in the plum-rain season, lower on clear afternoons. */
  relativeHumidityPct(ms: number): number {
    const { day, hour } = localTime(ms, this.utcOffsetMs);
    const sky = this.daySky(day);
    const base = sky.kind === 'overcast' ? 85 : sky.kind === 'partly' ? 72 : 62;
    const rh = base + 12 * (0.5 - diurnalShape(hour)) + 4 * valueNoise(this.tempSeed + 2, (day.index + hour / 24) * 2);
    return Math.min(100, Math.max(20, rh));
  }
}

/** Share one Weather per seed, so every device of a site sees the same sky. */
const shared = new Map<string, Weather>();
export function weatherFor(seed: number, utcOffsetMs = CST_OFFSET_MS): Weather {
  const key = `${seed}:${utcOffsetMs}`;
  let w = shared.get(key);
  if (!w) {
    w = new Weather(seed, utcOffsetMs);
    shared.set(key, w);
  }
  return w;
}
