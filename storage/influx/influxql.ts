/**
 * InfluxQL text for the storage port's reads. Identifiers are always double-quoted and literals single-quoted,
 * escaping as the InfluxQL scanner expects (influxql/scanner.go `ScanString`: `\\`, `\"`, `\'`, `\n`), so tag
 * values with quotes, spaces, backslashes or any Unicode round-trip and no input can end a literal early.
 */
import type { AggregateFn, AggregateQuery, RawQuery, TagFilter } from '../port.ts';
import { normalOffsetMs } from '../windows.ts';

function escapeBody(s: string, quote: '"' | "'"): string {
  let out = '';
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else out += ch;
  }
  return out;
}

/** A double-quoted InfluxQL identifier (measurement, field, tag key). */
export function quoteIdent(name: string): string {
  return `"${escapeBody(name, '"')}"`;
}

/** A single-quoted InfluxQL string literal (tag values). */
export function quoteString(value: string): string {
  return `'${escapeBody(value, "'")}'`;
}

const FN: Record<AggregateFn, string> = {
  sum: 'SUM', mean: 'MEAN', min: 'MIN', max: 'MAX', last: 'LAST', first: 'FIRST', count: 'COUNT',
};

/** The WHERE clause: the time range (from inclusive, to exclusive) and the tag filter. */
export function whereClause(from: number, to: number, where: TagFilter | undefined): string {
  const parts = [`time >= ${from}ms`, `time < ${to}ms`];
  for (const [k, v] of Object.entries(where ?? {})) {
    const values = Array.isArray(v) ? v : [v];
    // `::tag` makes the comparison a tag one even if a field of the same name exists.
    const alts = values.map((x) => `${quoteIdent(k)}::tag = ${quoteString(x)}`);
    parts.push(alts.length === 1 ? alts[0] : `(${alts.join(' OR ')})`);
  }
  return parts.join(' AND ');
}

/** SELECT fn(field) … GROUP BY time(every, offset), tags fill(none): only windows holding data come back. */
export function aggregateStatement(q: AggregateQuery): string {
  const groups: string[] = [];
  if (q.every_ms !== undefined) groups.push(`time(${q.every_ms}ms, ${normalOffsetMs(q.every_ms, q.offset_ms ?? 0)}ms)`);
  for (const k of [...new Set(q.group_by ?? [])].sort()) groups.push(quoteIdent(k));
  let sql = `SELECT ${FN[q.fn]}(${quoteIdent(q.field)}) AS "value" FROM ${quoteIdent(q.measurement)} WHERE ${whereClause(q.from, q.to, q.where)}`;
  if (groups.length > 0) sql += ` GROUP BY ${groups.join(', ')}`;
  if (q.every_ms !== undefined) sql += ' fill(none)';
  return sql;
}

/** SELECT * … GROUP BY * in time order; LIMIT applies per series, the adapter merges and cuts. */
export function rawStatement(q: RawQuery): string {
  let sql = `SELECT * FROM ${quoteIdent(q.measurement)} WHERE ${whereClause(q.from, q.to, q.where)} GROUP BY * ORDER BY time ASC`;
  if (q.limit !== undefined) sql += ` LIMIT ${q.limit}`;
  return sql;
}
