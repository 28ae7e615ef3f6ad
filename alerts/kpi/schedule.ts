/**
 * The daily schedule of the KPI rules (issue 14): once a local day of the site has closed (plus `delay_ms`, so
 * the collector's last quarter-hour of the day is stored), every KPI rule is judged for that day and its verdicts
 * go into the evaluator's lifecycle, store and notifications like any other alert. The last day judged is kept
 * in the alert store, so a restart neither judges a day twice nor skips the day that closed while it was down.
 * The clock is injectable: tests and backfills judge any day with `runDay`.
 */
import { DAY_MS } from '../../core/measurements.ts';
import { logger } from '../../core/log.ts';
import { localDate } from '../../core/time.ts';
import type { ApiContext } from '../../api/context.ts';
import { periodStart } from '../../api/domain/index.ts';
import type { AlertEvaluator } from '../engine/evaluator.ts';
import type { AlertConfig } from '../rules/load.ts';
import { KPI_KINDS, type KpiRule } from '../rules/schema.ts';
import type { AlertStore } from '../store.ts';
import { judgeKpiRule } from './compute.ts';

/** Options of the schedule. */
export interface KpiScheduleOptions {
  config: AlertConfig;
  evaluator: AlertEvaluator;
  store: AlertStore;
  /** the site index, storage, reference data; `now` is the schedule's clock */
  ctx: ApiContext;
  /** how long after local midnight the day is judged; default 15 min */
  delay_ms?: number;
  /** how often the clock is looked at; default 60 s */
  every_ms?: number;
}

const log = logger('alerts.kpi');
const LAST_DAY = 'kpi_last_day';

/** The schedule of the KPI rules. */
export class KpiSchedule {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly rules: KpiRule[];

  constructor(private readonly o: KpiScheduleOptions) {
    this.rules = o.config.rules.map((r) => r.rule).filter((r): r is KpiRule => (KPI_KINDS as readonly string[]).includes(r.kind));
  }

  /** The latest local day that has closed (and waited `delay_ms`) at `now_ms`. */
  closedDay(now_ms: number): number {
    const today = periodStart(now_ms - (this.o.delay_ms ?? 15 * 60_000), this.o.ctx.index.tz, 'day');
    return periodStart(today - DAY_MS / 2, this.o.ctx.index.tz, 'day');
  }

  /** Judge the last closed day unless it was judged already; resolves when done (never rejects). */
  check(): Promise<void> {
    if (this.rules.length === 0) return Promise.resolve();
    if (this.running) return this.running;
    const day = this.closedDay(this.o.ctx.now());
    const last = Number(this.o.store.getMeta(LAST_DAY) ?? -Infinity);
    if (day <= last) return Promise.resolve();
    // a day without any verdict (no data yet: a collector just started, a backfill or a gateway's replay still to
    // come) is looked at again at the next check, until the next day closes
    this.running = this.runDay(day)
      .then((verdicts) => { if (verdicts > 0) this.o.store.setMeta(LAST_DAY, String(day)); })
      .catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'KPI rules not judged; trying again in a minute'))
      .finally(() => { this.running = undefined; });
    return this.running;
  }

  /** Judge every KPI rule for the local day starting at `day` (UTC ms of its local midnight). */
  async runDay(day: number): Promise<number> {
    const tz = this.o.ctx.index.tz;
    const date = localDate(day, tz);
    let judged = 0;
    for (const rule of this.rules) {
      try {
        const verdicts = await judgeKpiRule(this.o.ctx, rule, this.o.evaluator.kpiSubjects(rule.id), day);
        for (const v of verdicts) this.o.evaluator.judge(rule.id, v.subject, { breach: v.breach, value: v.value, limit: v.limit, day: date, event: v.event });
        judged += verdicts.length;
      } catch (err) {
        // one rule's failure (a storage error, a contract the M&V cannot fit) leaves the others judged
        log.warn({ rule: rule.id, day: date, err: err instanceof Error ? err.message : String(err) }, 'KPI rule not judged');
      }
    }
    log.info({ day: date, rules: this.rules.length, verdicts: judged }, 'KPI rules judged');
    return judged;
  }

  /** Look at the clock every `every_ms` (and now). */
  start(): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), this.o.every_ms ?? 60_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
