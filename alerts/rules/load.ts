/**
 * The one loader of the alert rules file: schema first (core/config/yaml-file.ts), then what a schema cannot
 * say — references to the site model and between rules and channels, a threshold's direction and its recovery
 * threshold, message placeholders, secrets named as `${ENV}`. Every problem is one ConfigError line naming
 * file:line, the setting's path and the problem. A scope that matches no device is an error, not a silent no-op.
 */
import { ConfigError, displayPath, lineOf, readYaml, validate, type SourceDoc } from '../../core/config/yaml-file.ts';
import type { Device, SiteModel } from '../../core/site/schema.ts';
import { loadModel } from '../../core/devices/catalogue.ts';
import { readSecret, registerSecret, urlPassword } from '../../core/secrets.ts';
import { DEFAULT_MESSAGE, unknownPlaceholders } from '../message.ts';
import { durationMs } from './duration.ts';
import { AlertRulesFile, KPI_KINDS, type AlertRule, type Channel, type Scope } from './schema.ts';
import { ruleSubjects, type Subject } from './subjects.ts';

export type { Subject };

/** A rule ready for evaluation: its devices resolved, durations in ms, message and channels settled. */
export interface CompiledRule {
  rule: AlertRule;
  /** enabled devices in scope */
  devices: Device[];
  /** what its instances are about: the devices in scope, or (KPI, gap rules) buildings, systems, contracts, gateways */
  subjects: Subject[];
  /** `for`; 0 for counter rules, whose events are instants */
  for_ms: number;
  keep_firing_for_ms: number;
  /** stale rules: no reading for this long */
  after_ms: number;
  /** sequence-gap rules: a gap open this long fires */
  open_for_ms: number;
  /** threshold rules on a rate of change: the change per this long is judged; 0: the value */
  rate_per_ms: number;
  /** escalation: unacknowledged this long after firing, notify `escalate_channels` too; 0: never */
  escalate_after_ms: number;
  escalate_channels: string[];
  message: string;
  channels: string[];
}

/** The loaded rules file. */
export interface AlertConfig {
  file: string;
  rules: CompiledRule[];
  /** channels with their `${ENV}` settings replaced by the values */
  channels: Map<string, Channel>;
  /** the board URL template of {link} */
  board_url?: string;
  /** quiet hours in minutes of the local day (`to` may be before `from`: over midnight) */
  quiet_hours?: QuietHours;
}

/** Quiet hours: minutes of the local day, the severities sent anyway and the site's time zone. */
export interface QuietHours {
  from_min: number;
  to_min: number;
  except: ReadonlySet<string>;
  time_zone: string;
}

/** Default of `keep_firing_for`: a firing alert resolves only after its condition stayed clear this long. */
export const DEFAULT_KEEP_FIRING_MS = 2 * 60_000;
/** Counter events are instants: their alert resolves after this long without another event. */
export const DEFAULT_EVENT_KEEP_MS = 60 * 60_000;

/** Sequence gaps: a gap still open this long has outlived the resend requests (3 s, then 20 s apart, 3 tries). */
export const DEFAULT_GAP_OPEN_MS = 2 * 60_000;

/** keep_firing_for by kind: events an hour, a daily verdict until the next day's, a condition 2 minutes. */
function defaultKeepMs(kind: AlertRule['kind']): number {
  if (kind === 'counter' || kind === 'sequence_gap') return DEFAULT_EVENT_KEEP_MS;
  return (KPI_KINDS as readonly string[]).includes(kind) ? 0 : DEFAULT_KEEP_FIRING_MS;
}

/** Read, validate and cross-check an alert rules file against the site model. */
export function loadAlertRules(file: string, site: SiteModel, env: NodeJS.ProcessEnv = process.env): AlertConfig {
  const { value, source } = readYaml(file);
  return checkAlertRules(value, site, file, source, env);
}

