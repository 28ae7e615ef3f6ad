/** The API on the returns' fixture site with an in-memory manual-entries store, for the entry and upload tests. */
import { startApi } from '../server.ts';
import { testKeys } from '../testing/fixture.ts';
import { memoryStorage } from '../testing/memory-storage.ts';
import { EntryStore } from './entry-store.ts';
import { returnsSite } from './testing.ts';

export interface EntriesApiFixture {
  keys: ReturnType<typeof testKeys>;
  entries: EntryStore;
  /** Start the API; resolves to its base URL (`…/api/v1`). */
  start(): Promise<string>;
  /** Stop the API and close the stores. */
  stop(): Promise<void>;
}

/** Keys and the entry store at once (a describe block uses them), the API when `start` is called. */
export function entriesApiFixture(): EntriesApiFixture {
  const keys = testKeys();
  const entries = new EntryStore(':memory:');
  let stopApi: () => Promise<void> = async () => {};
  return {
    keys, entries,
    async start() {
      const api = await startApi({ site: returnsSite(), storage: memoryStorage(), port: 0, security: keys.security, entries });
      stopApi = api.stop;
      return `http://127.0.0.1:${api.port}/api/v1`;
    },
    async stop() {
      await stopApi();
      entries.close();
      keys.security.close();
    },
  };
}
