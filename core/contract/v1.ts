/**
 * MQTT contract, version 1: the topics and JSON payloads between gateways, collectors and third parties.
 * Gateway, collector and simulators import this module; `contract/mqtt-v1.schema.json` is generated from it
 * (`npm run schema`) for everyone else.
 *
 * Topics (all under `jieneng/v1/<site>/<gateway>/`):
 *   readings                      ReadingBatch, QoS 1, not retained: one message per gateway poll cycle
 *   status                        GatewayStatus, QoS 1, retained; the broker publishes the last will
 *   devices/<device>/status       DeviceStatus, QoS 1, retained
 *   command                       GatewayCommand, QoS 1, not retained: resend requests (a write here is refused)
 *   command/write                 WriteCommand, QoS 1, not retained: device writes; only the automation account
 *                                 may publish here (decision 0311), so the collector's resend right cannot write
 *   command/result                CommandResult, QoS 1, not retained: the gateway's answer, same `id`
 * and `jieneng/v1/<site>/deadletter` (DeadLetter, QoS 1) where the collector puts what it could not accept, and
 * `jieneng/v1/<site>/collectors/<member>/lost` (CollectorLost, QoS 1): the MQTT 5 will of a collector of a shared
 * telemetry group, published by the broker when its session ends (decision 0310).
 */
import { Type, type Static } from '@sinclair/typebox';

export const CONTRACT_VERSION = 1;
export const TOPIC_ROOT = 'jieneng/v1';

/** good: measured and plausible; uncertain: measured but suspect (e.g. stale, estimated); bad: not usable. */
export const Quality = Type.Union([Type.Literal('good'), Type.Literal('uncertain'), Type.Literal('bad')]);
export type Quality = Static<typeof Quality>;

/** Canonical point names carry their unit: energy_import_kwh, power_kw, water_m3, temp_c … */
export const PointName = Type.String({ pattern: '^[a-z][a-z0-9_]*$', maxLength: 64 });

export const PointValue = Type.Object({
  value: Type.Union([Type.Number(), Type.Null()], { description: 'in the unit named by the point; null when unreadable' }),
  quality: Quality,
  reason: Type.Optional(Type.String({ description: 'why the quality is not good' })),
}, { additionalProperties: false });
export type PointValue = Static<typeof PointValue>;

export const DeviceReading = Type.Object({
  device: Type.String({ minLength: 1 }),
  ts: Type.Integer({ description: 'source timestamp, UTC epoch milliseconds' }),
  points: Type.Record(PointName, PointValue),
}, { additionalProperties: false });
export type DeviceReading = Static<typeof DeviceReading>;

export const ReadingBatch = Type.Object({
  v: Type.Literal(1),
  site: Type.String({ minLength: 1 }),
  gateway: Type.String({ minLength: 1 }),
  seq: Type.Integer({ minimum: 0, description: 'per-gateway sequence number, +1 per batch, survives restarts' }),
  sent_ts: Type.Integer({ description: 'when the gateway built the batch, UTC epoch ms' }),
  readings: Type.Array(DeviceReading, { minItems: 1 }),
}, { additionalProperties: false, $id: 'ReadingBatch' });
export type ReadingBatch = Static<typeof ReadingBatch>;

export const GatewayStatus = Type.Object({
  v: Type.Literal(1),
  online: Type.Boolean(),
  ts: Type.Integer(),
  queued: Type.Optional(Type.Integer({ minimum: 0, description: 'batches on disk waiting for the broker to acknowledge them' })),
  next_seq: Type.Optional(Type.Integer({ minimum: 0, description: 'the seq the next batch gets' })),
  heartbeat_s: Type.Optional(Type.Integer({ minimum: 1, description: 'while connected the gateway publishes its status again at least this often: an online status older than a few heartbeats is stale' })),
}, { additionalProperties: false, $id: 'GatewayStatus' });
export type GatewayStatus = Static<typeof GatewayStatus>;

/**
 * A device as its gateway sees it: `online` (answers, values usable), `degraded` (answers, but nothing usable: every
 * point bad, e.g. a wrong template or an exception on every read), `offline` (does not answer).
 */
export const DeviceState = Type.Union([Type.Literal('online'), Type.Literal('degraded'), Type.Literal('offline')]);
export type DeviceState = Static<typeof DeviceState>;

export const DeviceStatus = Type.Object({
  v: Type.Literal(1),
  online: Type.Boolean({ description: 'the device answers (true when degraded)' }),
  state: Type.Optional(DeviceState),
  ts: Type.Integer({ description: 'when the state or error last changed, UTC epoch ms' }),
  error: Type.Optional(Type.String({ description: 'why offline or degraded; when online, a note (e.g. an exception on some reads)' })),
}, {
  additionalProperties: false, $id: 'DeviceStatus',
  description: 'retained; without `state` (gateways before it existed) the state is online or offline from `online`',
});
export type DeviceStatus = Static<typeof DeviceStatus>;

