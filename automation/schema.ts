/**
 * The automation file (docs/automation.md, DESIGN D12: schedules are versioned, validated data): the commanded
 * points with their limits and interlocks, weekly schedules with exceptions driven by the public-holiday calendar,
 * and peak-demand limits. One TypeBox schema gives the validation and the types.
 */
import { Type, type Static } from '@sinclair/typebox';

const Obj = <P extends Parameters<typeof Type.Object>[0]>(props: P, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });
const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', maxLength: 64 });
const Clock = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$', description: 'local clock time HH:MM (24:00 ends the day)' });
const DateStr = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'local date YYYY-MM-DD' });
const Priority = Type.Integer({ minimum: 1, maximum: 16 });
const PointName = Type.String({ pattern: '^[a-z][a-z0-9_]*$', maxLength: 64 });

/** An occupied period of a day, `from` included, `to` excluded. */
export const Period = Obj({ from: Clock, to: Clock });
export type Period = Static<typeof Period>;
const Day = Type.Array(Period, { description: 'occupied periods; empty or absent: unoccupied all day' });

/** A device's point, by ids of the site model. */
const PointRef = { device: Type.String({ minLength: 1 }), point: PointName };

/** Limits and interlocks of one commanded point; every write of every programme passes them. */
export const CommandedPoint = Obj({
  ...PointRef,
  min: Type.Optional(Type.Number({ description: 'lowest value automation writes (the template may be narrower)' })),
  max: Type.Optional(Type.Number({ description: 'highest value automation writes' })),
  max_step_per_min: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'rate limit: the value moves at most this much per minute, in steps' })),
  min_on_s: Type.Optional(Type.Integer({ minimum: 0, description: 'binary points: stays on at least this long before it may be switched off' })),
  min_off_s: Type.Optional(Type.Integer({ minimum: 0, description: 'binary points: stays off at least this long before it may be switched on' })),
  release_value: Type.Optional(Type.Number({ description: 'Modbus and MQTT devices have no priorities: the value written when no programme holds the point' })),
});
export type CommandedPoint = Static<typeof CommandedPoint>;

/** What a schedule writes to one point when occupied and when not. */
export const Target = Obj({
  ...PointRef,
  occupied: Type.Number({ description: 'value while occupied (start, comfort set-point)' }),
  unoccupied: Type.Union([Type.Number(), Type.Literal('release')], {
    description: "set-back or stop value while unoccupied; 'release': the schedule lets go (BACnet relinquish, NULL)",
  }),
});
export type Target = Static<typeof Target>;

/** Optimum start: occupied values begin earlier the further the outdoor temperature is from mild (docs/automation.md). */
export const OptimumStart = Obj({
  outdoor: Type.String({ pattern: '^[^/]+/[a-z][a-z0-9_]*$', description: 'device/point of the outdoor air temperature, °C' }),
  cooling_balance_c: Type.Number({ default: 24, description: 'above this outdoor temperature the building needs pre-cooling' }),
  heating_balance_c: Type.Number({ default: 14, description: 'below this the building needs pre-heating' }),
  min_per_k: Type.Number({ minimum: 0, default: 6, description: 'minutes of lead per kelvin beyond the balance temperature' }),
  max_lead_min: Type.Integer({ minimum: 0, maximum: 240, default: 90 }),
});
export type OptimumStart = Static<typeof OptimumStart>;

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
/** Weekday keys, Monday first (ISO 8601 order). */
export type Weekday = typeof WEEKDAYS[number];
export { WEEKDAYS };

