/** A store that takes every write at once and keeps nothing: a benchmark then times only the collector's own work. */
import type { Storage } from '../storage/port.ts';

/** The storage port with nothing behind it (`kind: 'discard'`). */
export const discardStorage: Storage = {
  kind: 'discard',
  write: async () => undefined,
  writeLines: async () => undefined,
  flush: async () => undefined,
  aggregate: async () => [],
  raw: async () => [],
  health: async () => ({ ok: true, kind: 'discard', detail: 'keeps nothing' }),
  close: async () => undefined,
};
