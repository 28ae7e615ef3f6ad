/** The outbox's segment files, and the state database that points into them (real files in a temporary folder). */
import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboxLog } from './outbox-log.ts';
import { StateStore, type BatchChanges } from './state-store.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-outbox-log-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const bytes = (s: string) => Buffer.from(s, 'latin1');
const batch = (lines: string, energy = ''): BatchChanges => ({
  readings: [], intervals: [], evicted: [], lines: bytes(lines), energy, count: lines.split('\n').length - 1 + energy.split('\n').length - 1, newest_ts: 1,
});

describe('outbox log', () => {
  it('reads back what it appended, across segments and after reopening', () => {
    const dir = tempDir();
    const log = new OutboxLog(dir, 100);
    const a = log.append(bytes('a'.repeat(60)));
    const b = log.append(bytes('b'.repeat(60))); // would pass 100 bytes: a new segment
    expect([a.seg, a.pos, b.seg, b.pos]).toEqual([1, 0, 2, 0]);
    log.close();
    const again = new OutboxLog(dir, 100);
    const c = again.append(bytes('c'.repeat(10))); // appended to the newest segment
    expect([c.seg, c.pos]).toEqual([2, 60]);
    expect(again.read(a).toString()).toBe('a'.repeat(60));
    expect(again.read(b).toString()).toBe('b'.repeat(60));
    expect(again.read(c).toString()).toBe('c'.repeat(10));
    again.releaseBefore(2);
    expect(readdirSync(dir)).toEqual(['00000002.lp']);
    again.releaseBefore(Number.MAX_SAFE_INTEGER); // the current segment stays
    expect(readdirSync(dir)).toEqual(['00000002.lp']);
    again.close();
  });

  it('deletes the segments a later release frees after releases that had nothing to delete', () => {
    const dir = tempDir();
    const log = new OutboxLog(dir, 100);
    const a = log.append(bytes('a'.repeat(60)));
    log.releaseBefore(a.seg); // the writer's acks while everything is in the first segment
    log.releaseBefore(Number.MAX_SAFE_INTEGER);
    const b = log.append(bytes('b'.repeat(60)));
    const c = log.append(bytes('c'.repeat(60)));
    expect([b.seg, c.seg]).toEqual([2, 3]);
    log.releaseBefore(2);
    expect(readdirSync(dir)).toEqual(['00000002.lp', '00000003.lp']);
    log.releaseBefore(2); // nothing left before 2
    log.releaseBefore(Number.MAX_SAFE_INTEGER);
    expect(readdirSync(dir)).toEqual(['00000003.lp']);
    expect(log.read(c).toString()).toBe('c'.repeat(60));
    log.close();
  });

  it('says which bytes a file no longer holds', () => {
    const dir = tempDir();
    const log = new OutboxLog(dir);
    const a = log.append(bytes('x'.repeat(50)));
    log.close();
    truncateSync(join(dir, '00000001.lp'), 20);
    const again = new OutboxLog(dir);
    expect(again.holds(a)).toBe(false);
    expect(() => again.read(a)).toThrow(/ends before byte 50/);
    again.close();
  });
});

describe('state database with the outbox log', () => {
  it('keeps lines in the log and deletes segments once their entries are written', () => {
    const dir = tempDir();
    const store = new StateStore(dir);
    const e1 = store.commit(batch('t v=1 1\n', 'e q=1 1\n'));
    const e2 = store.commit(batch('t v=2 2\n'));
    expect(store.outboxContent(e1.id)).toEqual({ lines: bytes('t v=1 1\n'), energy: 'e q=1 1\n' });
    expect(store.outboxContent(e2.id).lines?.toString()).toBe('t v=2 2\n');
    store.ack(e2.id);
    expect(store.depth()).toEqual({ entries: 0, points: 0 });
    store.close();
  });

  it('skips bytes a crash left without an entry', () => {
    const dir = tempDir();
    const store = new StateStore(dir);
    const old = store.commit(batch('old v=1 1\n'));
    store.close();
    // bytes appended by a process that died before its commit
    const log = new OutboxLog(join(dir, 'collector-state-outbox'));
    log.append(bytes('orphan v=9 9\n'));
    log.close();
    const again = new StateStore(dir);
    const e = again.commit(batch('new v=2 2\n'));
    expect(again.outboxAfter(0, 100).map((x) => again.outboxContent(x.id).lines?.toString())).toEqual(['old v=1 1\n', 'new v=2 2\n']);
    expect([old.id, e.id]).toEqual([1, 2]);
    again.close();
  });

  it('keeps the energy rows of an entry whose lines an operating-system crash lost, and says so', () => {
    const dir = tempDir();
    const store = new StateStore(dir);
    const e = store.commit(batch('t v=1 1\n', 'e q=1 1\n'));
    store.close();
    truncateSync(join(dir, 'collector-state-outbox', '00000001.lp'), 0);
    const again = new StateStore(dir);
    expect(again.lostEntries).toBe(1);
    expect(again.outboxContent(e.id)).toEqual({ lines: undefined, energy: 'e q=1 1\n' });
    again.close();
  });

  it('stores a batch\'s counter rows in statements of up to 64 rows, every row once', () => {
    const dir = tempDir();
    const store = new StateStore(dir);
    const readings = Array.from({ length: 150 }, (_, i) => ({ meter: `m${i % 2}`, ts: i * 1000, value: i }));
    const intervals = Array.from({ length: 130 }, (_, i) => ({ meter: 'm0', start: i * 900_000, total: { quantity: i, estimated: 0 } }));
    intervals.push({ meter: 'm0', start: 0, total: { quantity: 42, estimated: 1 } }); // a later total of one interval wins
    store.commit({ readings, intervals, evicted: [], energy: '', count: 0, newest_ts: 0 });
    store.close();
    const again = new StateStore(dir);
    const meters = again.loadMeters();
    again.close();
    expect(meters.get('m0')!.readings).toHaveLength(75);
    expect(meters.get('m1')!.readings.at(-1)).toEqual({ ts: 149_000, value: 149 });
    expect(meters.get('m0')!.intervals).toHaveLength(130);
    expect(meters.get('m0')!.intervals[0]).toEqual([0, { quantity: 42, estimated: 1 }]);
  });

  it('sets a refused entry aside with its lines, which outlive the log segment', () => {
    const dir = tempDir();
    const store = new StateStore(dir);
    const e = store.commit(batch('bad v=1 1\n'));
    store.setAside(e.id, 'refused');
    store.ack(e.id);
    store.close();
    const db = new Database(join(dir, 'collector-state.sqlite'));
    const row = db.prepare('SELECT error, lines FROM outbox_refused WHERE id = ?').get(e.id) as { error: string; lines: Buffer };
    db.close();
    expect([row.error, row.lines.toString()]).toEqual(['refused', 'bad v=1 1\n']);
  });
});
