/**
 * The one loader of the automation file: schema first (core/config/yaml-file.ts), then what a schema cannot say —
 * every device and point exists in the site model and its device model, every commanded point is writable there,
 * values lie within the limits, periods run forwards, a release on a device without priorities has a value to
 * release to. Every problem is one ConfigError line: file:line: path: problem.
 */
import { ConfigError, displayPath, lineOf, readYaml, validate, type SourceDoc } from '../core/config/yaml-file.ts';
import { loadModel } from '../core/devices/catalogue.ts';
import type { Device, SiteModel } from '../core/site/schema.ts';
import { AutomationFile, WEEKDAYS, type CommandedPoint, type DemandLimit, type Period, type Schedule } from './schema.ts';

/** BACnet command priorities (clause 19.2.1.1, Table 19-1: 8 is Manual Operator); 9–16 are free for programmes. */
export const DEFAULT_PRIORITIES = { override: 8, demand: 10, schedule: 12 } as const;

/** A point's key, `device/point`. */
export const pointKey = (device: string, point: string): string => `${device}/${point}`;

/** A loaded automation file: every commanded point with its limits, the schedules and demand limits. */
export interface AutomationConfig {
  file: string;
  dry_run: boolean;
  tick_ms: number;
  priorities: { override: number; demand: number; schedule: number };
  /** by `device/point`: the file's limits merged with the template's min/max; `bacnet` when it has priorities */
  points: Map<string, CommandedPoint & { gateway: string; bacnet: boolean }>;
  schedules: Schedule[];
  demand_limits: DemandLimit[];
}

/** Read and check an automation file against the site model. */
export function loadAutomation(file: string, site: SiteModel): AutomationConfig {
  const { value, source } = readYaml(file);
  return checkAutomation(value, site, file, source);
}

const minutes = (clock: string): number => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

