/**
 * The alert rules file (issue 14, DESIGN.md D12: rules are data): channels that reach a technician, and rules
 * scoped to devices of the site model. One schema validates the YAML and gives the TypeScript types; references
 * to the site and between rules and channels are checked by alerts/rules/load.ts.
 */
import { Type, type Static } from '@sinclair/typebox';

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', maxLength: 64, description: 'lower-case id: letters, digits, - and _' });
const Name = Type.String({ minLength: 1 });
/** `30s`, `5m`, `2h`, `1d` (alerts/rules/duration.ts). */
export const Duration = Type.String({ pattern: '^[0-9]+(s|m|h|d)$', description: 'a duration such as 30s, 5m, 2h or 1d' });
/** A setting that may name an environment variable as `${NAME}` (secrets are kept out of the file). */
const Secretish = Type.String({ minLength: 1, description: 'the value, or ${ENV_NAME} to read it from the environment' });

/** Objects are closed: an unknown key is a configuration error, not silently ignored. */
const Obj = <P extends Parameters<typeof Type.Object>[0]>(props: P, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });

/** A string of a fixed list, as a JSON Schema `enum` so that an error lists the allowed values. */
const StringEnum = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...values] });

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

const common = {
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

const ruleVariants = Type.Union([ThresholdRule, StaleRule, DeviceStateRule, CounterRule]);
/** Rules are told apart by `kind`, so that a problem is reported for the kind named, not for all four. */
export const AlertRule = Type.Unsafe<Static<typeof ruleVariants>>({
  type: 'object', required: ['kind'], discriminator: { propertyName: 'kind' }, oneOf: ruleVariants.anyOf,
});
export type AlertRule = Static<typeof ruleVariants>;
export type ThresholdRule = Static<typeof ThresholdRule>;
export type StaleRule = Static<typeof StaleRule>;
export type DeviceStateRule = Static<typeof DeviceStateRule>;
export type CounterRule = Static<typeof CounterRule>;

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
