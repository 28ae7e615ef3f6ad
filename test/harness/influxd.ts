/**
 * A real InfluxDB 1.x server (Debian's influxd) on free loopback ports with its data in a temp dir.
 * Used by the global setup (one shared server) and by outage tests that stop and restart their own.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { serverLifecycle, startProcess, type TestServer } from './process.ts';

export type InfluxServer = TestServer;

/** Start one; `authEnabled` turns on HTTP authentication as docker-compose.yml's server has it. */
export async function startInfluxd(opts: { authEnabled?: boolean } = {}): Promise<InfluxServer> {
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-influxd-'));
  const port = await freePort();
  const bindPort = await freePort();
  const conf = join(dir, 'influxdb.conf');
  writeFileSync(conf, [
    'reporting-disabled = true',
    `bind-address = "127.0.0.1:${bindPort}"`,
    '[meta]', `  dir = "${dir}/meta"`,
    '[data]', `  dir = "${dir}/data"`, `  wal-dir = "${dir}/wal"`, '  query-log-enabled = false',
    '  cache-snapshot-write-cold-duration = "10s"',
    '[http]', `  bind-address = "127.0.0.1:${port}"`, '  log-enabled = false', '  max-body-size = 0', `  auth-enabled = ${opts.authEnabled === true}`,
    '[monitor]', '  store-enabled = false',
    '[continuous_queries]', '  enabled = false',
    '[logging]', '  level = "warn"',
  ].join('\n'));
  const url = `http://127.0.0.1:${port}`;
  const server: InfluxServer = {
    url, port, dir,
    ...serverLifecycle(`influxd on ${url}`, dir,
      () => startProcess('influxd', ['run', '-config', conf], join(dir, 'influxd.log')),
      async () => (await fetch(`${url}/ping`)).status === 204, 30_000),
  };
  await server.start();
  return server;
}

/** Create a database on a 1.x server (idempotent). */
export async function createDatabase(url: string, db: string): Promise<void> {
  const res = await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE "${db}"` }) });
  if (!res.ok) throw new Error(`CREATE DATABASE ${db}: HTTP ${res.status} ${await res.text()}`);
}