/** Validate an already-parsed rules file (tests and tools that build one in code). */
export function checkAlertRules(value: unknown, site: SiteModel, file = '(alert rules)', source?: SourceDoc, env: NodeJS.ProcessEnv = process.env): AlertConfig {
  const parsed = validate(AlertRulesFile, value, file, source);
  const fail = (path: (string | number)[], problem: string): never => {
    throw new ConfigError(file, displayPath(path), problem, lineOf(source, path));
  };

  const channels = new Map<string, Channel>();
  (parsed.channels ?? []).forEach((c, i) => {
    if (channels.has(c.id)) fail(['channels', i, 'id'], `duplicate channel id '${c.id}'`);
    channels.set(c.id, resolveEnv(c, env, (key, name) => fail(['channels', i, key], `environment variable ${name} is not set`)));
  });
  const checkChannels = (ids: string[] | undefined, path: (string | number)[]) => (ids ?? []).forEach((id, j) => {
    if (!channels.has(id)) fail([...path, j], `unknown channel '${id}'`);
  });
  checkChannels(parsed.default_channels, ['default_channels']);

  const devices = site.devices.filter((d) => d.enabled !== false);
  const ruleIds = new Set<string>();
  const rules = parsed.rules.map((rule, i): CompiledRule => {
    const at = (...p: (string | number)[]) => ['rules', i, ...p];
    if (ruleIds.has(rule.id)) fail(at('id'), `duplicate rule id '${rule.id}'`);
    ruleIds.add(rule.id);
    checkChannels(rule.notify, at('notify'));
    checkChannels(rule.escalate?.notify, at('escalate', 'notify'));
    if (rule.kind === 'threshold') checkThreshold(rule, (p, problem) => fail(at(p), problem));
    const message = rule.message ?? DEFAULT_MESSAGE[rule.kind];
    const unknown = unknownPlaceholders(message);
    if (unknown.length > 0) fail(at('message'), `unknown placeholder {${unknown[0]}} (docs/alerts.md lists them)`);
    let inScope = scopeDevices(rule.scope ?? {}, site, devices, (p, problem) => fail(at('scope', ...p), problem));
    const point = rule.kind === 'threshold' || rule.kind === 'stale' ? rule.point : rule.kind === 'inverter_fault' ? rule.point ?? 'inverter_state' : undefined;
    if (point !== undefined) {
      // a rule watches the devices whose model publishes its point; none at all is a misspelt point
      inScope = inScope.filter((d) => publishes(d.template, point));
      if (inScope.length === 0) fail(at('point'), `no device in scope publishes point '${point}' (see its device model)`);
    }
    if (rule.kind === 'counter' || rule.kind === 'estimated_share' || (rule.kind === 'threshold' && rule.interval_energy)) {
      if (!inScope.some((d) => d.kind === 'meter' || d.kind === 'inverter')) fail(at('scope'), 'no meter in scope: counter, interval energy and estimated share rules watch meters');
    }
    const subjects = ruleSubjects(rule, inScope, site, (p, problem) => fail(at(...p), problem));
    const instant = rule.kind === 'counter' || (KPI_KINDS as readonly string[]).includes(rule.kind);
    return {
      rule,
      devices: inScope,
      subjects,
      for_ms: instant ? 0 : durationMs(rule.for) ?? 0,
      after_ms: rule.kind === 'stale' ? durationMs(rule.after) as number : 0,
      rate_per_ms: rule.kind === 'threshold' ? durationMs(rule.rate_per) ?? 0 : 0,
      escalate_after_ms: durationMs(rule.escalate?.after) ?? 0,
      escalate_channels: rule.escalate?.notify ?? [],
      keep_firing_for_ms: durationMs(rule.keep_firing_for) ?? defaultKeepMs(rule.kind),
      open_for_ms: rule.kind === 'sequence_gap' ? durationMs(rule.open_for) ?? DEFAULT_GAP_OPEN_MS : 0,
      message,
      channels: rule.notify ?? parsed.default_channels ?? [],
    };
  });
  const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
  const q = parsed.quiet_hours;
  if (q && q.from === q.to) fail(['quiet_hours', 'to'], "must differ from 'from'");
  const quiet_hours = q && { from_min: minutes(q.from), to_min: minutes(q.to), except: new Set<string>(q.except ?? ['critical']), time_zone: site.site.timezone ?? 'Asia/Shanghai' };
  return { file, rules: rules.filter((r) => r.rule.enabled !== false), channels, board_url: parsed.board_url, quiet_hours };
}

