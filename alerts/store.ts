/**
 * The alerts' durable state (issue 14, D8): every instance that is not normal, the history of transitions, the
 * notification outbox and the delivery log, in one SQLite file. A transition and the notifications it owes are
 * written in one transaction, so a restart neither loses a firing alert (it is read back) nor notifies it twice
 * (a sent notification is marked sent; only pending ones are delivered after a restart).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { StartupError } from '../core/errors.ts';
import type { LifecycleState, Transition } from './engine/lifecycle.ts';
import type { Severity } from './rules/schema.ts';

/** One instance as stored: who it is about and its lifecycle. */
export interface StoredInstance extends LifecycleState {
  key: string;
  rule: string;
  device: string;
  point: string;
  value?: number;
}

/** A transition to store, with what identifies and describes it. */
export interface AlertEvent {
  key: string;
  rule: string;
  device: string;
  building: string;
  point: string;
  severity: Severity;
  transition: Transition;
  at_ms: number;
  value?: number;
  message: string;
}

/** A stored transition with its id and, for a firing one, who acknowledged it. */
export interface StoredEvent extends AlertEvent {
  id: number;
  ack?: { by: string; at_ms: number; comment: string };
}

/** A notification waiting for delivery, with its event. */
export interface PendingNotification {
  id: number;
  channel: string;
  attempts: number;
  /** sent to the next contact group because nobody acknowledged the alert in time */
  escalation: boolean;
  /** held through quiet hours: goes out in the channel's digest */
  digest: boolean;
  event: StoredEvent;
}