/** Validate an already-parsed automation file (tests build one in code). */
export function checkAutomation(value: unknown, site: SiteModel, file = '(automation)', source?: SourceDoc): AutomationConfig {
  const parsed = validate(AutomationFile, value, file, source);
  const fail = (path: (string | number)[], problem: string): never => {
    throw new ConfigError(file, displayPath(path), problem, lineOf(source, path));
  };
  const devices = new Map(site.devices.filter((d) => d.enabled !== false).map((d) => [d.id, d]));
  const deviceOf = (id: string, path: (string | number)[]): Device => devices.get(id) ?? fail(path, `no enabled device '${id}' in the site model`);
  const readable = (ref: string, path: (string | number)[]): void => {
    const [device, point] = ref.split('/');
    const d = deviceOf(device, path);
    if (!loadModel(d.template).points.has(point)) fail(path, `device ${device} (${d.template}) publishes no point '${point}'`);
  };

  const points = new Map<string, CommandedPoint & { gateway: string; bacnet: boolean }>();
  const command = (device: string, point: string, path: (string | number)[]) => {
    const key = pointKey(device, point);
    const known = points.get(key);
    if (known) return known;
    const d = deviceOf(device, [...path, 'device']);
    const p = loadModel(d.template).points.get(point);
    if (!p) return fail([...path, 'point'], `device ${device} (${d.template}) publishes no point '${point}'`);
    if (!p.writable) return fail([...path, 'point'], `point '${point}' of ${device} is not writable in template ${d.template}`);
    const entry: CommandedPoint & { gateway: string; bacnet: boolean } = { device, point, min: p.writable.min, max: p.writable.max, gateway: d.gateway, bacnet: d.address.protocol === 'bacnet-ip' };
    points.set(key, entry);
    return entry;
  };
  (parsed.points ?? []).forEach((p, i) => {
    const at = ['points', i];
    if (points.has(pointKey(p.device, p.point))) fail(at, `point ${pointKey(p.device, p.point)} is listed twice`);
    const base = command(p.device, p.point, at);
    // the narrower of the template's and the file's limits
    const min = Math.max(p.min ?? -Infinity, base.min ?? -Infinity);
    const max = Math.min(p.max ?? Infinity, base.max ?? Infinity);
    if (min > max) fail([...at, 'min'], `min ${min} is above max ${max} (with the template's limits)`);
    points.set(pointKey(p.device, p.point), { ...base, ...p, min: Number.isFinite(min) ? min : undefined, max: Number.isFinite(max) ? max : undefined });
  });
  const inLimits = (key: string, v: number, path: (string | number)[]) => {
    const p = points.get(key)!;
    if ((p.min !== undefined && v < p.min) || (p.max !== undefined && v > p.max)) fail(path, `${v} is outside ${key}'s limits [${p.min ?? '-∞'}, ${p.max ?? '∞'}]`);
  };
  const buildingOf = (id: string, path: (string | number)[]) => {
    if (!site.buildings.some((b) => b.id === id)) fail(path, `no building '${id}' in the site model`);
  };
  const checkDay = (day: Period[] | undefined, path: (string | number)[]) => (day ?? []).forEach((p, k) => {
    if (minutes(p.from) >= minutes(p.to)) fail([...path, k, 'to'], `must be after 'from' (${p.from})`);
    const prev = day![k - 1];
    if (prev && minutes(p.from) < minutes(prev.to)) fail([...path, k, 'from'], 'periods of a day must be in order and not overlap');
  });

  const ids = new Set<string>();
  (parsed.schedules ?? []).forEach((s, i) => {
    const at = (...p: (string | number)[]) => ['schedules', i, ...p];
    if (ids.has(s.id)) fail(at('id'), `duplicate schedule id '${s.id}'`);
    ids.add(s.id);
    buildingOf(s.building, at('building'));
    for (const d of WEEKDAYS) checkDay(s.week[d], at('week', d));
    checkDay(s.holiday, at('holiday'));
    const dates = new Set<string>();
    (s.exceptions ?? []).forEach((e, k) => {
      if (dates.has(e.date)) fail(at('exceptions', k, 'date'), `${e.date} has two exceptions`);
      dates.add(e.date);
      checkDay(e.periods, at('exceptions', k, 'periods'));
    });
    if (s.optimum_start) readable(s.optimum_start.outdoor, at('optimum_start', 'outdoor'));
    s.targets.forEach((t, k) => {
      const p = command(t.device, t.point, at('targets', k));
      inLimits(pointKey(t.device, t.point), t.occupied, at('targets', k, 'occupied'));
      if (t.unoccupied !== 'release') inLimits(pointKey(t.device, t.point), t.unoccupied, at('targets', k, 'unoccupied'));
      else if (!p.bacnet && p.release_value === undefined) {
        fail(at('targets', k, 'unoccupied'), `${t.device} has no command priorities: give the point a release_value under 'points', or a number here`);
      }
    });
  });

  ids.clear();
  (parsed.demand_limits ?? []).forEach((l, i) => {
    const at = (...p: (string | number)[]) => ['demand_limits', i, ...p];
    if (ids.has(l.id)) fail(at('id'), `duplicate demand limit id '${l.id}'`);
    ids.add(l.id);
    buildingOf(l.building, at('building'));
    const meter = deviceOf(l.meter, at('meter'));
    if (meter.kind !== 'meter' || meter.medium !== 'electricity' || meter.building !== l.building) fail(at('meter'), `'${l.meter}' is not an electricity meter of building ${l.building}`);
    if (meter.parent !== undefined) fail(at('meter'), `'${l.meter}' is a sub-meter of '${meter.parent}': the contracted demand is the main meter's`);
    readable(`${l.meter}/power_kw`, at('meter'));
    const seen = new Set<string>();
    l.loads.forEach((load, k) => {
      const key = pointKey(load.device, load.point);
      if (seen.has(key)) fail(at('loads', k), `${key} is listed twice`);
      seen.add(key);
      command(load.device, load.point, at('loads', k));
      inLimits(key, load.shed, at('loads', k, 'shed'));
      if (load.power) readable(load.power, at('loads', k, 'power'));
    });
  });

  return {
    file,
    dry_run: parsed.dry_run ?? false,
    tick_ms: (parsed.tick_s ?? 30) * 1000,
    priorities: { ...DEFAULT_PRIORITIES, ...parsed.priorities },
    points,
    schedules: (parsed.schedules ?? []).filter((s) => s.enabled !== false),
    demand_limits: parsed.demand_limits ?? [],
  };
}
