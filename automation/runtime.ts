/**
 * The automation service: every `tick_s` it evaluates the manual overrides, the schedules and the demand limits
 * at the injected clock, lets each commanded point's arbiter decide the writes (automation/arbiter.ts), sends them
 * through the gateways' command topics, and audits each with the device's answer. Dry-run logs and audits what
 * would be written and sends nothing. `jieneng automation run` and the demo start it; tests call `tick()`.
 */
import type { IClientOptions } from 'mqtt';
import type { WorkCalendar } from '../api/domain/calendar.ts';
import { loadReferenceData, type ReferenceData } from '../api/reference.ts';
import type { DeviceReading } from '../core/contract/v1.ts';
import { logger, type Logger } from '../core/log.ts';
import type { SiteModel } from '../core/site/schema.ts';
import { PointArbiter, type HeldRequest, type PlannedWrite } from './arbiter.ts';
import { DemandLimiter } from './demand.ts';
import { CommandLink } from './link.ts';
import { pointKey, type AutomationConfig } from './load.ts';
import { AutomationInputError, type AutomationPort, type DemandView, type ScheduleView } from './port.ts';
import { holidayCalendar, occupancyAt } from './programme.ts';
import { AutomationStore, type CommandFilter, type CommandRecord, type Override } from './store.ts';

/** What `startAutomation` needs. */
export interface AutomationOptions {
  site: SiteModel;
  config: AutomationConfig;
  mqttUrl: string;
  mqttOptions?: IClientOptions;
  /** folder of automation.sqlite, or ':memory:' */
  dataDir: string;
  reference?: ReferenceData;
  /** the clock of the programmes (tests inject one) */
  now?: () => number;
  /** false: no timer, the caller ticks (tests); default true */
  autoTick?: boolean;
  /** the first tick after this long (the demo lets its gateways start first), default 0 */
  firstTickAfterMs?: number;
  /** how long a write waits for the gateway's answer, default 10 s */
  commandTimeoutMs?: number;
  log?: Logger;
}

/** A running automation service. */
export interface Automation extends AutomationPort {
  readonly store: AutomationStore;
  /** evaluate now and send what is due; resolves when every write is answered or timed out */
  tick(): Promise<CommandRecord[]>;
  /** a reading, as from the broker (tests feed simulated meters at the injected clock) */
  observe(reading: DeviceReading): void;
  stop(): Promise<void>;
}