/** A weekly programme for a building, zone or device group. */
export const Schedule = Obj({
  id: Id,
  name: Type.String({ minLength: 1, description: 'what people read (Chinese)' }),
  building: Type.String({ minLength: 1 }),
  zone: Type.Optional(Type.String({ description: 'zone or device group within the building, for people' })),
  enabled: Type.Optional(Type.Boolean({ default: true })),
  week: Obj({
    mon: Type.Optional(Day), tue: Type.Optional(Day), wed: Type.Optional(Day), thu: Type.Optional(Day),
    fri: Type.Optional(Day), sat: Type.Optional(Day), sun: Type.Optional(Day),
  }),
  holiday: Type.Optional(Day),
  adjusted_workday: Type.Optional(Type.Union(WEEKDAYS.map((d) => Type.Literal(d)), {
    default: 'mon', description: "the weekday whose programme an adjusted working day (调休) follows",
  })),
  exceptions: Type.Optional(Type.Array(Obj({ date: DateStr, periods: Day, note: Type.Optional(Type.String()) }))),
  optimum_start: Type.Optional(OptimumStart),
  targets: Type.Array(Target, { minItems: 1 }),
});
export type Schedule = Static<typeof Schedule>;

/** A load the demand limiter may shed (set back or stop), in the order listed. */
export const SheddableLoad = Obj({
  ...PointRef,
  shed: Type.Number({ description: 'value written while shed (set-back, stop)' }),
  expected_kw: Type.Number({ exclusiveMinimum: 0, description: 'demand it removes, kW: decides how many loads to shed and when one may return' }),
  power: Type.Optional(Type.String({ pattern: '^[^/]+/[a-z][a-z0-9_]*_kw$', description: 'device/point of its measured power: the kW shed is measured, not assumed' })),
});
export type SheddableLoad = Static<typeof SheddableLoad>;

/** A building's peak-demand limit from its contracted maximum demand and the tariff's peak periods. */
export const DemandLimit = Obj({
  id: Id,
  name: Type.String({ minLength: 1 }),
  building: Type.String({ minLength: 1 }),
  meter: Type.String({ minLength: 1, description: "the building's main electricity meter (its power_kw)" }),
  contracted_max_kw: Type.Number({ exclusiveMinimum: 0, description: 'contracted maximum demand (合同最大需量), kW' }),
  target_fraction: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.95, description: 'limit = contracted × this' }),
  periods: Type.Array(Type.Union([Type.Literal('critical'), Type.Literal('peak'), Type.Literal('flat'), Type.Literal('valley')]), {
    minItems: 1, default: ['critical', 'peak'], description: 'tariff periods in which the limit applies',
  }),
  horizon_min: Type.Number({ exclusiveMinimum: 0, maximum: 15, default: 5, description: 'the forecast looks this far ahead' }),
  restore_margin_kw: Type.Number({ minimum: 0, default: 10, description: 'a load returns once the forecast with it stays this far below the limit' }),
  min_shed_s: Type.Integer({ minimum: 0, default: 300, description: 'a shed load stays shed at least this long' }),
  settle_s: Type.Integer({ minimum: 0, default: 60, description: 'after a shed, wait this long for the plant to respond before shedding the next' }),
  demand_charge_cny_per_kw_month: Type.Optional(Type.Number({ minimum: 0, description: 'capacity charge, to value the demand avoided' })),
  loads: Type.Array(SheddableLoad, { minItems: 1 }),
});
export type DemandLimit = Static<typeof DemandLimit>;

/** The automation file. */
export const AutomationFile = Obj({
  version: Type.Literal(1),
  dry_run: Type.Optional(Type.Boolean({ default: false, description: 'log and audit what would be written; write nothing' })),
  tick_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 300, default: 30, description: 'how often programmes are evaluated' })),
  priorities: Type.Optional(Obj({
    override: Type.Optional(Priority), demand: Type.Optional(Priority), schedule: Type.Optional(Priority),
  }, 'BACnet command priorities (clause 19.2.1.1): defaults override 8 (manual operator), demand 10, schedule 12')),
  points: Type.Optional(Type.Array(CommandedPoint)),
  schedules: Type.Optional(Type.Array(Schedule)),
  demand_limits: Type.Optional(Type.Array(DemandLimit)),
});
export type AutomationFile = Static<typeof AutomationFile>;
