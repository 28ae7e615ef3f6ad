/** Which gateways a collector owns the energy state of, for `--partition k/N` (docs/decisions/0301). */

/** FNV-1a 32-bit: a stable hash, the same in every process and release. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A partition of the site's gateways: this collector is number `index` of `count`. */
export interface Partition {
  index: number;
  count: number;
}

/** Is this gateway's energy state owned by the partition? */
export function ownsGateway(p: Partition, gateway: string): boolean {
  return fnv1a(gateway) % p.count === p.index;
}

/** Parse `k/N` (0 ≤ k < N); undefined for anything else. */
export function parsePartition(s: string): Partition | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return count >= 1 && index < count ? { index, count } : undefined;
}