function checkThreshold(rule: Extract<AlertRule, { kind: 'threshold' }>, fail: (path: string, problem: string) => never): void {
  if ((rule.point === undefined) === (rule.interval_energy === undefined)) fail('point', "give exactly one of 'point' and 'interval_energy'");
  if ((rule.above === undefined) === (rule.below === undefined)) fail('above', "give exactly one of 'above' and 'below'");
  if (rule.rate_per !== undefined && rule.point === undefined) fail('rate_per', "a rate of change needs 'point'");
  if (rule.rate_per !== undefined && durationMs(rule.rate_per) === 0) fail('rate_per', 'must be longer than 0');
  if (rule.recover === undefined) return;
  if (rule.above !== undefined && rule.recover > rule.above) fail('recover', `must not be above 'above' (${rule.above}): the alert resolves when the value falls below it`);
  if (rule.below !== undefined && rule.recover < rule.below) fail('recover', `must not be below 'below' (${rule.below}): the alert resolves when the value rises above it`);
}

const modelPoints = new Map<string, ReadonlySet<string>>();
function publishes(template: string, point: string): boolean {
  let points = modelPoints.get(template);
  if (!points) modelPoints.set(template, (points = new Set(loadModel(template).points.keys())));
  return points.has(point);
}

/** The devices a scope names; every named id must exist and every dimension must match some device. */
function scopeDevices(scope: Scope, site: SiteModel, devices: Device[], fail: (path: (string | number)[], problem: string) => never): Device[] {
  const buildingIds = new Set(site.buildings.map((b) => b.id));
  const deviceIds = new Set(site.devices.map((d) => d.id));
  scope.building?.forEach((b, j) => { if (!buildingIds.has(b)) fail(['building', j], `unknown building '${b}'`); });
  scope.device?.forEach((d, j) => { if (!deviceIds.has(d)) fail(['device', j], `unknown device '${d}'`); });
  const matchesSome = (key: 'category' | 'template' | 'tag', has: (d: Device, v: string) => boolean) => scope[key]?.forEach((v, j) => {
    if (!devices.some((d) => has(d, v))) fail([key, j], `no enabled device of the site has ${key} '${v}'`);
  });
  matchesSome('category', (d, v) => d.category === v);
  matchesSome('template', (d, v) => d.template === v);
  matchesSome('tag', (d, v) => d.tags?.includes(v) ?? false);
  const inScope = devices.filter((d) =>
    (!scope.device || scope.device.includes(d.id))
    && (!scope.building || scope.building.includes(d.building))
    && (!scope.category || (d.category !== undefined && scope.category.includes(d.category)))
    && (!scope.template || scope.template.includes(d.template))
    && (!scope.tag || scope.tag.some((t) => d.tags?.includes(t))));
  if (inScope.length === 0) fail([], 'matches no enabled device (its dimensions exclude each other)');
  return inScope;
}

/**
 * A channel with each `${NAME}` setting replaced by the environment variable's value (or NAME_FILE's content,
 * core/secrets.ts), its secrets registered so that no log line shows them: the signing secret, the SMTP password
 * and the robot's key or token in the webhook URL's query.
 */
function resolveEnv(c: Channel, env: NodeJS.ProcessEnv, missing: (key: string, name: string) => never): Channel {
  const out: Record<string, unknown> = { ...c };
  for (const [key, v] of Object.entries(c)) {
    if (typeof v !== 'string') continue;
    const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(v);
    const value = m ? readSecret(env, m[1]) : v;
    if (value === undefined || value === '') return missing(key, (m as RegExpExecArray)[1]);
    out[key] = value;
    if (key === 'secret') registerSecret(value);
    if (key === 'smtp_url') urlPassword(value);
    if (key === 'url') {
      try {
        for (const q of new URL(value).searchParams.values()) registerSecret(q);
      } catch { /* not a URL: fetch will say so at the first delivery */ }
    }
  }
  return out as Channel;
}