/** Connect and start (the first tick runs at once unless `autoTick` is false). */
export async function startAutomation(o: AutomationOptions): Promise<Automation> {
  const log = o.log ?? logger('automation');
  const cfg = o.config;
  const now = o.now ?? Date.now;
  const tz = o.site.site.timezone ?? 'Asia/Shanghai';
  const reference = o.reference ?? loadReferenceData();
  const calendar: WorkCalendar = holidayCalendar(reference.holidays);
  const store = new AutomationStore(o.dataDir);
  const arbiters = new Map([...cfg.points].map(([k, p]) => [k, new PointArbiter(p, cfg.priorities)]));
  const limiters = cfg.demand_limits.map((l) => new DemandLimiter(l, reference.tariffs.tariffs, tz));
  const latest = new Map<string, number>();
  const warnedYears = new Set<number>();
  const timeoutMs = o.commandTimeoutMs ?? 10_000;

  const observe = (r: DeviceReading): void => {
    for (const [point, v] of Object.entries(r.points)) {
      if (v.value !== null && v.quality !== 'bad') latest.set(pointKey(r.device, point), v.value);
    }
    const kw = r.points.power_kw;
    if (kw && kw.value !== null && kw.quality !== 'bad') for (const l of limiters) if (l.limit.meter === r.device) l.observe(r.ts, kw.value);
  };
  const link = await CommandLink.connect({ site: o.site.site.id, mqttUrl: o.mqttUrl, mqttOptions: o.mqttOptions, log, onReading: observe });

  const gatewayOf = (device: string) => o.site.devices.find((d) => d.id === device)?.gateway;

  /** Audit and send one write; confirm it to its arbiter when the device acknowledged it. */
  const send = async (w: PlannedWrite, arbiter?: PointArbiter): Promise<CommandRecord> => {
    const at = now();
    const base = { at_ms: at, device: w.device, point: w.point, value: w.value, priority: w.priority ?? null, layer: w.layer, origin: w.origin };
    if (cfg.dry_run) {
      log.info({ ...base, note: w.note }, 'dry run: would write');
      const id = store.record({ ...base, outcome: 'dry-run', detail: w.note ?? null });
      arbiter?.confirm(w, at);
      return store.command(id)!;
    }
    const gateway = gatewayOf(w.device);
    const id = store.record({ ...base, outcome: 'timeout', detail: 'no answer yet' });
    const answer = gateway ? await link.write(gateway, { device: w.device, point: w.point, value: w.value, priority: w.priority, by: w.origin }, timeoutMs) : 'timeout';
    const answeredAt = now();
    if (answer === 'timeout') {
      store.answer(id, 'timeout', `no answer from gateway ${gateway ?? '(none)'} within ${timeoutMs / 1000} s`, answeredAt);
      log.warn({ ...base, gateway }, 'write not answered');
    } else {
      store.answer(id, answer.outcome, answer.detail ?? w.note ?? null, answeredAt);
      if (answer.outcome === 'written') arbiter?.confirm(w, at);
      if (answer.outcome === 'refused') arbiter?.refusedByDevice(w);
      log.info({ ...base, outcome: answer.outcome, detail: answer.detail, note: w.note }, 'write answered');
    }
    return store.command(id)!;
  };

  const recordHeld = (h: HeldRequest): void => {
    log.warn({ ...h }, `write ${h.outcome}`);
    store.record({ at_ms: now(), device: h.device, point: h.point, value: h.value, priority: h.priority ?? null, layer: h.layer, origin: h.origin, outcome: h.outcome, detail: h.detail });
  };

  let ticking: Promise<CommandRecord[]> | undefined;
  const evaluate = async (): Promise<CommandRecord[]> => {
    const t = now();
    // overrides: the newest in force per point
    const overridden = new Map<string, Override>();
    for (const ov of store.activeOverrides(t)) overridden.set(pointKey(ov.device, ov.point), ov);
    for (const [key, a] of arbiters) {
      const ov = overridden.get(key);
      a.ask('override', ov ? ov.value : null, ov ? `override:${ov.by}` : a.asking('override')?.origin ?? 'override');
    }
    for (const s of cfg.schedules) {
      const outdoor = s.optimum_start ? latest.get(s.optimum_start.outdoor) : undefined;
      const occ = occupancyAt(s, t, tz, calendar, outdoor);
      const year = Number(occ.day.date.slice(0, 4));
      if (!occ.day.calendar_known && !warnedYears.has(year)) {
        warnedYears.add(year);
        log.warn({ year, file: 'config/reference/holidays.yaml' }, `no public-holiday data for ${year}: schedules follow Monday–Friday weeks (add the year's notice)`);
      }
      for (const tg of s.targets) {
        arbiters.get(pointKey(tg.device, tg.point))!.ask('schedule', occ.occupied ? tg.occupied : tg.unoccupied === 'release' ? null : tg.unoccupied, `schedule:${s.id}`);
      }
    }
    for (const lim of limiters) {
      const { step, effect } = lim.step(t, (ref) => latest.get(ref));
      for (const e of effect) store.addEffect({ limit_id: lim.limit.id, date: e.date, shed_kwh: e.shed_kwh, energy_cost_avoided_cny: e.energy_cost_avoided_cny, max_shed_kw: e.shed_kw, max_demand_kw: e.demand_kw, max_unshed_demand_kw: e.unshed_demand_kw, sheds: e.sheds });
      if (!step.action) continue;
      const load = lim.limit.loads[step.action.index];
      const a = arbiters.get(pointKey(load.device, load.point))!;
      a.ask('demand', step.action.kind === 'shed' ? load.shed : null, `demand:${lim.limit.id}`);
      log.info({ limit: lim.limit.id, action: step.action.kind, device: load.device, point: load.point, forecast_kw: step.forecast_kw, limit_kw: step.limit_kw, period: step.period }, `demand limit: ${step.action.kind}`);
    }
    const sent: Promise<CommandRecord[]>[] = [];
    for (const [key, a] of arbiters) {
      const { writes, held } = a.plan(t, latest.get(key));
      held.forEach(recordHeld);
      // one point's writes in order, highest layer first; points in parallel
      if (writes.length > 0) {
        sent.push((async () => {
          const records: CommandRecord[] = [];
          for (const w of writes) records.push(await send(w, a));
          return records;
        })());
      }
    }
    return (await Promise.all(sent)).flat().sort((x, y) => x.id - y.id);
  };
  const tick = (): Promise<CommandRecord[]> => {
    ticking = (ticking ?? Promise.resolve([])).then(evaluate, evaluate);
    return ticking;
  };

  let timer: NodeJS.Timeout | undefined;
  let first: NodeJS.Timeout | undefined;
  if (o.autoTick !== false) {
    const loop = () => { void tick().catch((err: Error) => log.error({ err: err.message }, 'automation tick failed')); };
    first = setTimeout(() => {
      timer = setInterval(loop, cfg.tick_ms);
      loop();
    }, o.firstTickAfterMs ?? 0);
  }
  log.info({ schedules: cfg.schedules.length, demand_limits: limiters.length, points: arbiters.size, dry_run: cfg.dry_run }, 'automation started');

  const configured = (device: string, point: string): PointArbiter => {
    const a = arbiters.get(pointKey(device, point));
    if (!a) throw new AutomationInputError(`${pointKey(device, point)} is not a commanded point of the automation file`);
    return a;
  };
  const inLimits = (a: PointArbiter, value: number) => {
    if ((a.cfg.min !== undefined && value < a.cfg.min) || (a.cfg.max !== undefined && value > a.cfg.max)) {
      throw new AutomationInputError(`${value} is outside the limits of ${pointKey(a.cfg.device, a.cfg.point)} [${a.cfg.min ?? '-∞'}, ${a.cfg.max ?? '∞'}]`);
    }
  };

  return {
    store,
    dryRun: cfg.dry_run,
    tick,
    observe,
    schedules(): ScheduleView[] {
      const t = now();
      return cfg.schedules.map((s) => {
        const occ = occupancyAt(s, t, tz, calendar, s.optimum_start ? latest.get(s.optimum_start.outdoor) : undefined);
        return {
          id: s.id, name: s.name, building: s.building, zone: s.zone ?? null, today: occ.day, occupied: occ.occupied, lead_min: occ.lead_min,
          targets: s.targets.map((x) => ({ device: x.device, point: x.point, occupied: x.occupied, unoccupied: x.unoccupied })),
        };
      });
    },
    overrides: () => store.activeOverrides(now()),
    async addOverride(ov) {
      inLimits(configured(ov.device, ov.point), ov.value);
      if (ov.until_ms !== null && ov.until_ms <= now()) throw new AutomationInputError('until lies in the past');
      const stored = store.addOverride({ ...ov, created_ms: now() });
      await tick();
      return stored;
    },
    async clearOverride(id, by) {
      const ok = store.clearOverride(id, by, now());
      if (ok) await tick();
      return ok;
    },
    async command(c) {
      const a = arbiters.get(pointKey(c.device, c.point));
      if (a && c.value !== null) inLimits(a, c.value);
      if (!o.site.devices.some((d) => d.id === c.device)) throw new AutomationInputError(`no device '${c.device}' in the site model`);
      return send({ device: c.device, point: c.point, value: c.value, priority: c.priority ?? cfg.priorities.override, layer: 'manual', origin: `api:${c.by}` });
    },
    history: (f: CommandFilter) => store.commands(f),
    demand(fromDate, toDate): DemandView[] {
      return limiters.map((l) => ({
        id: l.limit.id, name: l.limit.name, building: l.limit.building, contracted_max_kw: l.limit.contracted_max_kw, limit_kw: l.limitKw,
        active: l.last?.active ?? false, period: l.last?.period ?? null, forecast_kw: l.last?.forecast_kw ?? null,
        demand_kw: l.last?.demand_kw ?? null, shed_kw: l.last?.shed_kw ?? 0,
        shed: l.shed.map((s) => ({ device: l.limit.loads[s.index].device, point: l.limit.loads[s.index].point, since_ms: s.since_ms })),
        days: store.effect(l.limit.id, fromDate, toDate),
      }));
    },
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await ticking?.catch(() => undefined);
      await link.stop();
      store.close();
      log.info('automation stopped');
    },
  };
}
