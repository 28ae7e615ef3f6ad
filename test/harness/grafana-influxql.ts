/**
 * What Grafana does to a board's InfluxQL before InfluxDB sees it, so tests can run every panel query as Grafana
 * would send it. The rules, from Grafana's InfluxDB data source (InfluxQL raw mode) and its dashboard model:
 * - time range: `now`, `now-7d`, `now-7d/d` … in the board's time zone; a rounded `from` goes down to the start of
 *   the unit, a rounded `to` up to its last millisecond (`now-1d/d` as `to` = the end of yesterday); a panel's
 *   `timeShift` (e.g. `7d`, `1y`) moves both ends back, a panel's `timeFrom` (e.g. `24h`) replaces the range by the
 *   last that long;
 * - `$timeFilter` → `time >= <from>ms and time <= <to>ms` (the backend's renderTimeFilter);
 * - `$__interval` / `$interval` → the auto interval as Grafana formats it (`15m`, `1h`, `1d`: gtime.FormatInterval),
 *   `$__interval_ms` → its milliseconds; the auto interval is (to − from) / maxDataPoints (the panel's width in
 *   pixels; 1 000 here) rounded by Grafana's roundInterval table and not below the data source's `timeInterval`;
 * - template variables `$v`, `${v}`, `[[v]]`: a multi-value or "include All" variable becomes its values
 *   regex-escaped and joined as `(a|b)` (one value: the escaped value), "All" its `allValue` unescaped; a single
 *   variable used in a regex is regex-escaped; `${v:text}` is the shown text; a repeated panel sees one value.
 * Anything still starting with `$` after that is an error: a macro Grafana would not expand either.
 */
import { localParts, zonedTime } from '../../core/time.ts';

export interface Range { from: number; to: number }

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

function startOf(ms: number, unit: string, tz: string): number {
  const p = localParts(ms, tz);
  switch (unit) {
    case 'y': return zonedTime(tz, p.year, 1, 1);
    case 'M': return zonedTime(tz, p.year, p.month, 1);
    case 'w': return zonedTime(tz, p.year, p.month, p.day - ((p.weekday + 6) % 7)); // weeks start on Monday
    case 'd': return zonedTime(tz, p.year, p.month, p.day);
    default: return ms - (ms % UNIT_MS[unit]);
  }
}

function add(ms: number, n: number, unit: string, tz: string): number {
  if (unit === 'y' || unit === 'M') {
    const p = localParts(ms, tz);
    const within = ms - zonedTime(tz, p.year, p.month, p.day, p.hour, p.minute);
    return zonedTime(tz, p.year + (unit === 'y' ? n : 0), p.month + (unit === 'M' ? n : 0), p.day, p.hour, p.minute) + within;
  }
  return ms + n * UNIT_MS[unit];
}

/** Grafana date math (`now-7d/d`); `roundUp` for the end of a range. */
export function dateMath(text: string, now: number, tz: string, roundUp: boolean): number {
  if (!text.startsWith('now')) throw new Error(`date math '${text}': only now-relative ranges are used by the boards`);
  let ms = now;
  const ops = text.slice(3).matchAll(/([+-])(\d+)([smhdwMy])|\/([smhdwMy])/g);
  for (const m of ops) {
    if (m[4]) {
      const start = startOf(ms, m[4], tz);
      ms = roundUp ? add(start, 1, m[4], tz) - 1 : start;
    } else {
      ms = add(ms, (m[1] === '-' ? -1 : 1) * Number(m[2]), m[3], tz);
    }
  }
  return ms;
}

/** A panel's range: the board's, replaced by the panel's `timeFrom`, moved by its `timeShift`. */
export function panelRange(board: { from: string; to: string }, panel: { timeFrom?: string; timeShift?: string }, now: number, tz: string): Range {
  let from = dateMath(board.from, now, tz, false);
  let to = dateMath(board.to, now, tz, true);
  if (panel.timeFrom) {
    const f = panel.timeFrom.startsWith('now') ? panel.timeFrom : `now-${panel.timeFrom}`;
    from = dateMath(f, now, tz, false);
    to = now;
  }
  if (panel.timeShift) {
    const s = panel.timeShift.startsWith('now') ? panel.timeShift.slice(3) : `-${panel.timeShift}`;
    from = dateMath(`now${s}`, from, tz, false);
    to = dateMath(`now${s}`, to, tz, false);
  }
  return { from, to };
}

