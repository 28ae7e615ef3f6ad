/**
 * A store in front of the real one that holds every write until told: `release` lets them through (the file
 * passed), `discard` answers them without writing (a refused file, a dry run). The collector's outbox writer
 * waits meanwhile and the outbox keeps the lines on disk, so a large file does not grow the heap. Lines of the
 * measurements named in `drop` never pass (the site totals, which an import leaves to the collectors).
 */
import type { Storage } from '../storage/port.ts';

/** The held store and its two exits; the first call of either decides. */
export interface HeldStorage {
  storage: Storage;
  release(): void;
  discard(): void;
}

/** Hold the writes to `target`; reads go straight through. */
export function heldStorage(target: Storage, drop: readonly string[] = []): HeldStorage {
  let decided: 'release' | 'discard' | undefined;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => { open = resolve; });
  const pass = async <T>(write: () => Promise<T>): Promise<T | undefined> => {
    await gate;
    return decided === 'release' ? write() : undefined;
  };
  const kept = (lines: string | Uint8Array) => withoutMeasurements(lines, drop);
  const storage: Storage = {
    kind: target.kind,
    write: async (points) => { await pass(() => target.write(points.filter((p) => !drop.includes(p.measurement)))); },
    writeLines: async (lines) => { await pass(async () => { const text = kept(lines); if (text.length > 0) await target.writeLines(text); }); },
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

/** Line protocol without the lines of the `drop` measurements (unchanged, not copied, when it holds none). */
export function withoutMeasurements(lines: string | Uint8Array, drop: readonly string[]): string | Uint8Array {
  if (drop.length === 0) return lines;
  const text = typeof lines === 'string' ? lines : Buffer.from(lines.buffer, lines.byteOffset, lines.byteLength);
  if (!drop.some((m) => text.includes(`${m},`) || text.includes(`${m} `))) return lines;
  const str = typeof text === 'string' ? text : text.toString('utf8');
  return str.split('\n').filter((l) => l !== '' && !drop.some((m) => l.startsWith(`${m},`) || l.startsWith(`${m} `))).map((l) => `${l}\n`).join('');
}
