/**
 * Readings files for the import's tests and benchmark: daily counter readings of a meter with a load that follows
 * the outdoor temperature (so a weather-adjusted baseline has something to find), and the temperature itself.
 */
import { zonedTime } from '../core/time.ts';

/** Shanghai's daily mean outdoor temperature, °C, on day-of-year `doy` (a smooth annual cycle, 4 °C in January, 29 °C in late July). */
export function dailyTempC(doy: number): number {
  return 16.5 - 12.5 * Math.cos((2 * Math.PI * (doy - 20)) / 365);
}

/** Options of `dailyReadingsCsv`. */
export interface DailyFileOptions {
  meter: string;
  weather: string;
  /** first day, local (Asia/Shanghai) */
  from: [number, number, number];
  days: number;
  /** counter at the first reading, kWh */
  startKwh?: number;
  /** kWh per day: base + per degree below 18 °C + per degree above 22 °C */
  baseKwh?: number;
  /** from this day index on, the load is reduced by `savingShare` (a retrofit) */
  retrofitDay?: number;
  savingShare?: number;
}

/**
 * A CSV of daily counter readings at local midnight (days + 1 readings close `days` days) and one temperature row
 * per day at local noon; rows as `time,device,point,value`. Returns the text and the expected kWh per day.
 */
export function dailyReadingsCsv(o: DailyFileOptions): { csv: string; dailyKwh: number[] } {
  const [y, m, d] = o.from;
  const lines = ['time,device,point,value'];
  const dailyKwh: number[] = [];
  let counter = o.startKwh ?? 100_000;
  const base = o.baseKwh ?? 400;
  for (let i = 0; i <= o.days; i++) {
    const midnight = zonedTime('Asia/Shanghai', y, m, d + i);
    lines.push(`${new Date(midnight).toISOString()},${o.meter},energy_import_kwh,${counter.toFixed(2)}`);
    if (i === o.days) break;
    const doy = Math.floor((midnight - zonedTime('Asia/Shanghai', new Date(midnight + 8 * 3_600_000).getUTCFullYear(), 1, 1)) / 86_400_000);
    const t = dailyTempC(doy);
    lines.push(`${localText(y, m, d + i, 12)},${o.weather},temp_c,${t.toFixed(2)}`);
    const weekday = new Date(midnight + 8 * 3_600_000).getUTCDay();
    let kwh = (weekday === 0 || weekday === 6 ? 0.4 : 1) * base + 25 * Math.max(0, 18 - t) + 30 * Math.max(0, t - 22);
    if (o.retrofitDay !== undefined && i >= o.retrofitDay) kwh *= 1 - (o.savingShare ?? 0.2);
    kwh = Math.round(kwh * 100) / 100;
    dailyKwh.push(kwh);
    counter += kwh;
  }
  return { csv: `${lines.join('\n')}\n`, dailyKwh };
}

/** Local wall-clock time as `YYYY-MM-DD HH:00` without offset (read in the site's zone), fields normalised. */
function localText(y: number, m: number, d: number, h: number): string {
  const t = new Date(Date.UTC(y, m - 1, d, h));
  return `${t.toISOString().slice(0, 10)} ${String(h).padStart(2, '0')}:00`;
}
