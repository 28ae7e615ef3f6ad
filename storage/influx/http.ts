/**
 * InfluxQL over HTTP `/query` (1.x natively, 2.x through its v1 compatibility API, 3.x natively) and `/ping`,
 * with failures turned into typed StorageErrors: network errors, 429 and 5xx are retryable, other statuses not.
 */
import { StorageError } from '../port.ts';
import type { InfluxVersion } from '../config.ts';
import { basicAuth } from './transport.ts';
import { redactUrl } from '../../core/secrets.ts';

/** Where and how to send InfluxQL. */
export interface QueryTarget {
  url: string;
  version: InfluxVersion;
  database: string;
  retentionPolicy?: string;
  username?: string;
  password?: string;
  token?: string;
  timeoutMs?: number;
}

/** One series of an InfluxQL result. */
export interface ResultSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

interface QueryResponse {
  results?: { statement_id?: number; series?: ResultSeries[]; error?: string }[];
  error?: string;
}

/** Authorization header for a version: Basic for 1.x users, `Token` for 2.x, `Bearer` for 3.x. */
export function authHeaders(t: Pick<QueryTarget, 'version' | 'username' | 'password' | 'token'>): Record<string, string> {
  if (t.token && t.version === 3) return { authorization: `Bearer ${t.token}` };
  if (t.token) return { authorization: `Token ${t.token}` };
  if (t.username !== undefined) return { authorization: basicAuth(t.username, t.password) };
  return {};
}

/** A retryable error for the network, a typed one for an HTTP status (429 and 5xx retryable). */
export function httpError(what: string, status: number, body: string, retryAfter: string | null): StorageError {
  const retryable = status === 429 || status >= 500;
  const seconds = retryAfter === null ? NaN : Number(retryAfter);
  const retryAfterMs = Number.isFinite(seconds) ? seconds * 1000 : undefined;
  const detail = body.trim().slice(0, 300);
  return new StorageError(`${what}: HTTP ${status}${detail ? ` ${detail}` : ''}`, retryable, status, { retryAfterMs });
}

/** The error of a failed fetch (connection refused, reset, timeout), retryable. */
export function networkError(what: string, err: unknown): StorageError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code === 'ECONNREFUSED' ? 'connection refused' : cause?.code ?? cause?.message ?? (err as Error).message;
  return new StorageError(`${what}: ${reason}`, true, undefined, { cause: err });
}

/** True for the error InfluxDB gives when the database does not exist (yet): reads treat it as no data. */
export function isDatabaseNotFound(err: unknown): boolean {
  return err instanceof StorageError && /database not found|not found: database|does not exist/i.test(err.message);
}

/** Run one InfluxQL statement (POST /query, epoch=ms) and return its series. */
export async function query(t: QueryTarget, statement: string): Promise<ResultSeries[]> {
  const params = new URLSearchParams({ q: statement, db: t.database, epoch: 'ms' });
  if (t.retentionPolicy) params.set('rp', t.retentionPolicy);
  const what = `InfluxDB query at ${redactUrl(t.url)}`;
  let res: Response;
  try {
    res = await fetch(`${t.url}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...authHeaders(t) },
      body: params,
      signal: AbortSignal.timeout(t.timeoutMs ?? 30_000),
    });
  } catch (err) {
    throw networkError(what, err);
  }
  const text = await res.text();
  if (!res.ok) throw httpError(what, res.status, text, res.headers.get('retry-after'));
  let body: QueryResponse;
  try {
    body = JSON.parse(text) as QueryResponse;
  } catch {
    throw new StorageError(`${what}: response is not JSON: ${text.slice(0, 200)}`, false, res.status);
  }
  if (body.error) throw new StorageError(`${what}: ${body.error}`, false, res.status);
  const result = body.results?.[0];
  if (result?.error) throw new StorageError(`${what}: ${result.error}`, false, res.status);
  // A series without rows (e.g. SHOW DATABASES on an empty server) comes without `values`.
  return (result?.series ?? []).map((x) => ({ ...x, values: x.values ?? [] }));
}

/** What `/ping` says: reachable, and the version from the X-Influxdb-Version header if sent. */
export async function ping(url: string, timeoutMs = 5_000): Promise<{ version?: string }> {
  let res: Response;
  try {
    res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw networkError(`InfluxDB at ${url}`, err);
  }
  await res.arrayBuffer();
  if (res.status >= 400) throw httpError(`InfluxDB /ping at ${url}`, res.status, '', res.headers.get('retry-after'));
  return { version: res.headers.get('x-influxdb-version') ?? undefined };
}