/** Grafana's roundInterval (rangeutil): the auto interval snapped to a readable one. */
export function roundInterval(ms: number): number {
  const steps: [number, number][] = [
    [15, 10], [35, 20], [75, 50], [150, 100], [350, 200], [750, 500], [1_500, 1_000], [3_500, 2_000], [7_500, 5_000],
    [12_500, 10_000], [17_500, 15_000], [25_000, 20_000], [45_000, 30_000], [90_000, 60_000], [210_000, 120_000],
    [450_000, 300_000], [750_000, 600_000], [1_050_000, 900_000], [1_500_000, 1_200_000], [2_700_000, 1_800_000],
    [5_400_000, 3_600_000], [9_000_000, 7_200_000], [16_200_000, 10_800_000], [24_300_000, 21_600_000],
    [32_400_000, 28_800_000], [86_400_000, 43_200_000], [604_800_000, 86_400_000], [1_814_400_000, 604_800_000],
    [3_628_800_000, 2_592_000_000],
  ];
  return steps.find(([limit]) => ms <= limit)?.[1] ?? 31_536_000_000;
}

/** gtime.FormatInterval: the largest whole unit. */
export function formatInterval(ms: number): string {
  const units: [number, string][] = [[31_536_000_000, 'y'], [86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm'], [1_000, 's'], [1, 'ms']];
  for (const [size, u] of units) if (ms >= size) return `${Math.floor(ms / size)}${u}`;
  return '1ms';
}

/** The auto interval of a range. */
export function autoInterval(range: Range, opts: { maxDataPoints?: number; minIntervalMs?: number } = {}): number {
  return Math.max(opts.minIntervalMs ?? 15_000, roundInterval((range.to - range.from) / (opts.maxDataPoints ?? 1000)));
}

/** A variable's current state. */
export interface VariableState {
  values: string[];
  texts: string[];
  /** "All" is selected: expands to allValue */
  all: boolean;
  multi: boolean;
  allValue?: string;
}

const escapeRegex = (s: string) => s.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

/** Expand variables and macros of one query. */
export function interpolate(query: string, ctx: { range: Range; intervalMs: number; vars: Map<string, VariableState> }): string {
  let q = query.replace(/\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)\]\]|\$(\w+)/g, (whole, a: string | undefined, format: string | undefined, b: string | undefined, c: string | undefined) => {
    const name = a ?? b ?? c ?? '';
    const v = ctx.vars.get(name);
    if (!v) return whole; // a macro, handled below
    if (format === 'text') return v.texts.join(' + ');
    if (v.all && v.allValue !== undefined) return v.allValue;
    if (v.multi || v.all) return v.values.length === 1 ? escapeRegex(v.values[0]) : `(${v.values.map(escapeRegex).join('|')})`;
    return escapeRegex(v.values[0]);
  });
  q = q.replaceAll('$timeFilter', `time >= ${ctx.range.from}ms and time <= ${ctx.range.to}ms`)
    .replaceAll('$interval', formatInterval(ctx.intervalMs))
    .replaceAll('$__interval_ms', String(ctx.intervalMs))
    .replaceAll('$__interval', formatInterval(ctx.intervalMs));
  const left = /\$(?!\/)[\w{[]+/.exec(q.replace(/\/\^[^/]*\$\//g, ''));
  if (left) throw new Error(`'${left[0]}' is not expanded in: ${q}`);
  return q;
}

/** Apply a variable's regex with named groups `value` and `text` (Grafana 7.4+) to its query's results. */
export function applyVariableRegex(raw: string[], regex: string): { value: string; text: string }[] {
  const m = /^\/(.*)\/([gimsuy]*)$/.exec(regex);
  if (!m) throw new Error(`variable regex '${regex}' is not /…/`);
  const re = new RegExp(m[1], m[2]);
  return raw.flatMap((s) => {
    const r = re.exec(s);
    if (!r) return [];
    const value = r.groups?.value ?? r[1] ?? s;
    return [{ value, text: r.groups?.text ?? value }];
  });
}
