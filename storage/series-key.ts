/**
 * Identity of a series (measurement + tags) and validation of points, shared by both adapters so that they
 * accept, reject and name series identically.
 */
import { StorageError, type FieldValue, type StoredPoint, type TagFilter } from './port.ts';

/**
 * Tags as stored: empty values dropped, because InfluxDB line protocol cannot carry an empty tag value
 * (a tag set to '' is the same as the tag being absent), keys sorted.
 */
export function storedTags(tags: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(tags).sort()) {
    const v = tags[k];
    if (v !== '' && v !== undefined && v !== null) out[k] = String(v);
  }
  return out;
}

/** A canonical, order-independent key of a tag set (keys sorted, empty values dropped). */
export function tagKey(tags: Record<string, string>): string {
  return JSON.stringify(Object.entries(storedTags(tags)));
}

/** Does a series with these tags pass the filter? A missing tag compares as '' (as in InfluxQL). */
export function matchesFilter(tags: Record<string, string>, where: TagFilter | undefined): boolean {
  if (!where) return true;
  for (const [k, want] of Object.entries(where)) {
    const have = tags[k] ?? '';
    if (Array.isArray(want) ? !want.includes(have) : want !== have) return false;
  }
  return true;
}

/** Does the filter exclude everything (an empty array of allowed values)? */
export function filterIsEmpty(where: TagFilter | undefined): boolean {
  return !!where && Object.values(where).some((v) => Array.isArray(v) && v.length === 0);
}

/** The kind of a field value; a field name holds one kind per measurement in InfluxDB, so the kind is part of its identity here. */
export type FieldKind = 'number' | 'boolean' | 'string';

/** The kind of a value. */
export function fieldKind(v: FieldValue): FieldKind {
  return typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string';
}

/**
 * A name or tag value both adapters can store and give back unchanged. InfluxDB line protocol has no escape
 * for line breaks or other control characters, and a backslash before a space, comma or equals sign — or at
 * the end — would be read as an escape (https://docs.influxdata.com/influxdb/v1.6/write_protocols/line_protocol_reference/#special-characters).
 * A measurement starting with '#' would make the line a comment.
 */
function nameProblem(s: string, what: string): string | undefined {
  if (s === '') return `${what} is empty`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s)) return `${what} ${JSON.stringify(s)} contains a control character (line break, tab …)`;
  if (/\\([ ,=]|$)/.test(s)) return `${what} ${JSON.stringify(s)} has a backslash before a space, comma, equals sign or at its end`;
  return undefined;
}

/**
 * Check a batch before writing. A bad point rejects the batch with a non-retryable StorageError naming it:
 * retrying cannot help, and the caller (the collector) dead-letters it.
 */
export function checkPoints(points: StoredPoint[]): void {
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    const where = (): string => `point ${i} (${p?.measurement ?? '?'} @ ${p?.time ?? '?'})`;
    if (!p || typeof p.measurement !== 'string' || p.measurement === '') throw new StorageError(`${where()}: measurement is empty`, false);
    if (!goodNames.has(p.measurement)) {
      const mp = nameProblem(p.measurement, 'measurement') ?? (p.measurement.startsWith('#') ? 'measurement starts with #' : undefined);
      if (mp) throw new StorageError(`${where()}: ${mp}`, false);
      remember(p.measurement);
    }
    if (!Number.isSafeInteger(p.time)) throw new StorageError(`${where()}: time must be an integer epoch ms`, false);
    if (!p.tags || typeof p.tags !== 'object') throw new StorageError(`${where()}: tags must be an object`, false);
    for (const k in p.tags) {
      const v = p.tags[k];
      if (k === '' || k === 'time') throw new StorageError(`${where()}: tag key ${JSON.stringify(k)} is not allowed`, false);
      if (typeof v !== 'string') throw new StorageError(`${where()}: tag ${k} must be a string`, false);
      if (!goodNames.has(k)) {
        const tp = nameProblem(k, 'tag key');
        if (tp) throw new StorageError(`${where()}: ${tp}`, false);
        remember(k);
      }
      if (v !== '' && !goodNames.has(v)) {
        const tp = nameProblem(v, `tag ${k}`);
        if (tp) throw new StorageError(`${where()}: ${tp}`, false);
        remember(v);
      }
    }
    let fields = 0;
    for (const k in p.fields ?? {}) {
      const v = p.fields[k];
      fields++;
      if (k === '' || k === 'time') throw new StorageError(`${where()}: field key ${JSON.stringify(k)} is not allowed`, false);
      if (!goodNames.has(k)) {
        const fp = nameProblem(k, 'field key');
        if (fp) throw new StorageError(`${where()}: ${fp}`, false);
        remember(k);
      }
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) throw new StorageError(`${where()}: field ${k} is ${v}; only finite numbers can be stored`, false);
      } else if (typeof v !== 'boolean' && typeof v !== 'string') throw new StorageError(`${where()}: field ${k} has type ${typeof v}`, false);
    }
    if (fields === 0) throw new StorageError(`${where()}: no fields`, false);
  }
}

/** Names already found storable (names repeat on every batch; checking each costs more than the write). */
const goodNames = new Set<string>();
function remember(name: string): void {
  if (goodNames.size >= 100_000) goodNames.clear();
  goodNames.add(name);
}

/** Order of raw rows: time, then series key, so both adapters list simultaneous rows alike. */
export function compareRaw(a: StoredPoint, b: StoredPoint): number {
  if (a.time !== b.time) return a.time - b.time;
  const ka = tagKey(a.tags), kb = tagKey(b.tags);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
