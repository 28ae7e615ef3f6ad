/**
 * A ceiling on the collector's heap. Under a sustained stream V8 lets the old generation grow to several times
 * what is live before it collects (its heuristics favour throughput), so a collector that holds ~60 MB of live
 * data can sit at 400 MB resident. The writer calls `trimHeap()` after each storage write: when the old
 * generation uses more than the limit it runs a full collection (V8's `gc`, exposed at run time for this
 * purpose). The young generation is left out: it is emptied by its own cheap collections, and counting it made
 * a larger young generation trigger full collections that found little to free.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
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

/** Bytes used in the heap outside the young generation. */
function oldGenerationBytes(): number {
  let used = 0;
  for (const s of getHeapSpaceStatistics()) if (s.space_name !== 'new_space' && s.space_name !== 'new_large_object_space') used += s.space_used_size;
  return used;
}

/** Collect garbage when the old generation uses more than `limit_bytes`; returns whether it did. */
export function trimHeap(limit_bytes: number): boolean {
  if (oldGenerationBytes() <= limit_bytes) return false;
  const gc = gcFunction();
  if (!gc) return false;
  gc();
  return true;
}
