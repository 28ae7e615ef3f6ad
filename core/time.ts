/**
 * Calendar time in a site's time zone (DESIGN D6: transport and storage in UTC epoch ms, calendar periods local;
 * D11: local time lives in one place). Offsets come from the IANA database through Intl, so zones with daylight
 * saving work too. Intl's formatToParts costs tens of microseconds a call, and a year of hourly windows or a
 * stream of readings needs thousands of calls: the offset is asked of Intl once per zone and UTC year when it is
 * constant that year (Asia/Shanghai: no daylight saving since 1991), and once per quarter hour otherwise
 * (transitions fall on quarter hours); wall-clock fields then come from plain Date arithmetic.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** The zone's UTC offset at an instant as Intl gives it, in ms (the slow path the memo below is filled from). */
function intlOffsetMs(ms: number, tz: string): number {
  const parts = Object.fromEntries(formatter(tz).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

const QUARTER_MS = 900_000;
/** per `zone|UTC year`: the offset when it is the same all year, null when the year has a transition */
const constantYear = new Map<string, number | null>();
/** per `zone|quarter hour`, for years with a transition; cleared when it grows past a bound */
const perQuarter = new Map<string, number>();

/** UTC offset of the zone at an instant, in ms (Asia/Shanghai: +8 h). */
export function tzOffsetMs(ms: number, tz: string): number {
  const year = new Date(ms).getUTCFullYear();
  const key = `${tz}|${year}`;
  let c = constantYear.get(key);
  if (c === undefined) {
    // The 1st of every month and the next Jan 1st: equal everywhere means no transition that year.
    const samples = Array.from({ length: 13 }, (_, i) => intlOffsetMs(Date.UTC(year, i, 1), tz));
    c = samples.every((s) => s === samples[0]) ? samples[0] : null;
    constantYear.set(key, c);
  }
  if (c !== null) return c;
  const qk = `${tz}|${Math.floor(ms / QUARTER_MS)}`;
  let o = perQuarter.get(qk);
  if (o === undefined) {
    if (perQuarter.size > 200_000) perQuarter.clear();
    o = intlOffsetMs(ms, tz);
    perQuarter.set(qk, o);
  }
  return o;
}

/** Wall-clock fields of an instant in a zone (weekday 0 = Sunday). */
export function localParts(ms: number, tz: string): { year: number; month: number; day: number; hour: number; minute: number; second: number; weekday: number } {
  const d = new Date(ms + tzOffsetMs(ms, tz));
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
    hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: d.getUTCDay(),
  };
}

/** The calendar date `YYYY-MM-DD` of wall-clock fields. */
export function dateOfParts(p: { year: number; month: number; day: number }): string {
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** The local calendar date `YYYY-MM-DD` of an instant in a zone. */
export function localDate(ms: number, tz: string): string {
  return dateOfParts(localParts(ms, tz));
}

/**
 * The instant of a local wall-clock time in a zone (fields may overflow: day 32 is the next month). A wall-clock
 * time that a clock change skips or repeats resolves to one of the instants next to it.
 */
export function zonedTime(tz: string, year: number, month: number, day = 1, hour = 0, minute = 0): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  const first = guess - tzOffsetMs(guess, tz);
  return guess - tzOffsetMs(first, tz);
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * An ISO 8601 instant (`2025-03-01T00:00:00Z`, `…+08:00`) or a local date/time (`2025-03-01`, `2025-03-01 08:00`),
 * the latter in `tz` (DESIGN D6), as UTC epoch ms; or why it is not one. Years before 1970 are refused: nothing
 * is measured before the epoch, and Date.UTC reads years 0–99 as 1900–1999.
 */
export function parseIsoTime(value: string, tz: string): { ms: number } | { problem: string } {
  const m = ISO_TIME.exec(value);
  if (!m) return { problem: `'${value}' is not an ISO 8601 date or date-time (e.g. 2025-03-01 or 2025-03-01T00:00:00+08:00)` };
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  if (Number(y) < 1970) return { problem: `'${value}': years before 1970 are not accepted` };
  const month = Number(mo), day = Number(d), hour = Number(h ?? 0), minute = Number(mi ?? 0), second = Number(s ?? 0);
  const probe = new Date(Date.UTC(Number(y), month - 1, day));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59 || probe.getUTCDate() !== day) {
    return { problem: `'${value}' is not a valid date` };
  }
  if (zone) {
    const ms = Date.parse(value.replace(' ', 'T'));
    return Number.isNaN(ms) ? { problem: `'${value}' is not a valid date-time` } : { ms };
  }
  const millis = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
  return { ms: zonedTime(tz, Number(y), month, day, hour, minute) + second * 1000 + millis };
}

/** Start of the local day holding `ms`. */
export function startOfLocalDay(ms: number, tz: string): number {
  const p = localParts(ms, tz);
  return zonedTime(tz, p.year, p.month, p.day);
}

/** [start, end) of the local day holding `ms`: 24 h, or 23 h and 25 h on the days a zone changes its clocks. */
export function localDay(ms: number, tz: string): [number, number] {
  const start = startOfLocalDay(ms, tz);
  // 26 h after a local midnight is always inside the next local day, even on 23 h and 25 h days.
  return [start, startOfLocalDay(start + 26 * 3_600_000, tz)];
}

/** The local days of one zone, the last few remembered: a stream of readings asks for the same few days. */
export class LocalDays {
  private readonly days: [number, number][] = [];

  constructor(readonly tz: string) {}

  /** [start, end) of the local day holding `ms`. */
  dayOf(ms: number): [number, number] {
    for (const d of this.days) if (ms >= d[0] && ms < d[1]) return d;
    const d = localDay(ms, this.tz);
    this.days.unshift(d);
    if (this.days.length > 8) this.days.pop();
    return d;
  }
}
