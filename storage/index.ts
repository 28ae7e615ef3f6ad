/**
 * Opening the configured store: `openStorage(storageConfigFromEnv(process.env))` (commands: storage/from-env.ts). Start-up problems are one
 * StartupError line saying what, where and how to fix it.
 */
import { StartupError } from '../core/errors.ts';
import type { StorageConfig } from './config.ts';
import { openEmbeddedStorage } from './embedded/store.ts';
import { dayTier } from './embedded/rollups.ts';
import { tzOffsetMs } from '../core/time.ts';
import type { Storage } from './port.ts';

export { storageConfigFromEnv, type StorageConfig, type InfluxConfig, type EmbeddedConfig, type InfluxVersion } from './config.ts';
export { StorageError, type Storage } from './port.ts';

/**
 * Open the store the config names, checking it can be used; throws StartupError with one line otherwise.
 * `timezone` is the site's: the embedded store keeps day rollups on its local days (its standard offset).
 */
export async function openStorage(config: StorageConfig, opts: { timezone?: string } = {}): Promise<Storage> {
  if (config.kind === 'influxdb') {
    const { openInfluxStorage } = await import('./influx/open.ts');
    return openInfluxStorage(config);
  }
  try {
    const tiers = opts.timezone ? [dayTier(tzOffsetMs(Date.UTC(new Date().getUTCFullYear(), 0, 15), opts.timezone))] : undefined;
    return openEmbeddedStorage({ path: config.path, tiers });
  } catch (err) {
    throw new StartupError(`${(err as Error).message} — check that DATA_DIR points to a writable directory`, { cause: err });
  }
}
