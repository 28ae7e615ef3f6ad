/**
 * The store the environment configures (INFLUX_URL …, else the embedded file under DATA_DIR: storage/config.ts), as
 * a function a command calls when it needs the store; tests pass their own instead. The store's modules are imported
 * on that call, so that a command's `--help` or a usage error loads no store client.
 */
import type { Storage } from './port.ts';

/** Opens the configured store; `timezone` is the site's (the embedded store's day rollups). */
export function storeFromEnv(timezone?: string): () => Promise<Storage> {
  return async () => {
    const { openStorage, storageConfigFromEnv } = await import('./index.ts');
    return openStorage(storageConfigFromEnv(process.env), { timezone });
  };
}
