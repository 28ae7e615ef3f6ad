/**
 * InfluxDB line protocol for the port's points, written directly rather than through the client's `Point`
 * (measured: building a `Point` per row and serialising it cost about 11 µs a row, several times the rest of the
 * write path; this costs about 1 µs). The escaping is the client's and the line protocol reference's
 * (https://docs.influxdata.com/influxdb/v1.6/write_protocols/line_protocol_reference/#special-characters):
 * measurement `,` and space; tag keys, tag values and field keys `,` `=` and space; string field values `"` and
 * `\`. Names that line protocol cannot carry are refused before (series-key.ts `checkPoints`).
 */
import type { StoredPoint } from '../port.ts';

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
