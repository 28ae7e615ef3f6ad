/**
 * A ceiling on a long-running process's heap. Under a sustained stream V8 lets the old generation grow to several
 * times what is live before it collects (its heuristics favour throughput): a collector holding ~60 MB of live data
 * sat at 400 MB resident, and a gateway holding 20 MB reaches past its 150 MB budget polling 200 meters back to back.
 * The collector's outbox writer checks its `HeapCeiling` after each storage write, the gateway after each batch
 * it queues: when the old generation uses more than the limit, a full collection runs. The young generation is left
 * out: it is emptied by its own cheap collections, and counting it made a larger young generation trigger full
 * collections that found little to free.
 *
 * The full collection is V8's `gc`, which Node exposes only when started with `--expose-gc`: set it in
 * `NODE_OPTIONS=--expose-gc` (docker-compose.yml does for the collector and the gateways; docs/collector.md and
 * docs/gateway.md say why). Without it the check does nothing and V8 decides alone; the process never changes V8's
 * flags at run time.
 */
import { getHeapSpaceStatistics } from 'node:v8';

/** V8's full collection when Node was started with `--expose-gc`, else undefined. */
export function exposedGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as () => void) : undefined;
}

/** Bytes used in the heap outside the young generation. */
function oldGenerationBytes(): number {
  let used = 0;
  for (const s of getHeapSpaceStatistics()) if (s.space_name !== 'new_space' && s.space_name !== 'new_large_object_space') used += s.space_used_size;
  return used;
}

/**
 * The ceiling of one process part (the collector's outbox writer, a gateway): `check()` collects garbage when the
 * old generation uses more than the limit and more than what the last collection left live plus a quarter of the
 * limit. Without the second condition a live heap near the limit made every check a full collection that freed
 * next to nothing: a collector whose live old generation sat at ~46 MiB under a 48 MiB limit ran one per storage
 * request, freeing ~2 MiB each (docs/benchmarks.md, 5 Dec 2026).
 */
export class HeapCeiling {
  /** what the last collection left live */
  private liveAfter = 0;

  constructor(private readonly limitBytes: number) {}

  /** Collect when due; returns whether it did. */
  check(): boolean {
    const gc = exposedGc();
    if (!gc || this.limitBytes <= 0) return false;
    // a collection is worth its pause only when it can free a quarter of the limit or more
    const due = Math.max(this.limitBytes, this.liveAfter + this.limitBytes / 4);
    if (oldGenerationBytes() <= due) return false;
    gc();
    this.liveAfter = oldGenerationBytes();
    return true;
  }
}
