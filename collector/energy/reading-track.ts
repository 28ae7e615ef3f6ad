/**
 * One meter's counter readings in time order, held as two Float64Arrays instead of an array of objects. The
 * collector keeps the readings of the recompute horizon (six hours) for every meter it counts: 720 000 readings
 * for 500 meters polled every 15 s, about 80 bytes each as objects on the JavaScript heap, which every full
 * collection has to walk; 16 bytes each here, outside it (docs/benchmarks.md, bench:collector, 5 Dec 2026).
 */
import type { CounterReading } from './counter.ts';

const INITIAL_CAPACITY = 16;

export class ReadingTrack implements Iterable<CounterReading> {
  private tss = new Float64Array(INITIAL_CAPACITY);
  private values = new Float64Array(INITIAL_CAPACITY);
  /** the live readings are at [head, tail) */
  private head = 0;
  private tail = 0;
  /** the newest reading as an object, made when first asked for after a change */
  private newest?: CounterReading;

  get length(): number {
    return this.tail - this.head;
  }

  /** The timestamp of the i-th reading (0: the oldest). */
  tsAt(i: number): number {
    return this.tss[this.head + i];
  }

  /** The i-th reading as a new object (negative: from the newest), undefined outside the track. */
  at(i: number): CounterReading | undefined {
    const k = i < 0 ? this.length + i : i;
    if (k < 0 || k >= this.length) return undefined;
    return { ts: this.tss[this.head + k], value: this.values[this.head + k] };
  }

  /** The newest reading (the same object until the track changes; readings are never changed once added), undefined when empty. */
  last(): CounterReading | undefined {
    return (this.newest ??= this.at(-1));
  }

  push(r: CounterReading): void {
    this.insert(this.length, r);
  }

  /** Insert a reading before the i-th (i = length appends). The caller keeps the time order. */
  insert(i: number, r: CounterReading): void {
    if (i === 0 && this.head > 0) {
      this.head--;
    } else {
      if (this.tail === this.tss.length) this.makeRoom();
      const at = this.head + i;
      if (at < this.tail) {
        this.tss.copyWithin(at + 1, at, this.tail);
        this.values.copyWithin(at + 1, at, this.tail);
      }
      this.tail++;
    }
    this.tss[this.head + i] = r.ts;
    this.values[this.head + i] = r.value;
    // an appended reading is the newest: keep the caller's object rather than make one on the next `last()`
    this.newest = this.head + i === this.tail - 1 ? r : undefined;
  }

  /** Forget the n oldest readings. */
  dropOldest(n: number): void {
    this.head = Math.min(this.tail, this.head + n);
    if (this.head === this.tail) this.head = this.tail = 0;
    this.newest = undefined;
  }

  clear(): void {
    this.dropOldest(this.length);
  }

  /** The index of the first reading at or after `ts` (length when none is). */
  lowerBound(ts: number): number {
    let lo = this.head;
    let hi = this.tail;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.tss[mid] < ts) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.head;
  }

  *[Symbol.iterator](): Iterator<CounterReading> {
    for (let k = this.head; k < this.tail; k++) yield { ts: this.tss[k], value: this.values[k] };
  }

  /**
   * Room for one more at the end: move the readings to the front when a quarter of the arrays lies unused before
   * them (a track trimmed at its old end as fast as it grows settles at a fixed size), else double the arrays.
   */
  private makeRoom(): void {
    const n = this.length;
    if (this.head >= this.tss.length / 4) {
      this.tss.copyWithin(0, this.head, this.tail);
      this.values.copyWithin(0, this.head, this.tail);
    } else {
      const tss = new Float64Array(this.tss.length * 2);
      const values = new Float64Array(this.tss.length * 2);
      tss.set(this.tss.subarray(this.head, this.tail));
      values.set(this.values.subarray(this.head, this.tail));
      this.tss = tss;
      this.values = values;
    }
    this.head = 0;
    this.tail = n;
  }
}
