/**
 * The bytes of the outbox: each ingested batch's telemetry lines appended to a segment file, while the state
 * database keeps the entry (its counts, energy rows and where its lines are). Appending 60 kB to a file costs a
 * fraction of storing it as a SQLite value, which is written to the log, copied into the database at each
 * checkpoint and freed page by page when the entry is written (decision 0303).
 *
 * Lines are appended before the transaction that records them: a crash in between leaves bytes no entry points
 * to, skipped and deleted with their segment. Segments roll over at `segmentBytes` and are deleted once no entry
 * points into them. Durability matches the state database's (WAL, synchronous NORMAL): whatever a process crash
 * interrupts is on disk; an operating-system crash may lose the last moments of both.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Where an entry's lines are. */
export interface LogLocation {
  seg: number;
  pos: number;
  len: number;
}

const NAME = /^(\d{8})\.lp$/;

/** The segment files of one state database's outbox. */
export class OutboxLog {
  private seg: number;
  private fd: number;
  private size: number;
  /** no segment before this one exists (a release below it has nothing to delete: no directory listing per ack) */
  private first: number;
  private readonly readers = new Map<number, number>();

  constructor(
    readonly dir: string,
    private readonly segmentBytes = 64 * 1024 * 1024,
  ) {
    mkdirSync(dir, { recursive: true });
    const found = this.segments();
    this.seg = Math.max(1, ...found);
    this.first = Math.min(this.seg, ...found);
    this.fd = openSync(this.file(this.seg), 'a+');
    this.size = fstatSync(this.fd).size;
  }

  /** Append `bytes` to the current segment; returns where they are. */
  append(bytes: Uint8Array): LogLocation {
    if (this.size > 0 && this.size + bytes.length > this.segmentBytes) this.roll();
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done);
    const at = { seg: this.seg, pos: this.size, len: bytes.length };
    this.size += bytes.length;
    return at;
  }

  /** The bytes at `at`; throws when the segment no longer holds them (lost in an operating-system crash). */
  read(at: LogLocation): Buffer {
    const buf = Buffer.allocUnsafe(at.len);
    const fd = this.reader(at.seg);
    let done = 0;
    while (done < at.len) {
      const n = readSync(fd, buf, done, at.len - done, at.pos + done);
      if (n === 0) throw new Error(`outbox segment ${this.file(at.seg)} ends before byte ${at.pos + at.len}`);
      done += n;
    }
    return buf;
  }

  /** Does the segment file hold every byte of `at`? */
  holds(at: LogLocation): boolean {
    if (at.seg === this.seg) return at.pos + at.len <= this.size;
    try {
      return at.pos + at.len <= fstatSync(this.reader(at.seg)).size;
    } catch {
      return false;
    }
  }

  /** Delete the segments before `seg` (no entry points into them any more); the current one stays. */
  releaseBefore(seg: number): void {
    if (Math.min(seg, this.seg) <= this.first) return; // nothing older than `seg` is left (the writer acks often)
    for (const s of this.segments()) {
      if (s >= seg || s === this.seg) continue;
      const fd = this.readers.get(s);
      if (fd !== undefined) closeSync(fd);
      this.readers.delete(s);
      rmSync(this.file(s), { force: true });
    }
    this.first = Math.min(seg, this.seg);
  }

  close(): void {
    for (const fd of this.readers.values()) closeSync(fd);
    this.readers.clear();
    closeSync(this.fd);
  }

  private roll(): void {
    closeSync(this.fd);
    this.seg++;
    this.fd = openSync(this.file(this.seg), 'a+');
    this.size = 0;
  }

  private reader(seg: number): number {
    if (seg === this.seg) return this.fd;
    let fd = this.readers.get(seg);
    if (fd === undefined) {
      fd = openSync(this.file(seg), 'r');
      this.readers.set(seg, fd);
    }
    return fd;
  }

  private segments(): number[] {
    return readdirSync(this.dir).map((f) => NAME.exec(f)).filter((m) => m !== null).map((m) => Number(m[1]));
  }

  private file(seg: number): string {
    return join(this.dir, `${String(seg).padStart(8, '0')}.lp`);
  }
}
