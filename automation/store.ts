/**
 * Automation's durable record in one SQLite file `automation.sqlite`: the audit of every command (who or which
 * programme, value, priority, the device's answer), the manual overrides (kept across restarts) and the measured
 * effect of demand limiting per limit and local day.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { StartupError } from '../core/errors.ts';

/** Outcomes of a command: the gateway's (written, refused, failed), no answer in time, or automation's own. */
export type CommandOutcome = 'written' | 'refused' | 'failed' | 'timeout' | 'dry-run' | 'deferred';

/** One audited command. */
export interface CommandRecord {
  id: number;
  at_ms: number;
  device: string;
  point: string;
  /** null: relinquish */
  value: number | null;
  priority: number | null;
  layer: string;
  /** `schedule:<id>`, `demand:<id>`, `override:<who>`, `api:<who>`, `start` (relinquish after a start) */
  origin: string;
  outcome: CommandOutcome;
  detail: string | null;
  answered_ms: number | null;
}

/** A manual override: the point holds `value` at the override priority until cleared or `until_ms`. */
export interface Override {
  id: number;
  device: string;
  point: string;
  value: number;
  until_ms: number | null;
  by: string;
  comment: string;
  created_ms: number;
  cleared_ms: number | null;
  cleared_by: string | null;
}

