/**
 * The alerts on the boards (decision 0409): a copier that writes every alert transition of the alerts' SQLite file
 * (`alert_event`: firing and resolved, from the evaluator or the Grafana relay) and every acknowledgement (which
 * the API writes into the same file from its own process) to storage as `alert_event` rows, where Grafana reads
 * them. It runs on its own timer after a cursor kept in the file's `meta` table, so it never holds up a transition
 * or a notification: a write that fails is counted and tried again at the next round.
 *
 *  alert_event   tags site, rule, severity, building, device, point; fields state (firing | resolved |
 *                acknowledged), state_code — the alert's condition after the row: 2 firing, 1 firing and
 *                acknowledged, 0 resolved (also for an acknowledgement given after it resolved) — summary
 *                (Chinese), value, event_id
 */
import { Counter, register } from 'prom-client';
import { logger } from '../core/log.ts';
import { MEASUREMENT } from '../core/measurements.ts';
import type { Storage, StoredPoint } from '../storage/port.ts';
import type { AlertStore } from './store.ts';

/** Rows that could not be written to storage (each is tried again at the next round). */
export const boardWriteFailures = (register.getSingleMetric('jieneng_alert_board_write_failures_total') as Counter | undefined) ?? new Counter({
  name: 'jieneng_alert_board_write_failures_total', help: 'rounds of alert transitions for the boards that storage refused (retried at the next round)',
});

/** Options of the copier. */
export interface BoardEventsOptions {
  store: AlertStore;
  storage: Storage;
  site: string;
  /** how often new transitions are copied, default 5 s */
  everyMs?: number;
  /** rows per round at most, default 500 */
  batch?: number;
}

interface Cursor { id: number; ack_ms: number; ack_id: number }
interface Row { id: number; key: string; rule: string; device: string; building: string; point: string; severity: string; transition: string; at_ms: number; value: number | null; message: string; acked_by: string | null; acked_at_ms: number | null; ack_comment: string | null }

const CURSOR_KEY = 'board_events_cursor';
const STATE_CODE: Record<string, number> = { firing: 2, resolved: 0 };
const log = logger('alerts-board');

/** Copies alert transitions to storage on a timer. */
export class BoardEvents {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failing = false;

  constructor(private readonly o: BoardEventsOptions) {}

  start(): void {
    this.timer = setInterval(() => { void this.round(); }, this.o.everyMs ?? 5000);
    this.timer.unref();
  }

  /** Copy what is new; resolves to the number of rows written (0 when storage refused them). */
  round(): Promise<number> {
    if (this.running) return this.running.then(() => 0);
    const p = this.copy().finally(() => { this.running = undefined; });
    this.running = p.then(() => undefined);
    return p;
  }

  private async copy(): Promise<number> {
    const c = this.cursor();
    const limit = this.o.batch ?? 500;
    const db = this.o.store.db;
    const events = db.prepare('SELECT * FROM alert_event WHERE id > ? ORDER BY id LIMIT ?').all(c.id, limit) as Row[];
    const acks = db.prepare(`SELECT * FROM alert_event WHERE acked_at_ms IS NOT NULL AND (acked_at_ms > ? OR (acked_at_ms = ? AND id > ?))
      ORDER BY acked_at_ms, id LIMIT ?`).all(c.ack_ms, c.ack_ms, c.ack_id, limit) as Row[];
    if (events.length === 0 && acks.length === 0) return 0;
    const rows = [...events.map((e) => this.point(e, e.transition, e.at_ms, e.message)), ...acks.map((e) =>
      this.point(e, 'acknowledged', e.acked_at_ms as number, `【已确认】${e.message}（${e.acked_by}${e.ack_comment ? `：${e.ack_comment}` : ''}）`, this.ackedCode(e)))];
    try {
      // flushed before the cursor moves: a row the InfluxDB client only buffered could still be lost
      await this.o.storage.write(rows);
      await this.o.storage.flush();
    } catch (err) {
      boardWriteFailures.inc();
      if (!this.failing) log.warn({ err: String(err), rows: rows.length }, 'could not store alert transitions for the boards; retrying');
      this.failing = true;
      return 0;
    }
    if (this.failing) log.info('alert transitions for the boards stored again');
    this.failing = false;
    const lastAck = acks.at(-1);
    this.o.store.setMeta(CURSOR_KEY, JSON.stringify({
      id: events.at(-1)?.id ?? c.id, ack_ms: lastAck?.acked_at_ms ?? c.ack_ms, ack_id: lastAck?.id ?? c.ack_id,
    } satisfies Cursor));
    return rows.length;
  }

  private cursor(): Cursor {
    const text = this.o.store.getMeta(CURSOR_KEY);
    return text ? JSON.parse(text) as Cursor : { id: 0, ack_ms: -1, ack_id: 0 };
  }

  /**
   * What an acknowledgement leaves the alert as, by its latest transition at the time: the acknowledged firing
   * (1), resolved since (0), or firing anew, unacknowledged (2) — so the latest row of an alert always says whether
   * it still fires.
   */
  private ackedCode(e: Row): number {
    const latest = this.o.store.db.prepare('SELECT id, transition FROM alert_event WHERE key = ? AND at_ms <= ? ORDER BY id DESC LIMIT 1')
      .get(e.key, e.acked_at_ms) as { id: number; transition: string } | undefined;
    return !latest || latest.id === e.id ? 1 : latest.transition === 'resolved' ? 0 : 2;
  }

  private point(e: Row, state: string, time: number, summary: string, code = STATE_CODE[state] ?? 0): StoredPoint {
    const tags: Record<string, string> = { site: this.o.site, rule: e.rule, severity: e.severity, building: e.building, device: e.device, point: e.point };
    for (const k of Object.keys(tags)) if (tags[k] === '') delete tags[k]; // InfluxDB has no empty tag values
    const fields: StoredPoint['fields'] = { state, state_code: code, summary, event_id: e.id };
    if (e.value !== null) fields.value = e.value;
    return { measurement: MEASUREMENT.alertEvent, tags, fields, time };
  }

  /** Stop the timer and wait for a round under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
