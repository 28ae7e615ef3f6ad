/**
 * Request planning: merge one device's values into the fewest read requests per register type, under a
 * per-request cap (FC 3/4 allow 125 registers, FC 1/2 2000 bits: Modbus Application Protocol v1.1b3 §6.1–6.4)
 * and a maximum run of unused registers a request may span (some devices answer ILLEGAL DATA ADDRESS when a
 * read crosses an undefined area).
 *
 * Greedy is minimal here: sort the spans by start; open a request at the first uncovered span and extend it while
 * the next span still fits. Any valid plan's k-th request cannot reach past the greedy k-th request's end
 * (induction on k), so greedy never uses more requests. `minimalReadCount` checks this by dynamic programming.
 */
import type { RegisterKind } from './template.ts';

/** One value to read: its register type, first address and number of registers (bits for coils/discretes). */
export interface Span {
  register: RegisterKind;
  address: number;
  count: number;
}

/** One request: read `count` registers of `register` from `address`; `spans` are the indices it serves. */
export interface PlannedRead {
  register: RegisterKind;
  address: number;
  count: number;
  spans: number[];
}

/** Planner limits for one device. */
export interface PlanLimits {
  /** registers per FC 3/4 request, default 125 */
  maxRegisters?: number;
  /** unused registers a request may span to merge two values, default 10 */
  maxGap?: number;
  /** bits per FC 1/2 request, default 2000 */
  maxBits?: number;
}

/** FC 3/4 carry at most 125 registers (Modbus Application Protocol v1.1b3 §6.3). */
export const DEFAULT_MAX_REGISTERS = 125;
/** Unused registers a read may span by default: small enough for devices that reject undefined areas. */
export const DEFAULT_MAX_GAP = 10;
/** FC 1/2 carry at most 2000 bits (§6.1, §6.2). */
export const DEFAULT_MAX_BITS = 2000;

const KIND_ORDER: RegisterKind[] = ['coil', 'discrete', 'holding', 'input'];

function capFor(kind: RegisterKind, limits: PlanLimits): number {
  return kind === 'coil' || kind === 'discrete' ? limits.maxBits ?? DEFAULT_MAX_BITS : limits.maxRegisters ?? DEFAULT_MAX_REGISTERS;
}

/** The fewest reads covering every span; throws RangeError when one value alone exceeds the cap. */
export function planReads(spans: Span[], limits: PlanLimits = {}): PlannedRead[] {
  const maxGap = limits.maxGap ?? DEFAULT_MAX_GAP;
  const reads: PlannedRead[] = [];
  for (const kind of KIND_ORDER) {
    const cap = capFor(kind, limits);
    const idx = spans.map((s, i) => i).filter((i) => spans[i].register === kind)
      .sort((a, b) => spans[a].address - spans[b].address || spans[b].count - spans[a].count);
    let cur: PlannedRead | undefined;
    for (const i of idx) {
      const s = spans[i];
      if (s.count > cap) throw new RangeError(`a ${s.count}-register value at ${s.address} exceeds the ${cap}-register cap`);
      const end = s.address + s.count;
      if (cur) {
        const curEnd = cur.address + cur.count;
        const gap = s.address - curEnd;
        const newEnd = Math.max(curEnd, end);
        if (gap <= maxGap && newEnd - cur.address <= cap) {
          cur.count = newEnd - cur.address;
          cur.spans.push(i);
          continue;
        }
      }
      cur = { register: kind, address: s.address, count: s.count, spans: [i] };
      reads.push(cur);
    }
  }
  return reads;
}

/**
 * The minimal number of reads by exhaustive dynamic programming over the sorted spans (O(n²)): an independent
 * check of `planReads` for tests and the benchmark.
 */
export function minimalReadCount(spans: Span[], limits: PlanLimits = {}): number {
  const maxGap = limits.maxGap ?? DEFAULT_MAX_GAP;
  let total = 0;
  for (const kind of KIND_ORDER) {
    const cap = capFor(kind, limits);
    const s = spans.filter((x) => x.register === kind).sort((a, b) => a.address - b.address || b.count - a.count);
    const best = new Array<number>(s.length + 1).fill(Infinity);
    best[0] = 0;
    for (let j = 1; j <= s.length; j++) {
      // try every last request covering s[i..j-1]
      let end = -Infinity;
      let ok = true;
      for (let i = j - 1; i >= 0 && ok; i--) {
        end = Math.max(end, s[i].address + s[i].count);
        if (end - s[i].address > cap) break;
        if (i < j - 1) {
          // the gaps inside the group, computed against the running end of the members before each one
          let runEnd = s[i].address + s[i].count;
          for (let k = i + 1; k < j; k++) {
            if (s[k].address - runEnd > maxGap) { ok = false; break; }
            runEnd = Math.max(runEnd, s[k].address + s[k].count);
          }
          if (!ok) break;
        }
        best[j] = Math.min(best[j], best[i] + 1);
      }
    }
    total += best[s.length];
  }
  return total;
}