/** Demand limiting's effect over one local day. */
export interface DemandEffectDay {
  limit_id: string;
  date: string;
  shed_kwh: number;
  energy_cost_avoided_cny: number;
  max_shed_kw: number;
  /** highest 15-minute demand measured, and what it would have been without shedding */
  max_demand_kw: number;
  max_unshed_demand_kw: number;
  sheds: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS command (
  id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, device TEXT NOT NULL, point TEXT NOT NULL, value REAL, priority INTEGER,
  layer TEXT NOT NULL, origin TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT, answered_ms INTEGER
);
CREATE INDEX IF NOT EXISTS command_at ON command (at_ms);
CREATE TABLE IF NOT EXISTS override (
  id INTEGER PRIMARY KEY, device TEXT NOT NULL, point TEXT NOT NULL, value REAL NOT NULL, until_ms INTEGER, by TEXT NOT NULL,
  comment TEXT NOT NULL, created_ms INTEGER NOT NULL, cleared_ms INTEGER, cleared_by TEXT
);
CREATE TABLE IF NOT EXISTS demand_effect (
  limit_id TEXT NOT NULL, date TEXT NOT NULL, shed_kwh REAL NOT NULL, energy_cost_avoided_cny REAL NOT NULL,
  max_shed_kw REAL NOT NULL, max_demand_kw REAL NOT NULL, max_unshed_demand_kw REAL NOT NULL, sheds INTEGER NOT NULL,
  PRIMARY KEY (limit_id, date)
);
`;

/** A filter of the command history. */
export interface CommandFilter {
  device?: string;
  origin_prefix?: string;
  from_ms?: number;
  to_ms?: number;
  limit?: number;
}

/** The automation file in a folder (`:memory:` for none). */
export class AutomationStore {
  readonly db: Database.Database;

  constructor(dir: string) {
    let path = ':memory:';
    try {
      if (dir !== ':memory:') {
        mkdirSync(dir, { recursive: true });
        path = join(dir, 'automation.sqlite');
      }
      this.db = new Database(path);
      if (path !== ':memory:') this.db.pragma('journal_mode = WAL');
      this.db.exec(SCHEMA);
    } catch (err) {
      throw new StartupError(`automation state file ${path} is unreadable (${(err as Error).message}): move it aside to start afresh`, { cause: err });
    }
  }

  /** Record a command as sent (outcome filled in by `answer`) or as held back; returns its id. */
  record(c: Omit<CommandRecord, 'id' | 'answered_ms'> & { answered_ms?: number | null }): number {
    return Number(this.db.prepare(`INSERT INTO command (at_ms, device, point, value, priority, layer, origin, outcome, detail, answered_ms)
      VALUES (@at_ms, @device, @point, @value, @priority, @layer, @origin, @outcome, @detail, @answered_ms)`).run({ answered_ms: null, ...c }).lastInsertRowid);
  }

  /** The device's answer to a recorded command. */
  answer(id: number, outcome: CommandOutcome, detail: string | null, answeredMs: number): void {
    this.db.prepare('UPDATE command SET outcome = ?, detail = ?, answered_ms = ? WHERE id = ?').run(outcome, detail, answeredMs, id);
  }

  /** One command by id. */
  command(id: number): CommandRecord | undefined {
    return this.db.prepare('SELECT * FROM command WHERE id = ?').get(id) as CommandRecord | undefined;
  }

  /** Command history, newest first. */
  commands(f: CommandFilter = {}): CommandRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.device) { where.push('device = ?'); args.push(f.device); }
    if (f.origin_prefix) { where.push('substr(origin, 1, ?) = ?'); args.push(f.origin_prefix.length, f.origin_prefix); }
    if (f.from_ms !== undefined) { where.push('at_ms >= ?'); args.push(f.from_ms); }
    if (f.to_ms !== undefined) { where.push('at_ms < ?'); args.push(f.to_ms); }
    const sql = `SELECT * FROM command ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at_ms DESC, id DESC LIMIT ?`;
    return this.db.prepare(sql).all(...args, f.limit ?? 1000) as CommandRecord[];
  }

  /** Add an override; returns it. */
  addOverride(o: Omit<Override, 'id' | 'cleared_ms' | 'cleared_by'>): Override {
    const id = Number(this.db.prepare(`INSERT INTO override (device, point, value, until_ms, by, comment, created_ms)
      VALUES (@device, @point, @value, @until_ms, @by, @comment, @created_ms)`).run(o).lastInsertRowid);
    return { ...o, id, cleared_ms: null, cleared_by: null };
  }

  /** Overrides in force at `nowMs` (not cleared, not expired), oldest first. */
  activeOverrides(nowMs: number): Override[] {
    return this.db.prepare('SELECT * FROM override WHERE cleared_ms IS NULL AND (until_ms IS NULL OR until_ms > ?) ORDER BY id').all(nowMs) as Override[];
  }

  /** Clear an override; false when there is no such override in force. */
  clearOverride(id: number, by: string, nowMs: number): boolean {
    return this.db.prepare('UPDATE override SET cleared_ms = ?, cleared_by = ? WHERE id = ? AND cleared_ms IS NULL AND (until_ms IS NULL OR until_ms > ?)')
      .run(nowMs, by, id, nowMs).changes === 1;
  }

  /** Add to a day's demand-limiting effect (sums add, maxima keep the larger). */
  addEffect(e: DemandEffectDay): void {
    this.db.prepare(`INSERT INTO demand_effect VALUES (@limit_id, @date, @shed_kwh, @energy_cost_avoided_cny, @max_shed_kw, @max_demand_kw, @max_unshed_demand_kw, @sheds)
      ON CONFLICT (limit_id, date) DO UPDATE SET shed_kwh = shed_kwh + excluded.shed_kwh,
        energy_cost_avoided_cny = energy_cost_avoided_cny + excluded.energy_cost_avoided_cny, max_shed_kw = max(max_shed_kw, excluded.max_shed_kw),
        max_demand_kw = max(max_demand_kw, excluded.max_demand_kw), max_unshed_demand_kw = max(max_unshed_demand_kw, excluded.max_unshed_demand_kw),
        sheds = sheds + excluded.sheds`).run(e);
  }

  /** The effect of one limit per day, oldest first, within [from, to] (dates YYYY-MM-DD). */
  effect(limitId: string, fromDate = '0000-00-00', toDate = '9999-99-99'): DemandEffectDay[] {
    return this.db.prepare('SELECT * FROM demand_effect WHERE limit_id = ? AND date >= ? AND date <= ? ORDER BY date').all(limitId, fromDate, toDate) as DemandEffectDay[];
  }

  close(): void {
    this.db.close();
  }
}