export const DeadLetter = Type.Object({
  v: Type.Literal(1),
  reason: Type.String({ description: 'machine-readable reason, e.g. not_json, schema, unknown_device' }),
  detail: Type.String(),
  topic: Type.String(),
  payload: Type.String({ description: 'the original payload, as UTF-8 text (truncated to 64 KiB)' }),
  ts: Type.Integer(),
}, { additionalProperties: false, $id: 'DeadLetter' });
export type DeadLetter = Static<typeof DeadLetter>;

/** A closed range of sequence numbers, both ends included. */
export const SeqRange = Type.Object({
  from_seq: Type.Integer({ minimum: 0 }),
  to_seq: Type.Integer({ minimum: 0 }),
}, { additionalProperties: false });
export type SeqRange = Static<typeof SeqRange>;

const CommandId = Type.String({ minLength: 1, maxLength: 128, description: 'chosen by the sender; the result carries it back' });

/** Publish again the batches of a seq range from the gateway's replay window (decision 0309). */
export const ResendCommand = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal('resend'),
  id: CommandId,
  from_seq: Type.Integer({ minimum: 0 }),
  to_seq: Type.Integer({ minimum: 0, description: 'included; at most 10 000 batches per request' }),
}, { additionalProperties: false });
export type ResendCommand = Static<typeof ResendCommand>;

/** Publish again every batch the broker acknowledged within the last `within_s` seconds (a lost collector's share). */
export const ResendRecentCommand = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal('resend_recent'),
  id: CommandId,
  within_s: Type.Integer({ minimum: 1, maximum: 86_400 }),
}, { additionalProperties: false });
export type ResendRecentCommand = Static<typeof ResendRecentCommand>;

/**
 * Write a point of a device behind the gateway (DESIGN.md D10, docs/automation.md): the gateway refuses it unless the
 * device's template marks the point writable and the value lies within the template's min/max. BACnet writes
 * Present_Value at `priority` (default the template's, else 16); `value: null` relinquishes that priority (BACnet
 * clause 19.2.1.3). Modbus and MQTT-native devices have no priorities: null is refused there.
 */
export const WriteCommand = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal('write'),
  id: CommandId,
  device: Type.String({ minLength: 1, maxLength: 128 }),
  point: PointName,
  value: Type.Union([Type.Number(), Type.Null()], { description: "in the point's canonical unit; null: relinquish (BACnet)" }),
  priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, description: 'BACnet command priority' })),
  by: Type.Optional(Type.String({ maxLength: 200, description: 'who asked (a programme, a user): logged by the gateway' })),
}, { additionalProperties: false });
export type WriteCommand = Static<typeof WriteCommand>;

/**
 * A request to one gateway, tagged by `type`: resends of the replay window and device writes (DESIGN.md D10); a
 * gateway answers a type it does not know with a `rejected` result. Writes travel on `command/write`, the rest on
 * `command`; a gateway refuses either on the other's topic (decision 0311).
 */
export const GatewayCommand = Type.Union([ResendCommand, ResendRecentCommand, WriteCommand], { $id: 'GatewayCommand' });
export type GatewayCommand = Static<typeof GatewayCommand>;

/** The answer to a `resend`: what was published again, what is still waiting to be sent, what is gone. */
export const ResendResult = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal('resend'),
  id: CommandId,
  from_seq: Type.Integer({ minimum: 0 }),
  to_seq: Type.Integer({ minimum: 0 }),
  resent: Type.Integer({ minimum: 0, description: 'batches published again (they follow on the readings topic)' }),
  queued: Type.Integer({ minimum: 0, description: 'batches of the range not yet acknowledged by the broker: sent as usual' }),
  unavailable: Type.Array(SeqRange, { description: 'ranges the gateway no longer holds (window expired, queue full, never assigned)' }),
}, { additionalProperties: false });
export type ResendResult = Static<typeof ResendResult>;

/** The answer to a `resend_recent`. */
export const ResendRecentResult = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal('resend_recent'),
  id: CommandId,
  resent: Type.Integer({ minimum: 0 }),
  duplicate: Type.Boolean({ description: 'a request with this id was already carried out: nothing sent again' }),
}, { additionalProperties: false });
export type ResendRecentResult = Static<typeof ResendRecentResult>;

/** The answer to a `write`: the device's answer (acknowledged, or its error), or why the gateway refused to send it. */
export const WriteResult = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal('write'),
  id: CommandId,
  device: Type.String(),
  point: PointName,
  value: Type.Union([Type.Number(), Type.Null()]),
  priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })),
  outcome: Type.Union([Type.Literal('written'), Type.Literal('refused'), Type.Literal('failed')], {
    description: 'written: the device acknowledged; refused: not sent (not writable, out of range, unknown); failed: the device answered an error or did not answer',
  }),
  detail: Type.Optional(Type.String({ description: "the device's error or the reason of the refusal" })),
  ts: Type.Integer({ description: 'when the device answered, UTC epoch ms' }),
}, { additionalProperties: false });
export type WriteResult = Static<typeof WriteResult>;

