/**
 * A store in front of the real one that holds every write until told: `release` lets them through (the file
 * passed), `discard` answers them without writing (a refused file, a dry run). The collector's outbox writer
 * waits meanwhile and the outbox keeps the lines on disk, so a large file does not grow the heap.
 */
import type { Storage } from '../storage/port.ts';

/** The held store and its two exits; the first call of either decides. */
export interface HeldStorage {
  storage: Storage;
  release(): void;
  discard(): void;
}

/** Hold the writes to `target`; reads go straight through. */
export function heldStorage(target: Storage): HeldStorage {
  let decided: 'release' | 'discard' | undefined;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => { open = resolve; });
  const pass = async <T>(write: () => Promise<T>): Promise<T | undefined> => {
    await gate;
    return decided === 'release' ? write() : undefined;
  };
  const storage: Storage = {
    kind: target.kind,
    write: async (points) => { await pass(() => target.write(points)); },
    writeLines: async (lines) => { await pass(() => target.writeLines(lines)); },
    flush: async () => { await pass(() => target.flush()); },
    aggregate: (q) => target.aggregate(q),
    raw: (q) => target.raw(q),
    health: () => target.health(),
    close: async () => undefined, // the caller's store: closed by the caller
  };
  const decide = (how: 'release' | 'discard') => {
    if (decided) return;
    decided = how;
    open();
  };
  return { storage, release: () => decide('release'), discard: () => decide('discard') };
}
