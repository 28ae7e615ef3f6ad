/**
 * Opening InfluxDB at start-up: reach `/ping`, learn the version (INFLUX_VERSION or the X-Influxdb-Version
 * header), check the credentials, and on 1.x create the database if it is missing. Every failure is one
 * StartupError line: what, where, how to fix.
 */
import { StartupError } from '../../core/errors.ts';
import type { InfluxConfig, InfluxVersion } from '../config.ts';
import { StorageError } from '../port.ts';
import { ping, query, type QueryTarget } from './http.ts';
import { quoteIdent } from './influxql.ts';
import { InfluxStorage, type InfluxStorageOptions } from './store.ts';
import { redactUrl } from '../../core/secrets.ts';

const FALLBACK = 'or unset INFLUX_URL to use the embedded store';

/** Major and minor of a version string such as "1.6.7", "v2.7.4" or "3.0.1-nightly". */
export function parseVersion(text: string | undefined): { major: number; minor: number } | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(text?.trim() ?? '');
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/** Open InfluxDB as the store, or throw StartupError. */
export async function openInfluxStorage(config: InfluxConfig, extra: Pick<InfluxStorageOptions, 'writeOptions' | 'maxInFlight'> = {}): Promise<InfluxStorage> {
  const where = `InfluxDB at ${redactUrl(config.url)}`;
  let versionText: string | undefined;
  try {
    versionText = (await ping(config.url)).version;
  } catch (err) {
    const reason = err instanceof StorageError ? err.message.replace(`${where}: `, '') : String(err);
    throw new StartupError(`${where}: ${reason} — start it or correct INFLUX_URL, ${FALLBACK}`, { cause: err });
  }
  const detected = parseVersion(versionText);
  const version: InfluxVersion | undefined = config.version ?? (detected && [1, 2, 3].includes(detected.major) ? (detected.major as InfluxVersion) : undefined);
  if (version === undefined) {
    throw new StartupError(`${where}: cannot tell the server version (X-Influxdb-Version: ${versionText ?? 'absent'}) — set INFLUX_VERSION to 1, 2 or 3`);
  }
  if ((version === 2 || version === 3) && !config.token) {
    throw new StartupError(`${where}: InfluxDB ${version}.x needs a token — set INFLUX_TOKEN`);
  }
  if (version === 2 && !config.org) {
    throw new StartupError(`${where}: InfluxDB 2.x writes need an organisation — set INFLUX_ORG`);
  }
  // Every 1.x writes through /write, which every 1.x has and which the tests prove against a real 1.6.7; the
  // /api/v2/write that 1.8 added is never taken on 1.x, so 1.8 (docker-compose's) runs the tested path (decision 0104).
  const v1Write = version === 1;
  const target: QueryTarget = {
    url: config.url, version, database: config.database, retentionPolicy: config.retentionPolicy,
    ...(version === 1 ? v1Credentials(config) : { username: config.username, password: config.password, token: config.token }),
  };
  try {
    if (version === 1) await ensureDatabase(target);
    else await query(target, 'SHOW MEASUREMENTS LIMIT 1').catch((err: unknown) => {
      // A database not created yet is fine (3.x creates it on first write; 2.x needs a bucket + DBRP mapping).
      if (err instanceof StorageError && (err.status === 401 || err.status === 403)) throw err;
    });
  } catch (err) {
    const e = err as StorageError;
    const fix = e.status === 401 || e.status === 403
      ? (version === 1 ? 'check INFLUX_USERNAME and INFLUX_PASSWORD' : 'check INFLUX_TOKEN')
      : version === 1 ? 'create the database or set INFLUX_DB to one that exists' : 'check the server';
    throw new StartupError(`${e.message} — ${fix}, ${FALLBACK}`, { cause: err });
  }
  return new InfluxStorage({
    ...target, versionText, org: config.org, bucket: config.bucket, v1Write, writeOptions: extra.writeOptions, maxInFlight: extra.maxInFlight,
  });
}

/**
 * 1.x authenticates with HTTP Basic on every path. A 1.8 "user:password" token given without a username becomes
 * those Basic credentials, since `/write` and `/query` before 1.8 know no `Token` scheme.
 */
export function v1Credentials(config: Pick<InfluxConfig, 'username' | 'password' | 'token'>): { username?: string; password?: string } {
  if (config.username !== undefined || !config.token) return { username: config.username, password: config.password };
  const colon = config.token.indexOf(':');
  return colon < 0 ? { username: config.token } : { username: config.token.slice(0, colon), password: config.token.slice(colon + 1) };
}

/** 1.x: create the database when it is missing (CREATE DATABASE is idempotent but needs admin rights). */
async function ensureDatabase(t: QueryTarget): Promise<void> {
  const dbs = await query(t, 'SHOW DATABASES');
  const names = dbs.flatMap((s) => s.values.map((row) => row[0]));
  if (names.includes(t.database)) return;
  try {
    await query(t, `CREATE DATABASE ${quoteIdent(t.database)}`);
  } catch (err) {
    throw new StorageError(`InfluxDB at ${redactUrl(t.url)}: database ${t.database} does not exist and could not be created (${(err as Error).message})`, false, (err as StorageError).status, { cause: err });
  }
}
