/**
 * The alert rules file (issue 14, DESIGN.md D12: rules are data): channels that reach a technician, and rules
 * scoped to devices of the site model. One schema validates the YAML and gives the TypeScript types; references
 * to the site and between rules and channels are checked by alerts/rules/load.ts.
 */
import { Type, type Static } from '@sinclair/typebox';

export const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', maxLength: 64, description: 'lower-case id: letters, digits, - and _' });
const Name = Type.String({ minLength: 1 });
/** `30s`, `5m`, `2h`, `1d` (alerts/rules/duration.ts). */
export const Duration = Type.String({ pattern: '^[0-9]+(s|m|h|d)$', description: 'a duration such as 30s, 5m, 2h or 1d' });
/** A setting that may name an environment variable as `${NAME}` (secrets are kept out of the file). */
const Secretish = Type.String({ minLength: 1, description: 'the value, or ${ENV_NAME} to read it from the environment' });

/** Objects are closed: an unknown key is a configuration error, not silently ignored. */
export const Obj = <P extends Parameters<typeof Type.Object>[0]>(props: P, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });

/** A string of a fixed list, as a JSON Schema `enum` so that an error lists the allowed values. */
export const StringEnum = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...values] });

/** Severity, as ThingsBoard and most operations teams name it. */
export const SEVERITIES = ['critical', 'major', 'minor', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const Severity = StringEnum(SEVERITIES);
/** Counter events of the collector an alert can follow. */
export const COUNTER_EVENTS = ['reset', 'rollover', 'implausible', 'new_track'] as const;
export type CounterEventKind = (typeof COUNTER_EVENTS)[number];

/** Which devices a rule watches: every listed dimension must match (an empty scope is every enabled device). */
export const Scope = Obj({
  device: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  building: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  category: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9]{2}[0-9A-Z][0-9]{2}$', description: '分类分项 code, e.g. 01A00' }), { minItems: 1 })),
  template: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  tag: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: "any of the device's `tags` in the site model" })),
});
export type Scope = Static<typeof Scope>;

export const common = {
  id: Id,
  name: Name,
  severity: Severity,
  scope: Type.Optional(Scope),
  /** Chinese message with placeholders such as {building_name} {device_name} {value} {unit} (docs/alerts.md) */
  message: Type.Optional(Type.String({ minLength: 1 })),
  /** channel ids; default: the file's `default_channels` */
  notify: Type.Optional(Type.Array(Id)),
  /** still firing and unacknowledged this long after it fired: notify these channels too (the next contact group) */
  escalate: Type.Optional(Obj({ after: Duration, notify: Type.Array(Id, { minItems: 1 }) })),
  enabled: Type.Optional(Type.Boolean({ default: true })),
  /** how long the condition must hold before the alert fires (pending until then) */
  for: Type.Optional(Duration),
  /** how long the condition must be clear before a firing alert resolves (damps flapping) */
  keep_firing_for: Type.Optional(Duration),
};

/** A telemetry point or a meter's 15-minute interval energy above (or below) a threshold, with hysteresis. */
export const ThresholdRule = Obj({
  kind: Type.Literal('threshold'),
  ...common,
  point: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]*$', description: 'telemetry point, e.g. power_kw' })),
  interval_energy: Type.Optional(Type.Literal('15m', { description: "the meter's 15-minute interval quantity (kWh, m³)" })),
  above: Type.Optional(Type.Number()),
  below: Type.Optional(Type.Number()),
  /** the recovery threshold: an alert above `above` resolves only below `recover` (default: the threshold) */
  recover: Type.Optional(Type.Number()),
  /** judge the point's rate of change per this duration instead of its value (e.g. °C per 10m) */
  rate_per: Type.Optional(Duration),
});

/** No reading of a device (or of one of its points) for longer than `after`. */
export const StaleRule = Obj({
  kind: Type.Literal('stale'),
  ...common,
  after: Duration,
  point: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]*$' })),
});

/** The gateway says a device is offline or degraded (contract v1 DeviceStatus). */
export const DeviceStateRule = Obj({
  kind: Type.Literal('device_state'),
  ...common,
  states: Type.Array(StringEnum(['offline', 'degraded'] as const), { minItems: 1 }),
});

