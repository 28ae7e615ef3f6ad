/** Reading the storage variables from the environment. */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/config/yaml-file.ts';
import { storageConfigFromEnv } from './config.ts';

describe('storageConfigFromEnv', () => {
  it('defaults to the embedded file under ./data', () => {
    expect(storageConfigFromEnv({})).toEqual({ kind: 'embedded', path: join(resolve('./data'), 'jieneng.sqlite') });
    expect(storageConfigFromEnv({ DATA_DIR: '/srv/jieneng', INFLUX_URL: ' ' })).toEqual({ kind: 'embedded', path: '/srv/jieneng/jieneng.sqlite' });
  });

  it('reads every InfluxDB variable', () => {
    expect(storageConfigFromEnv({
      INFLUX_URL: 'https://influx.example:8086/', INFLUX_VERSION: '2', INFLUX_DB: 'energy', INFLUX_RP: 'autogen',
      INFLUX_ORG: 'district', INFLUX_BUCKET: 'energy/autogen', INFLUX_TOKEN: 'secret',
    })).toEqual({
      kind: 'influxdb', url: 'https://influx.example:8086', version: 2, database: 'energy', retentionPolicy: 'autogen',
      org: 'district', bucket: 'energy/autogen', username: undefined, password: undefined, token: 'secret',
    });
    expect(storageConfigFromEnv({ INFLUX_URL: 'http://localhost:8086', INFLUX_USERNAME: 'u', INFLUX_PASSWORD: 'p', INFLUX_VERSION: '1.6' }))
      .toMatchObject({ version: 1, database: 'jieneng', username: 'u', password: 'p' });
    expect(storageConfigFromEnv({ INFLUX_URL: 'http://localhost:8086' })).toMatchObject({ version: undefined });
  });

  it.each([
    [{ INFLUX_URL: 'localhost:8086' }, '(environment): INFLUX_URL: protocol must be http or https, got localhost:'],
    [{ INFLUX_URL: 'not a url' }, '(environment): INFLUX_URL: not a URL: "not a url" (expected e.g. http://localhost:8086)'],
    [{ INFLUX_URL: 'http://h:8086', INFLUX_VERSION: '4' }, '(environment): INFLUX_VERSION: must be 1, 2 or 3, got "4"'],
    [{ INFLUX_URL: 'http://h:8086', INFLUX_PASSWORD: 'p' }, '(environment): INFLUX_USERNAME: INFLUX_PASSWORD is set but INFLUX_USERNAME is not'],
  ])('rejects %j in one line', (env, message) => {
    expect(() => storageConfigFromEnv(env)).toThrow(ConfigError);
    expect(() => storageConfigFromEnv(env)).toThrow(message);
  });
});