/** The answer to a command the gateway could not parse or does not know. */
export const RejectedCommand = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal('rejected'),
  id: Type.Union([CommandId, Type.Null()], { description: 'null when the command had no readable id' }),
  detail: Type.String(),
}, { additionalProperties: false });
export type RejectedCommand = Static<typeof RejectedCommand>;

/** A gateway's answer on `…/command/result`, tagged by the command's `type`. */
export const CommandResult = Type.Union([ResendResult, ResendRecentResult, WriteResult, RejectedCommand], { $id: 'CommandResult' });
export type CommandResult = Static<typeof CommandResult>;

/**
 * A member of a shared telemetry group is gone: its session ended and the broker discarded what it held for it
 * (decision 0310). Published as the member's MQTT 5 will; the other members ask the gateways to resend.
 */
export const CollectorLost = Type.Object({
  v: Type.Literal(1),
  member: Type.String({ minLength: 1, description: "the member's MQTT client id" }),
  session_expiry_s: Type.Integer({ minimum: 0, description: 'how long the broker kept its session after the connection broke' }),
  ts: Type.Integer({ description: 'when the member connected (a will cannot carry the time of death), UTC epoch ms' }),
}, { additionalProperties: false, $id: 'CollectorLost' });
export type CollectorLost = Static<typeof CollectorLost>;

/** Topic builders and parsers: the only place topic strings are spelled. */
export const topics = {
  readings: (site: string, gateway: string) => `${TOPIC_ROOT}/${site}/${gateway}/readings`,
  gatewayStatus: (site: string, gateway: string) => `${TOPIC_ROOT}/${site}/${gateway}/status`,
  deviceStatus: (site: string, gateway: string, device: string) => `${TOPIC_ROOT}/${site}/${gateway}/devices/${device}/status`,
  command: (site: string, gateway: string) => `${TOPIC_ROOT}/${site}/${gateway}/command`,
  /** Device writes only (decision 0311): a broker account may then command resends without writing set-points. */
  commandWrite: (site: string, gateway: string) => `${TOPIC_ROOT}/${site}/${gateway}/command/write`,
  commandResult: (site: string, gateway: string) => `${TOPIC_ROOT}/${site}/${gateway}/command/result`,
  /** Subscription filter for every gateway's command results. */
  allCommandResults: (site = '+') => `${TOPIC_ROOT}/${site}/+/command/result`,
  deadLetter: (site: string) => `${TOPIC_ROOT}/${site}/deadletter`,
  /** A collector's will; `member` is its client id with the characters a topic level cannot hold replaced. */
  collectorLost: (site: string, member: string) => `${TOPIC_ROOT}/${site}/collectors/${member.replace(/[/+#]/g, '_')}/lost`,
  /** Subscription filter for every collector's will. */
  allCollectorsLost: (site = '+') => `${TOPIC_ROOT}/${site}/collectors/+/lost`,
  /** Subscription filter for every gateway's readings; `group` makes it an MQTT 5 / Mosquitto shared subscription. */
  allReadings: (site = '+', group?: string) => `${group ? `$share/${group}/` : ''}${TOPIC_ROOT}/${site}/+/readings`,
  allStatus: (site = '+') => [`${TOPIC_ROOT}/${site}/+/status`, `${TOPIC_ROOT}/${site}/+/devices/+/status`],
};

/** Split a readings topic into its site and gateway, or undefined when it is not one. */
export function parseReadingsTopic(topic: string): { site: string; gateway: string } | undefined {
  const m = /^jieneng\/v1\/([^/]+)\/([^/]+)\/readings$/.exec(topic);
  return m ? { site: m[1], gateway: m[2] } : undefined;
}

/** Split a command-result topic into its site and gateway. */
export function parseCommandResultTopic(topic: string): { site: string; gateway: string } | undefined {
  const m = /^jieneng\/v1\/([^/]+)\/([^/]+)\/command\/result$/.exec(topic);
  return m ? { site: m[1], gateway: m[2] } : undefined;
}

/** Split a status topic into site, gateway and (for a device) device. */
export function parseStatusTopic(topic: string): { site: string; gateway: string; device?: string } | undefined {
  const m = /^jieneng\/v1\/([^/]+)\/([^/]+)\/(?:devices\/([^/]+)\/)?status$/.exec(topic);
  return m ? { site: m[1], gateway: m[2], device: m[3] } : undefined;
}

export const contractSchemas = { ReadingBatch, GatewayStatus, DeviceStatus, DeadLetter, GatewayCommand, CommandResult, CollectorLost };
