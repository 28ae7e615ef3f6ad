/**
 * A ceiling on a long-running process's heap. Under a sustained stream V8 lets the old generation grow to several
 * times what is live before it collects (its heuristics favour throughput): a collector holding ~60 MB of live data
 * sat at 400 MB resident, and a gateway holding 20 MB reaches past its 150 MB budget polling 200 meters back to back.
 * The collector's outbox writer calls `trimHeap()` after each storage write, the gateway after each batch it
 * queues: when the old generation uses more than the limit, a full collection runs. The young generation is left
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

/** Collect garbage when the old generation uses more than `limit_bytes`; returns whether it did. */
export function trimHeap(limit_bytes: number): boolean {
  const gc = exposedGc();
  if (!gc || oldGenerationBytes() <= limit_bytes) return false;
  gc();
  return true;
}
