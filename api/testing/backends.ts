/** The storage backends the route tests run against: the real adapters when present, and memory. */
import type { Storage } from '../../storage/port.ts';
import { memoryStorage } from './memory-storage.ts';

/** A named way to open a fresh, empty store for one test file. */
export interface Backend {
  name: string;
  open(): Promise<{ storage: Storage; cleanup(): Promise<void> }>;
}

/** Backends to test against. */
export function storageBackends(): Backend[] {
  return [{ name: 'memory', open: async () => ({ storage: memoryStorage(), cleanup: async () => {} }) }];
}
