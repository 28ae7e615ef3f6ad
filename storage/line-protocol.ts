/**
 * InfluxDB line protocol for the port's points — the text `Storage.writeLines` takes, which the InfluxDB adapter
 * sends as it is and the embedded store reads back (`parseLines`). Rendered directly rather than through the client's `Point`
 * (measured: building a `Point` per row and serialising it cost about 11 µs a row, several times the rest of the
 * write path; this costs about 1 µs). The escaping is the client's and the line protocol reference's
 * (https://docs.influxdata.com/influxdb/v1.6/write_protocols/line_protocol_reference/#special-characters):
 * measurement `,` and space; tag keys, tag values and field keys `,` `=` and space; string field values `"` and
 * `\`. Names that line protocol cannot carry are refused before (series-key.ts `checkPoints`).
 */
import { StorageError, type StoredPoint } from './port.ts';

const TAG_SPECIAL = /[ ,=]/;
const TAG_SPECIAL_ALL = /[ ,=]/g;
const MEASUREMENT_SPECIAL = /[ ,]/;
const MEASUREMENT_SPECIAL_ALL = /[ ,]/g;

/** Escape a tag key, tag value or field key. */
export function escapeTag(s: string): string {
  return TAG_SPECIAL.test(s) ? s.replace(TAG_SPECIAL_ALL, '\\$&') : s;
}

/** Escape a measurement name. */
export function escapeMeasurement(s: string): string {
  return MEASUREMENT_SPECIAL.test(s) ? s.replace(MEASUREMENT_SPECIAL_ALL, '\\$&') : s;
}

/** A quoted string field value. */
export function quoteFieldString(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * One line, time in ms (write precision `ms`). Numbers are always floats (no `i` suffix): one type per field
 * whatever the value, since InfluxDB refuses a field changing type. Tags sorted by key (InfluxDB's own order,
 * which spares it the sort); empty tag values left out.
 */
export function toLine(p: StoredPoint): string {
  return seriesPrefix(p.measurement, p.tags) + fieldsAndTime(p);
}

/** The series part of a line: escaped measurement and sorted, escaped tags (the same for every row of a series). */
export function seriesPrefix(measurement: string, tags: Record<string, string>): string {
  let line = escapeMeasurement(measurement);
  const keys = Object.keys(tags);
  if (keys.length > 1) keys.sort();
  for (const k of keys) {
    const v = tags[k];
    if (v !== '') line += `,${escapeTag(k)}=${escapeTag(v)}`;
  }
  return line;
}

/** The rest of a line after its series: ` field=value[,…] time`. */
export function fieldsAndTime(p: StoredPoint): string {
  let line = '';
  let sep = ' ';
  for (const k in p.fields) {
    const v = p.fields[k];
    line += `${sep}${escapeTag(k)}=${typeof v === 'number' ? String(v) : typeof v === 'boolean' ? (v ? 'true' : 'false') : quoteFieldString(v)}`;
    sep = ',';
  }
  return `${line} ${p.time}`;
}

/**
 * Read line protocol (text, or UTF-8 bytes; ms timestamps, `\n`-separated, as `toLine` renders it) back into
 * points: the embedded store takes the collector's telemetry lines this way. Escapes as in
 * `escapeTag`/`escapeMeasurement` and `quoteFieldString`; numbers with an `i` suffix are read as integers,
 * `t`/`true`/`f`/`false` (any case as InfluxDB accepts) as booleans. Text that is not line protocol is refused
 * like a bad point: a StorageError that retrying cannot cure.
 */
export function parseLines(lines: string | Uint8Array): StoredPoint[] {
  const text = typeof lines === 'string' ? lines : Buffer.from(lines.buffer, lines.byteOffset, lines.byteLength).toString('utf8');
  const out: StoredPoint[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start && text[start] !== '#') out.push(parseLine(text, start, end));
    start = end + 1;
  }
  return out;
}

function parseLine(s: string, from: number, to: number): StoredPoint {
  let i = from;
  const fail = (what: string): never => {
    throw new StorageError(`line protocol: ${what} at column ${i - from + 1} of ${JSON.stringify(s.slice(from, Math.min(to, from + 120)))}`, false);
  };
  /** An escaped name up to one of `stops` (unescaped); the escapes of `specials` removed. */
  const name = (stops: string, specials: string): string => {
    let out = '';
    let run = i;
    while (i < to && !stops.includes(s[i])) {
      if (s[i] === '\\' && i + 1 < to && specials.includes(s[i + 1])) {
        out += s.slice(run, i);
        run = i + 1;
        i += 2;
      } else i++;
    }
    return out + s.slice(run, i);
  };
  const measurement = name(', ', ', ');
  if (measurement === '') fail('no measurement');
  const tags: Record<string, string> = {};
  while (s[i] === ',') {
    i++;
    const k = name('=, ', ',= ');
    if (s[i] !== '=') fail(`tag ${JSON.stringify(k)} without '='`);
    i++;
    tags[k] = name(', ', ',= ');
  }
  if (s[i] !== ' ') fail('no fields');
  const fields: StoredPoint['fields'] = {};
  do {
    i++;
    const k = name('=, ', ',= ');
    if (s[i] !== '=') fail(`field ${JSON.stringify(k)} without '='`);
    i++;
    if (s[i] === '"') {
      let v = '';
      i++;
      while (i < to && s[i] !== '"') {
        if (s[i] === '\\' && (s[i + 1] === '"' || s[i + 1] === '\\')) i++;
        v += s[i++];
      }
      if (s[i] !== '"') fail(`field ${JSON.stringify(k)}: unterminated string`);
      i++;
      fields[k] = v;
    } else {
      const at = i;
      while (i < to && s[i] !== ',' && s[i] !== ' ') i++;
      const raw = s.slice(at, i);
      if (/^[tT](rue|RUE)?$|^True$/.test(raw)) fields[k] = true;
      else if (/^[fF](alse|ALSE)?$|^False$/.test(raw)) fields[k] = false;
      else {
        const n = Number(raw.endsWith('i') || raw.endsWith('u') ? raw.slice(0, -1) : raw);
        if (raw === '' || !Number.isFinite(n)) fail(`field ${JSON.stringify(k)}: ${JSON.stringify(raw)} is not a value`);
        fields[k] = n;
      }
    }
  } while (s[i] === ',');
  if (s[i] !== ' ') fail('no timestamp');
  i++;
  const time = Number(s.slice(i, to));
  if (!Number.isSafeInteger(time)) fail(`timestamp ${JSON.stringify(s.slice(i, to))} is not an integer`);
  return { measurement, tags, fields, time };
}
