/**
 * `jieneng api run --site FILE [--port N] [--host H]`: the HTTP API on its own, reading the store configured
 * by the environment (INFLUX_URL … or the embedded file), until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { loadSite } from '../core/site/load.ts';
import { logger } from '../core/log.ts';
import { startApi } from './server.ts';

const USAGE = 'usage: jieneng api run --site <site.yaml> [--port 8080] [--host 0.0.0.0]';

/** Entry of `jieneng api …`; returns the exit code. */
export async function apiCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'run') {
    process.stderr.write(`${USAGE}\n`);
    return command ? 2 : 0;
  }
  let values: { site?: string; port?: string; host?: string };
  try {
    ({ values } = parseArgs({ args: rest, options: { site: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } } }));
  } catch (err) {
    process.stderr.write(`jieneng api: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const port = Number(values.port ?? process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`jieneng api: --port: '${values.port ?? process.env.PORT}' is not a TCP port\n`);
    return 2;
  }
  const site = loadSite(values.site ?? process.env.SITE_FILE ?? 'config/demo-site.yaml');
  const { openStorage, storageConfigFromEnv } = await import('../storage/index.ts');
  const storage = await openStorage(storageConfigFromEnv(process.env), { timezone: site.site.timezone });
  const api = await startApi({ site, storage, port, host: values.host ?? '0.0.0.0' });
  const log = logger('api');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log.info('stopping');
  await api.stop();
  await storage.close();
  return 0;
}