/** One delivery attempt, as logged. */
export interface DeliveryAttempt {
  notification_id: number;
  channel: string;
  attempt: number;
  at_ms: number;
  ok: boolean;
  detail: string;
  duration_ms: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alert_instance (
  key TEXT PRIMARY KEY, rule TEXT NOT NULL, device TEXT NOT NULL, point TEXT NOT NULL,
  state TEXT NOT NULL, since_ms INTEGER NOT NULL, clear_since_ms INTEGER, breached INTEGER NOT NULL,
  onsets TEXT NOT NULL, value REAL
);
CREATE TABLE IF NOT EXISTS alert_event (
  id INTEGER PRIMARY KEY, key TEXT NOT NULL, rule TEXT NOT NULL, device TEXT NOT NULL, building TEXT NOT NULL,
  point TEXT NOT NULL, severity TEXT NOT NULL, transition TEXT NOT NULL, at_ms INTEGER NOT NULL, value REAL,
  message TEXT NOT NULL, acked_by TEXT, acked_at_ms INTEGER, ack_comment TEXT, escalated_ms INTEGER
);
CREATE TABLE IF NOT EXISTS silence (
  id INTEGER PRIMARY KEY, starts_ms INTEGER NOT NULL, ends_ms INTEGER NOT NULL, rule TEXT, device TEXT, building TEXT,
  comment TEXT NOT NULL, created_by TEXT NOT NULL, created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_event_at ON alert_event (at_ms);
CREATE TABLE IF NOT EXISTS notification (
  id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL REFERENCES alert_event (id), channel TEXT NOT NULL,
  status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL,
  last_error TEXT, sent_ms INTEGER, escalation INTEGER NOT NULL DEFAULT 0, digest INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS notification_due ON notification (status, next_attempt_ms);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS delivery (
  id INTEGER PRIMARY KEY, notification_id INTEGER NOT NULL, channel TEXT NOT NULL, attempt INTEGER NOT NULL,
  at_ms INTEGER NOT NULL, ok INTEGER NOT NULL, detail TEXT NOT NULL, duration_ms INTEGER NOT NULL
);
`;

interface EventRow { id: number; key: string; rule: string; device: string; building: string; point: string; severity: Severity; transition: Transition; at_ms: number; value: number | null; message: string; acked_by: string | null; acked_at_ms: number | null; ack_comment: string | null; escalated_ms: number | null }

/** A maintenance window: notifications of matching transitions within it are not sent (kept as `silenced`). */
export interface Silence {
  id: number;
  starts_ms: number;
  ends_ms: number;
  /** any that is set must match; none set: the whole site */
  rule?: string;
  device?: string;
  building?: string;
  comment: string;
  created_by: string;
  created_ms: number;
}

/** A filter of the alert history. */
export interface EventFilter {
  transition?: Transition;
  severity?: string;
  building?: string;
  from_ms?: number;
  to_ms?: number;
  limit?: number;
}

/** The alerts' SQLite file `alerts.sqlite` in a folder. */
export class AlertStore {
  readonly db: Database.Database;
  private readonly upsert: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly insertNotification: Database.Statement;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'alerts.sqlite');
    try {
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
    } catch (err) {
      throw new StartupError(`alert state file ${path} is unreadable (${(err as Error).message}): move it aside to start with no alert state`, { cause: err });
    }
    this.upsert = this.db.prepare(`INSERT INTO alert_instance (key, rule, device, point, state, since_ms, clear_since_ms, breached, onsets, value)
      VALUES (@key, @rule, @device, @point, @state, @since_ms, @clear_since_ms, @breached, @onsets, @value)
      ON CONFLICT (key) DO UPDATE SET state = excluded.state, since_ms = excluded.since_ms, clear_since_ms = excluded.clear_since_ms,
        breached = excluded.breached, onsets = excluded.onsets, value = excluded.value`);
    this.insertEvent = this.db.prepare(`INSERT INTO alert_event (key, rule, device, building, point, severity, transition, at_ms, value, message)
      VALUES (@key, @rule, @device, @building, @point, @severity, @transition, @at_ms, @value, @message)`);
    this.insertNotification = this.db.prepare('INSERT INTO notification (event_id, channel, status, next_attempt_ms) VALUES (?, ?, \'pending\', ?)');
  }

  /** Every stored instance (firing ones, and others saved at shutdown). */
  loadInstances(): StoredInstance[] {
    const rows = this.db.prepare('SELECT * FROM alert_instance').all() as (Omit<StoredInstance, 'breached' | 'onsets' | 'value' | 'clear_since_ms'> & { breached: number; onsets: string; value: number | null; clear_since_ms: number | null })[];
    return rows.map((r) => ({
      ...r, breached: r.breached === 1, onsets: JSON.parse(r.onsets) as number[],
      value: r.value ?? undefined, clear_since_ms: r.clear_since_ms ?? undefined,
    }));
  }

  /** The stored state of one instance, or undefined when it was never stored. */
  instanceState(key: string): LifecycleState['state'] | undefined {
    return (this.db.prepare('SELECT state FROM alert_instance WHERE key = ?').get(key) as { state: LifecycleState['state'] } | undefined)?.state;
  }

  /** Save instances (at shutdown, or with a transition). */
  saveInstances(instances: readonly StoredInstance[]): void {
    this.db.transaction(() => { for (const i of instances) this.upsert.run(instanceRow(i)); })();
  }

  /** A transition: the instance, its event and one pending notification per channel, in one transaction. */
  recordTransition(instance: StoredInstance, event: AlertEvent, channels: readonly string[], now_ms: number): number {
    return this.db.transaction(() => {
      this.upsert.run(instanceRow(instance));
      const id = Number(this.insertEvent.run({ ...event, value: event.value ?? null }).lastInsertRowid);
      for (const c of channels) this.insertNotification.run(id, c, now_ms);
      return id;
    })();
  }

  /** Notifications due for an attempt, oldest first. */
  dueNotifications(now_ms: number, limit = 100): PendingNotification[] {
    const rows = this.db.prepare(`SELECT n.id AS nid, n.channel, n.attempts, n.escalation, n.digest, e.* FROM notification n JOIN alert_event e ON e.id = n.event_id
      WHERE n.status = 'pending' AND n.next_attempt_ms <= ? ORDER BY n.id LIMIT ?`).all(now_ms, limit) as (EventRow & { nid: number; channel: string; attempts: number; escalation: number; digest: number })[];
    return rows.map(({ nid, channel, attempts, escalation, digest, ...e }) => ({ id: nid, channel, attempts, escalation: escalation === 1, digest: digest === 1, event: eventOf(e) }));
  }

  /** Log an attempt and settle the notification: sent, retried at `retry_at_ms`, or failed for good. */
  settle(attempt: DeliveryAttempt, outcome: { sent: true } | { retry_at_ms: number } | { failed: true }): void {
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO delivery (notification_id, channel, attempt, at_ms, ok, detail, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(attempt.notification_id, attempt.channel, attempt.attempt, attempt.at_ms, attempt.ok ? 1 : 0, attempt.detail, attempt.duration_ms);
      if ('sent' in outcome) this.db.prepare('UPDATE notification SET status = \'sent\', attempts = ?, sent_ms = ?, last_error = NULL WHERE id = ?').run(attempt.attempt, attempt.at_ms, attempt.notification_id);
      else if ('retry_at_ms' in outcome) this.db.prepare('UPDATE notification SET attempts = ?, next_attempt_ms = ?, last_error = ? WHERE id = ?').run(attempt.attempt, outcome.retry_at_ms, attempt.detail, attempt.notification_id);
      else this.db.prepare('UPDATE notification SET status = \'failed\', attempts = ?, last_error = ? WHERE id = ?').run(attempt.attempt, attempt.detail, attempt.notification_id);
    })();
  }

  /** Hold a notification through quiet hours: it goes out in its channel's digest at `at_ms`. */
  holdForDigest(id: number, at_ms: number): void {
    this.db.prepare('UPDATE notification SET next_attempt_ms = ?, digest = 1 WHERE id = ?').run(at_ms, id);
  }

  /** Hold a notification back until `at_ms` without spending an attempt (a robot's rate limit). */
  postpone(id: number, at_ms: number): void {
    this.db.prepare('UPDATE notification SET next_attempt_ms = ? WHERE id = ?').run(at_ms, id);
  }

  /** Transitions, newest first. */
  events(limit = 1000): StoredEvent[] {
    return this.findEvents({ limit });
  }

  /** Transitions matching a filter, newest first. */
  findEvents(f: EventFilter): StoredEvent[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (f.transition) { where.push('transition = ?'); args.push(f.transition); }
    if (f.severity) { where.push('severity = ?'); args.push(f.severity); }
    if (f.building) { where.push('building = ?'); args.push(f.building); }
    if (f.from_ms !== undefined) { where.push('at_ms >= ?'); args.push(f.from_ms); }
    if (f.to_ms !== undefined) { where.push('at_ms < ?'); args.push(f.to_ms); }
    const sql = `SELECT * FROM alert_event ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, f.limit ?? 1000) as EventRow[]).map(eventOf);
  }

  /** The firing transition of every instance firing now, newest first. */
  firingNow(): StoredEvent[] {
    return (this.db.prepare(`SELECT e.* FROM alert_event e JOIN alert_instance i ON i.key = e.key
      WHERE i.state = 'firing' AND e.id = (SELECT MAX(id) FROM alert_event WHERE key = e.key AND transition = 'firing')
      ORDER BY e.id DESC`).all() as EventRow[]).map(eventOf);
  }

  /** Acknowledge a firing transition; false when there is none with this id (an acknowledgement is kept once given). */
  acknowledge(id: number, by: string, comment: string, at_ms: number): StoredEvent | undefined {
    const changed = this.db.prepare(`UPDATE alert_event SET acked_by = ?, acked_at_ms = ?, ack_comment = ?
      WHERE id = ? AND transition = 'firing' AND acked_by IS NULL`).run(by, at_ms, comment, id).changes;
    const row = this.db.prepare('SELECT * FROM alert_event WHERE id = ? AND transition = \'firing\'').get(id) as EventRow | undefined;
    return row && (changed > 0 || row.acked_by) ? eventOf(row) : undefined;
  }

  /**
   * Escalate the latest firing transition of an instance unless it is acknowledged or escalated already: one
   * notification per channel, in one transaction with the mark. Returns whether it escalated, and whether it
   * ever needs to be asked again (false once acknowledged or escalated).
   */
  escalate(key: string, channels: readonly string[], now_ms: number): { escalated: boolean; settled: boolean } {
    return this.db.transaction(() => {
      const e = this.db.prepare(`SELECT id, acked_by, escalated_ms FROM alert_event WHERE key = ? AND transition = 'firing' ORDER BY id DESC LIMIT 1`)
        .get(key) as { id: number; acked_by: string | null; escalated_ms: number | null } | undefined;
      if (!e || e.acked_by !== null || e.escalated_ms !== null) return { escalated: false, settled: true };
      this.db.prepare('UPDATE alert_event SET escalated_ms = ? WHERE id = ?').run(now_ms, e.id);
      for (const c of channels) this.db.prepare('INSERT INTO notification (event_id, channel, status, next_attempt_ms, escalation) VALUES (?, ?, \'pending\', ?, 1)').run(e.id, c, now_ms);
      return { escalated: true, settled: true };
    })();
  }

  /** Add a silence. */
  addSilence(s: Omit<Silence, 'id'>): Silence {
    const id = Number(this.db.prepare(`INSERT INTO silence (starts_ms, ends_ms, rule, device, building, comment, created_by, created_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(s.starts_ms, s.ends_ms, s.rule ?? null, s.device ?? null, s.building ?? null, s.comment, s.created_by, s.created_ms).lastInsertRowid);
    return { ...s, id };
  }

  /** Silences not yet over at `now_ms`, soonest first. */
  silences(now_ms: number): Silence[] {
    return (this.db.prepare('SELECT * FROM silence WHERE ends_ms > ? ORDER BY starts_ms').all(now_ms) as SilenceRow[]).map(silenceOf);
  }

  /** End a silence now; false when there is none with this id. */
  deleteSilence(id: number): boolean {
    return this.db.prepare('DELETE FROM silence WHERE id = ?').run(id).changes > 0;
  }

  /** The silence covering a transition, if any. */
  silenceFor(e: Pick<AlertEvent, 'rule' | 'device' | 'building' | 'at_ms'>): Silence | undefined {
    const row = this.db.prepare(`SELECT * FROM silence WHERE starts_ms <= @at AND ends_ms > @at
      AND (rule IS NULL OR rule = @rule) AND (device IS NULL OR device = @device) AND (building IS NULL OR building = @building)
      LIMIT 1`).get({ at: e.at_ms, rule: e.rule, device: e.device, building: e.building }) as SilenceRow | undefined;
    return row && silenceOf(row);
  }

  /** A notification not sent because a silence covered its transition. */
  silenced(id: number, channel: string, silence: Silence, at_ms: number): void {
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO delivery (notification_id, channel, attempt, at_ms, ok, detail, duration_ms) VALUES (?, ?, 0, ?, 0, ?, 0)')
        .run(id, channel, at_ms, `silenced by silence ${silence.id} (${silence.comment})`);
      this.db.prepare('UPDATE notification SET status = \'silenced\' WHERE id = ?').run(id);
    })();
  }

  /** The delivery log, oldest first. */
  deliveries(): DeliveryAttempt[] {
    return (this.db.prepare('SELECT * FROM delivery ORDER BY id').all() as (Omit<DeliveryAttempt, 'ok'> & { ok: number })[]).map((d) => ({ ...d, ok: d.ok === 1 }));
  }

  /** Notifications by status (tests, metrics). */
  notificationCounts(): Record<string, number> {
    const rows = this.db.prepare('SELECT status, COUNT(*) AS n FROM notification GROUP BY status').all() as { status: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  /** A small setting of the alerting itself (e.g. the last day the KPI rules judged). */
  getMeta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  close(): void {
    this.db.close();
  }
}

function instanceRow(i: StoredInstance) {
  return {
    key: i.key, rule: i.rule, device: i.device, point: i.point, state: i.state, since_ms: i.since_ms,
    clear_since_ms: i.clear_since_ms ?? null, breached: i.breached ? 1 : 0, onsets: JSON.stringify(i.onsets), value: i.value ?? null,
  };
}

function eventOf(e: EventRow): StoredEvent {
  const { acked_by, acked_at_ms, ack_comment, escalated_ms: _escalated, ...rest } = e;
  return { ...rest, value: e.value ?? undefined, ...(acked_by ? { ack: { by: acked_by, at_ms: acked_at_ms as number, comment: ack_comment ?? '' } } : {}) };
}

interface SilenceRow extends Omit<Silence, 'rule' | 'device' | 'building'> { rule: string | null; device: string | null; building: string | null }
function silenceOf(r: SilenceRow): Silence {
  return { ...r, rule: r.rule ?? undefined, device: r.device ?? undefined, building: r.building ?? undefined };
}