/** Counter anomalies the collector found in a meter's register (issue 12.3). */
export const CounterRule = Obj({
  kind: Type.Literal('counter'),
  ...common,
  events: Type.Array(StringEnum(COUNTER_EVENTS), { minItems: 1 }),
});

/** `HH:MM` local time. */
const LocalTime = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'local time HH:MM' });
const Ids = Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }));

/**
 * Scheduled KPI rules (alerts/kpi/): judged once a local day has closed, from the stored rollups and the API's
 * domain formulas. Their subject is a building, a meter, a PV system or a contract; `for` and `keep_firing_for`
 * default to 0 (each day's verdict stands until the next).
 */
export const DailyEnergyRule = Obj({
  kind: Type.Literal('daily_energy'),
  ...common,
  /** the day's energy against the median of the same weekday of the last `weeks` weeks */
  weeks: Type.Optional(Type.Integer({ minimum: 2, maximum: 26, default: 4 })),
  /** fires when the day exceeds that median by more than this many percent */
  above_pct: Type.Number({ minimum: 0 }),
  medium: Type.Optional(StringEnum(['electricity', 'water', 'gas', 'heat', 'cooling'] as const)),
});

/** Mean electric power of a building in its night hours, and on whole non-working days (holidays, 调休 aware). */
export const BaseLoadRule = Obj({
  kind: Type.Literal('base_load'),
  ...common,
  above_kw: Type.Number({ minimum: 0 }),
  /** the night hours, over midnight when `to` is earlier; default 22:00–06:00 */
  night: Type.Optional(Obj({ from: LocalTime, to: LocalTime })),
  /** judge whole public holidays and weekends too (the site's holiday calendar, 调休 working days excluded); default true */
  holidays: Type.Optional(Type.Boolean({ default: true })),
});

/** The day's maximum 15-minute demand of a meter above the contracted maximum demand (最大需量). */
export const PeakDemandRule = Obj({
  kind: Type.Literal('peak_demand'),
  ...common,
  contracted_kw: Type.Number({ exclusiveMinimum: 0 }),
  /** fires above this share of the contracted demand; default 100 */
  above_pct: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 100 })),
});

/** A PV system's daily performance ratio (IEC 61724-1) below `below` on each of the last `days` days with sun. */
export const PvPerformanceRule = Obj({
  kind: Type.Literal('pv_performance'),
  ...common,
  systems: Ids,
  below: Type.Number({ exclusiveMinimum: 0, maximum: 1.5 }),
  days: Type.Optional(Type.Integer({ minimum: 1, maximum: 30, default: 1 })),
});

/** A guaranteed-savings contract whose avoided energy so far is behind the guaranteed amount pro-rated to date. */
export const ContractSavingsRule = Obj({
  kind: Type.Literal('contract_savings'),
  ...common,
  contracts: Ids,
  /** tolerated shortfall in percent of the pro-rated guaranteed amount; default 0 */
  behind_pct: Type.Optional(Type.Number({ minimum: 0, maximum: 100, default: 0 })),
});

/** An inverter reporting a fault state (SunSpec `St` = 7 by default), judged as the reading arrives. */
export const InverterFaultRule = Obj({
  kind: Type.Literal('inverter_fault'),
  ...common,
  point: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]*$', default: 'inverter_state' })),
  codes: Type.Optional(Type.Array(Type.Integer(), { minItems: 1, default: [7] })),
});

/** Batches of a gateway missing longer than `open_for` (not recovered by resend requests), or counted lost. */
export const SequenceGapRule = Obj({
  kind: Type.Literal('sequence_gap'),
  ...common,
  gateways: Ids,
  open_for: Type.Optional(Duration),
});

/** A meter's energy of the local day so far estimated (bridged over gaps) for more than `above_pct` percent. */
export const EstimatedShareRule = Obj({
  kind: Type.Literal('estimated_share'),
  ...common,
  above_pct: Type.Number({ minimum: 0, maximum: 100 }),
  /** judge only once the day holds this much energy (kWh, m³); default 1 */
  min_quantity: Type.Optional(Type.Number({ minimum: 0 })),
});

