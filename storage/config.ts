/**
 * Storage configuration from the environment (docs/storage.md lists every variable). With `INFLUX_URL` set
 * the store is InfluxDB; otherwise the embedded SQLite file `jieneng.sqlite` under `DATA_DIR`.
 */
import { join, resolve } from 'node:path';
import { EnvSchema } from '../core/config/env.ts';
import { ConfigError } from '../core/config/yaml-file.ts';
import { readSecret, urlPassword } from '../core/secrets.ts';

/** InfluxDB major version: 1 (InfluxQL + /write), 2 (v1 compatibility API), 3 (InfluxQL on /query). */
export type InfluxVersion = 1 | 2 | 3;

/** How to reach InfluxDB. */
export interface InfluxConfig {
  kind: 'influxdb';
  url: string;
  /** from INFLUX_VERSION; undefined: detected from /ping's X-Influxdb-Version header */
  version?: InfluxVersion;
  /** database (1.x, 3.x; on 2.x the DBRP-mapped name used by InfluxQL) */
  database: string;
  /** retention policy (1.x; on 2.x part of the DBRP mapping); undefined: the database's default */
  retentionPolicy?: string;
  /** 2.x organisation */
  org?: string;
  /** 2.x bucket; default: `database` or `database/retentionPolicy` */
  bucket?: string;
  username?: string;
  password?: string;
  token?: string;
}

/** Where the embedded store keeps its file. */
export interface EmbeddedConfig {
  kind: 'embedded';
  /** the SQLite file */
  path: string;
}

/** Either store. */
export type StorageConfig = InfluxConfig | EmbeddedConfig;

const ENV = '(environment)';

/** Read the storage variables; a bad value is a ConfigError naming the variable. */
export function storageConfigFromEnv(env: NodeJS.ProcessEnv): StorageConfig {
  const get = (k: string): string | undefined => {
    const v = env[k]?.trim();
    return v ? v : undefined;
  };
  const url = get('INFLUX_URL');
  if (!url) {
    return { kind: 'embedded', path: join(resolve(get('DATA_DIR') ?? EnvSchema.properties.DATA_DIR.default), 'jieneng.sqlite') };
  }
  urlPassword(url); // a password in the URL is redacted from every log line
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(ENV, 'INFLUX_URL', `not a URL: ${JSON.stringify(url)} (expected e.g. http://localhost:8086)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(ENV, 'INFLUX_URL', `protocol must be http or https, got ${parsed.protocol}`);
  }
  const versionText = get('INFLUX_VERSION');
  let version: InfluxVersion | undefined;
  if (versionText !== undefined) {
    const major = Number(versionText.split('.')[0]);
    if (major !== 1 && major !== 2 && major !== 3) throw new ConfigError(ENV, 'INFLUX_VERSION', `must be 1, 2 or 3, got ${JSON.stringify(versionText)}`);
    version = major;
  }
  // secrets from the variable or the file INFLUX_PASSWORD_FILE / INFLUX_TOKEN_FILE names (Docker secrets)
  const username = get('INFLUX_USERNAME'), password = readSecret(env, 'INFLUX_PASSWORD')?.trim() || undefined;
  if (password !== undefined && username === undefined) throw new ConfigError(ENV, 'INFLUX_USERNAME', 'INFLUX_PASSWORD is set but INFLUX_USERNAME is not');
  return {
    kind: 'influxdb',
    url: url.replace(/\/+$/, ''),
    version,
    database: get('INFLUX_DB') ?? 'jieneng',
    retentionPolicy: get('INFLUX_RP'),
    org: get('INFLUX_ORG'),
    bucket: get('INFLUX_BUCKET'),
    username,
    password,
    token: readSecret(env, 'INFLUX_TOKEN')?.trim() || undefined,
  };
}
