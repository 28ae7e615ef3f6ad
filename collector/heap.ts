/**
 * A ceiling on the collector's heap. Under a sustained stream V8 lets the old generation grow to several times
 * what is live before it collects (its heuristics favour throughput), so a collector that holds ~60 MB of live
 * data can sit at 400 MB resident. The writer calls `trimHeap()` after each storage write: when the used heap
 * is above the limit it runs a full collection (V8's `gc`, exposed at run time for this purpose).
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined | null;

function gcFunction(): (() => void) | null {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    } catch {
      collect = null; // not available: V8 decides alone
    }
  }
  return collect;
}

/** Collect garbage when the used heap exceeds `limit_bytes`; returns whether it did. */
export function trimHeap(limit_bytes: number): boolean {
  if (getHeapStatistics().used_heap_size <= limit_bytes) return false;
  const gc = gcFunction();
  if (!gc) return false;
  gc();
  return true;
}