/** Kinds judged on the daily schedule. */
export const KPI_KINDS = ['daily_energy', 'base_load', 'peak_demand', 'pv_performance', 'contract_savings'] as const;
export type KpiKind = (typeof KPI_KINDS)[number];

const ruleVariants = Type.Union([
  ThresholdRule, StaleRule, DeviceStateRule, CounterRule, DailyEnergyRule, BaseLoadRule, PeakDemandRule, PvPerformanceRule,
  ContractSavingsRule, InverterFaultRule, SequenceGapRule, EstimatedShareRule,
]);
/** Rules are told apart by `kind`, so that a problem is reported for the kind named, not for all of them. */
export const AlertRule = Type.Unsafe<Static<typeof ruleVariants>>({
  type: 'object', required: ['kind'], discriminator: { propertyName: 'kind' }, oneOf: ruleVariants.anyOf,
});
export type AlertRule = Static<typeof ruleVariants>;
export type ThresholdRule = Static<typeof ThresholdRule>;
export type StaleRule = Static<typeof StaleRule>;
export type DeviceStateRule = Static<typeof DeviceStateRule>;
export type CounterRule = Static<typeof CounterRule>;
export type KpiRule = Extract<AlertRule, { kind: KpiKind }>;

/** WeCom (企业微信) group robot: the webhook URL carries its key. */
export const WecomChannel = Obj({ id: Id, type: Type.Literal('wecom'), url: Secretish, mentioned_mobiles: Type.Optional(Type.Array(Type.String())) });
/** DingTalk (钉钉) custom robot with signing (加签). */
export const DingtalkChannel = Obj({ id: Id, type: Type.Literal('dingtalk'), url: Secretish, secret: Type.Optional(Secretish), at_mobiles: Type.Optional(Type.Array(Type.String())) });
/** Feishu (飞书) custom bot with signature verification (签名校验). */
export const FeishuChannel = Obj({ id: Id, type: Type.Literal('feishu'), url: Secretish, secret: Type.Optional(Secretish) });
/** E-mail over SMTP (nodemailer); `smtp_url` like smtp://user:pass@host:587. */
export const EmailChannel = Obj({ id: Id, type: Type.Literal('email'), smtp_url: Secretish, from: Type.String({ minLength: 3 }), to: Type.Array(Type.String({ minLength: 3 }), { minItems: 1 }) });
/** Any HTTP endpoint: JSON body, signed with HMAC-SHA256 when a secret is given. */
export const WebhookChannel = Obj({ id: Id, type: Type.Literal('webhook'), url: Secretish, secret: Type.Optional(Secretish) });

const channelVariants = Type.Union([WecomChannel, DingtalkChannel, FeishuChannel, EmailChannel, WebhookChannel]);
/** Channels are told apart by `type`. */
export const Channel = Type.Unsafe<Static<typeof channelVariants>>({
  type: 'object', required: ['type'], discriminator: { propertyName: 'type' }, oneOf: channelVariants.anyOf,
});
export type Channel = Static<typeof channelVariants>;

export const AlertRulesFile = Obj({
  version: Type.Literal(1),
  /** channels of every rule without its own `notify` */
  default_channels: Type.Optional(Type.Array(Id)),
  /** no notifications in these local hours except of the listed severities; what was held is sent as one digest at the end */
  quiet_hours: Type.Optional(Obj({
    from: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'local time HH:MM' }),
    to: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'local time HH:MM' }),
    except: Type.Optional(Type.Array(Severity, { default: ['critical'] })),
  })),
  /** the board a message links to as {link}; `{building}` and `{device}` in it are replaced by the alert's ids */
  board_url: Type.Optional(Type.String({ pattern: '^https?://', description: 'an http(s) URL' })),
  channels: Type.Optional(Type.Array(Channel)),
  rules: Type.Array(AlertRule),
}, 'Jieneng alert rules, version 1');
export type AlertRulesFile = Static<typeof AlertRulesFile>;
