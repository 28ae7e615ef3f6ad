import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openGapBatches, SeqLedger } from './ledger.ts';

describe('sequence ledger', () => {
  it('drops duplicates, opens gaps, closes them as batches come back, and survives a reopen', () => {
    const db = new Database(':memory:');
    let now = 0;
    const ledger = new SeqLedger(db, { now: () => now });
    ledger.stored('gw', 0, 100);
    ledger.stored('gw', 1, 101);
    expect(ledger.isDuplicate('gw', 1, 101)).toBe(true);
    ledger.stored('gw', 5, 105); // 2..4 missing
    expect(ledger.isDuplicate('gw', 3, 103)).toBe(false);
    expect(ledger.due()).toEqual([]); // not yet: they may still arrive out of order
    now = 3000;
    expect(ledger.due()).toEqual([{ gateway: 'gw', from_seq: 2, to_seq: 4, attempt: 1 }]);
    ledger.stored('gw', 3, 103);
    const again = new SeqLedger(db, { now: () => now });
    const [a] = again.snapshot();
    expect(a).toMatchObject({ last_seq: 5, stored: 4, recovered: 1, lost: 0 });
    expect(a.gaps.map((g) => [g.from_seq, g.to_seq])).toEqual([[2, 2], [4, 4]]);
    expect(openGapBatches(a)).toBe(2);
  });

  it('counts as lost what the gateway no longer holds and what never comes back', () => {
    let now = 0;
    const lost: string[] = [];
    const ledger = new SeqLedger(new Database(':memory:'), { now: () => now, maxAttempts: 2, onLost: (gw, r, why) => lost.push(`${gw} ${JSON.stringify(r)} ${why}`) });
    ledger.stored('gw', 0, 1);
    ledger.stored('gw', 10, 2); // 1..9 missing
    now = 5000;
    expect(ledger.due()).toHaveLength(1);
    ledger.unavailable('gw', [{ from_seq: 0, to_seq: 3 }]);
    expect(ledger.snapshot()[0]).toMatchObject({ lost: 3, gaps: [{ from_seq: 4, to_seq: 9, attempts: 1 }] });
    now = 30_000;
    expect(ledger.due(5, () => true)).toEqual([]); // the gateway is offline: no attempt spent
    expect(ledger.due()).toEqual([{ gateway: 'gw', from_seq: 4, to_seq: 9, attempt: 2 }]);
    now = 60_000;
    expect(ledger.due()).toEqual([]);
    expect(ledger.snapshot()[0]).toMatchObject({ lost: 9, gaps: [] });
    expect(lost).toEqual([
      'gw [{"from_seq":1,"to_seq":3}] the gateway no longer holds them',
      'gw [{"from_seq":4,"to_seq":9}] not resent after 2 requests',
    ]);
  });

  it('recognises a gateway that started its numbering again', () => {
    const ledger = new SeqLedger(new Database(':memory:'));
    ledger.stored('gw', 100, 1000);
    ledger.stored('gw', 103, 1003);
    expect(ledger.isDuplicate('gw', 0, 1002)).toBe(true); // older than the newest batch: a replay
    expect(ledger.isDuplicate('gw', 0, 5000)).toBe(false); // newer: a new numbering
    ledger.stored('gw', 0, 5000);
    expect(ledger.snapshot()[0]).toMatchObject({ last_seq: 0, restarts: 1, lost: 2, gaps: [] });
  });

  it('splits long gaps into requests of at most 10 000 batches; an absurd jump is a new numbering', () => {
    const ledger = new SeqLedger(new Database(':memory:'), { askAfterMs: 0 });
    ledger.stored('gw', 0, 1);
    ledger.stored('gw', 25_001, 2);
    expect(ledger.due().map((r) => [r.from_seq, r.to_seq])).toEqual([[1, 10_000], [10_001, 20_000], [20_001, 25_000]]);
    ledger.stored('gw', 5_000_000, 3);
    expect(ledger.snapshot()[0]).toMatchObject({ last_seq: 5_000_000, restarts: 1, lost: 25_000, gaps: [] });
  });

  it('does not let a batch stamped far ahead of the clock make the real ones after it look old', () => {
    const now = 1_000_000;
    const ledger = new SeqLedger(new Database(':memory:'), { now: () => now });
    ledger.stored('gw', 10, now - 2000);
    ledger.stored('gw', 2_000_000_000, now + 86_400_000); // forged: ignored by the ledger
    expect(ledger.isDuplicate('gw', 11, now - 1000)).toBe(false);
    ledger.stored('gw', 11, now - 1000);
    expect(ledger.snapshot()[0]).toMatchObject({ last_seq: 11, restarts: 0, lost: 0 });
  });
});
