/**
 * The site model: one schema that validates the YAML at load time and gives the TypeScript types.
 * Units are part of every numeric field's name (DESIGN.md, boundary 3).
 */
import { Type, type Static } from '@sinclair/typebox';

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', maxLength: 64, description: 'lower-case id: letters, digits, - and _' });
const Year = Type.Integer({ minimum: 2000, maximum: 2100 });
const Name = Type.String({ minLength: 1 });

/** Objects are closed: an unknown key is a configuration error, not silently ignored. */
const Obj = <P extends Parameters<typeof Type.Object>[0]>(props: P, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });

/** Energy/resource medium a meter measures; decides the unit of its interval quantity. */
export const Medium = Type.Union([
  Type.Literal('electricity'), Type.Literal('water'), Type.Literal('gas'),
  Type.Literal('heat'), Type.Literal('cooling'),
]);
export type Medium = Static<typeof Medium>;

/** Per-year facts of a building: 用能人数 and, where it changed, the statistical floor area. */
export const BuildingYear = Obj({
  year: Year,
  headcount: Type.Optional(Type.Integer({ minimum: 0, description: '用能人数 (people using energy that year)' })),
  floor_area_m2: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
});

/** An org unit (a 填表单位 of its own, e.g. a bureau housed in the building): its returns are filed per unit. */
export const OrgUnit = Obj({
  id: Id,
  name: Name,
  unified_social_credit_code: Type.Optional(Type.String({ pattern: '^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$', description: '统一社会信用代码 of the unit (GB 32100-2015)' })),
  floor_area_m2: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "建筑面积 the unit occupies (its returns' 101)" })),
  years: Type.Optional(Type.Array(BuildingYear, { description: "the unit's 用能人数 and area per year" })),
});

/** How a building heats (NY203, filed where the unit heats): heated areas, season length and its heating meters. */
export const Heating = Obj({
  own_m2: Type.Optional(Type.Number({ minimum: 0, description: '自供暖面积 (own boilers or heat pumps)' })),
  district_by_area_m2: Type.Optional(Type.Number({ minimum: 0, description: '集中供热, billed by area' })),
  district_by_heat_m2: Type.Optional(Type.Number({ minimum: 0, description: '集中供热, billed by metered heat' })),
  season_days: Type.Optional(Type.Integer({ minimum: 0, maximum: 366, description: '采暖天数' })),
  meters: Type.Optional(Type.Array(Type.String(), { description: 'meters of the heating plant (boiler gas, heat-pump electricity, heat meters)' })),
});

export const Building = Obj({
  id: Id,
  name: Name,
  floor_area_m2: Type.Number({ exclusiveMinimum: 0, description: '建筑面积 (statistical office floor area)' }),
  building_class: Type.Optional(Type.String({ description: 'class in GB/T 51161-2016, e.g. A-government-office' })),
  address: Type.Optional(Type.String()),
  years: Type.Optional(Type.Array(BuildingYear)),
  org_units: Type.Optional(Type.Array(OrgUnit)),
  heating: Type.Optional(Heating),
});

export const Gateway = Obj({
  id: Id,
  name: Type.Optional(Name),
  poll_interval_s: Type.Optional(Type.Number({ minimum: 1, maximum: 3600, default: 15 })),
});

/** Where and how a device is reached. */
export const ModbusTcpAddress = Obj({
  protocol: Type.Literal('modbus-tcp'),
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 502 }),
  unit_id: Type.Integer({ minimum: 0, maximum: 255, default: 1 }),
});
export const ModbusRtuAddress = Obj({
  protocol: Type.Literal('modbus-rtu'),
  path: Type.String({ minLength: 1, description: 'serial device, e.g. /dev/ttyUSB0' }),
  baud_rate: Type.Integer({ minimum: 300, default: 9600 }),
  parity: Type.Union([Type.Literal('none'), Type.Literal('even'), Type.Literal('odd')], { default: 'none' }),
  unit_id: Type.Integer({ minimum: 1, maximum: 247 }),
});
export const BacnetAddress = Obj({
  protocol: Type.Literal('bacnet-ip'),
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 47808 }),
  device_instance: Type.Integer({ minimum: 0, maximum: 4194302 }),
  local_interface: Type.Optional(Type.String({ minLength: 1, description: "gateway's own IPv4 address to bind for BACnet/IP (default 0.0.0.0)" })),
  local_port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: "gateway's own UDP port (default 47808)" })),
  broadcast: Type.Optional(Type.String({ minLength: 1, description: 'directed broadcast address of the BACnet/IP subnet (default: the device host, i.e. no broadcast)' })),
});
export const MqttAddress = Obj({
  protocol: Type.Literal('mqtt'),
  topic: Type.String({ minLength: 1 }),
  broker_url: Type.Optional(Type.String({ minLength: 1, description: "broker the controller publishes to, e.g. mqtt://10.0.0.5:1883 (default mqtt://127.0.0.1:1883)" })),
  username: Type.Optional(Type.String()),
  password: Type.Optional(Type.String()),
});
const addressVariants = Type.Union([ModbusTcpAddress, ModbusRtuAddress, BacnetAddress, MqttAddress]);
/**
 * The variants are told apart by `protocol` (a JSON Schema discriminator), so that Ajv applies each variant's
 * defaults (port 502, unit id 1 …) and reports the problems of the variant named, not of all four.
 */
export const DeviceAddress = Type.Unsafe<Static<typeof addressVariants>>({
  type: 'object',
  required: ['protocol'],
  discriminator: { propertyName: 'protocol' },
  oneOf: addressVariants.anyOf,
});
export type DeviceAddress = Static<typeof addressVariants>;

/** 分类分项 code (MOHURD 2008): 01000 electricity, 01A00 lighting & sockets, 01B10 HVAC plant, 02000 water … */
const CategoryCode = Type.String({ pattern: '^[0-9]{2}[0-9A-Z][0-9]{2}$', description: '分类分项 code, e.g. 01A00' });

/** A meter swapped in the field: the collector counts old final − last old reading + first new reading − new initial. */
export const MeterReplacement = Obj({
  at: Type.String({ format: 'date-time', description: 'instant of the swap (ISO 8601 with offset)' }),
  old_final: Type.Number({ minimum: 0, description: "old register's last value, in the counter point's unit" }),
  new_initial: Type.Number({ minimum: 0, description: "new register's first value, in the counter point's unit" }),
});

export const Device = Obj({
  id: Id,
  name: Name,
  kind: Type.Union([Type.Literal('meter'), Type.Literal('inverter'), Type.Literal('sensor'), Type.Literal('hvac')]),
  building: Id,
  gateway: Id,
  template: Type.String({ minLength: 1, description: 'device template id, one file per model' }),
  address: DeviceAddress,
  simulated: Type.Optional(Type.Boolean({ description: 'false: a real device at a loopback address, which the demo and `jieneng sim` leave alone (default: every loopback device is simulated)' })),
  medium: Type.Optional(Medium),
  category: Type.Optional(CategoryCode),
  org_unit: Type.Optional(Id),
  parent: Type.Optional(Type.String({ description: 'parent meter id in the meter tree' })),
  ct_ratio: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 1 })),
  pt_ratio: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 1 })),
  poll_interval_s: Type.Optional(Type.Number({ minimum: 1, maximum: 3600 })),
  enabled: Type.Optional(Type.Boolean({ default: true })),
  tags: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'free labels, e.g. for alert rule scopes (docs/alerts.md)' })),
  counter_rollover: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'value (in the counter point\'s unit, after CT/PT) at which the cumulative register wraps to zero; default from the template' })),
  replacements: Type.Optional(Type.Array(MeterReplacement, { description: 'meter swaps, bridged by the collector (D3)' })),
  max_power_kw: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'most power the meter can measure, after CT/PT (kWh counters): a counter advance beyond max_power_kw × elapsed hours × 2 is implausible and not counted; default for electricity meters from the template: Σ phases U_max × I_max × PT × CT' })),
});

/** A meter computed from others: Σ plus − Σ minus of their interval energy. */
export const VirtualMeter = Obj({
  id: Id,
  name: Name,
  building: Id,
  medium: Medium,
  category: Type.Optional(CategoryCode),
  plus: Type.Array(Type.String(), { minItems: 1 }),
  minus: Type.Optional(Type.Array(Type.String())),
});

/** A data-centre machine room (NY202, one return sheet per room): its configured facts and its meters per part. */
export const MachineRoom = Obj({
  id: Id,
  name: Name,
  building: Id,
  org_unit: Type.Optional(Id),
  area_m2: Type.Number({ exclusiveMinimum: 0, description: '机房面积' }),
  racks: Type.Optional(Type.Integer({ minimum: 0, description: '机柜数' })),
  it_power_kw: Type.Optional(Type.Number({ minimum: 0 })),
  cooling_power_kw: Type.Optional(Type.Number({ minimum: 0 })),
  distribution_power_kw: Type.Optional(Type.Number({ minimum: 0 })),
  meters: Obj({
    it: Type.Optional(Type.Array(Type.String())),
    cooling: Type.Optional(Type.Array(Type.String())),
    distribution: Type.Optional(Type.Array(Type.String())),
  }, 'electricity meters of each part of the room'),
});

export const PvSystem = Obj({
  id: Id,
  name: Name,
  building: Id,
  peak_power_kwp: Type.Number({ exclusiveMinimum: 0 }),
  tilt_deg: Type.Optional(Type.Number({ minimum: 0, maximum: 90 })),
  azimuth_deg: Type.Optional(Type.Number({ minimum: 0, maximum: 360, description: '180 = facing south' })),
  temp_coefficient_per_c: Type.Optional(Type.Number({ maximum: 0, description: 'γ of Pmax, e.g. -0.0037 /°C' })),
  inverters: Type.Array(Type.String(), { minItems: 1 }),
  irradiance_sensor: Type.Optional(Type.String()),
  export_meter: Type.Optional(Type.String()),
});

export const Contract = Obj({
  id: Id,
  name: Name,
  type: Type.Union([Type.Literal('shared-savings'), Type.Literal('guaranteed-savings'), Type.Literal('cost-trusteeship')]),
  meters: Type.Array(Type.String(), { minItems: 1 }),
  baseline: Obj({ from: Type.String({ format: 'date' }), to: Type.String({ format: 'date' }) }),
  reporting: Obj({ from: Type.String({ format: 'date' }), to: Type.Optional(Type.String({ format: 'date' })) }),
  savings_share: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: "ESCO's share of savings" })),
  guaranteed_kwh: Type.Optional(Type.Number({ minimum: 0 })),
  temperature_point: Type.Optional(Type.String({ description: 'device/point of the outdoor air temperature' })),
});

export const Site = Obj({
  id: Id,
  name: Name,
  timezone: Type.String({ default: 'Asia/Shanghai' }),
  latitude_deg: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
  longitude_deg: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
  demo: Type.Optional(Type.Boolean({ description: 'true: invented figures for demonstration' })),
  templates_dir: Type.Optional(Type.String({ minLength: 1, description: "folder of the integrator's device templates, relative to this file; searched before the shipped templates, for every protocol" })),
  // GB 32100-2015: 18 characters, no I, O, S, V or Z; printed on the statistical returns (issue 15)
  unified_social_credit_code: Type.Optional(Type.String({ pattern: '^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$', description: '统一社会信用代码 of the institution (GB 32100-2015), printed on the annual returns' })),
});

export const SiteModel = Obj({
  version: Type.Literal(1),
  site: Site,
  buildings: Type.Array(Building, { minItems: 1 }),
  gateways: Type.Array(Gateway, { minItems: 1 }),
  devices: Type.Array(Device),
  virtual_meters: Type.Optional(Type.Array(VirtualMeter)),
  pv_systems: Type.Optional(Type.Array(PvSystem)),
  machine_rooms: Type.Optional(Type.Array(MachineRoom)),
  contracts: Type.Optional(Type.Array(Contract)),
}, 'Jieneng site model, version 1');

export type BuildingYear = Static<typeof BuildingYear>;
export type Building = Static<typeof Building>;
export type Gateway = Static<typeof Gateway>;
export type Device = Static<typeof Device>;
export type MeterReplacement = Static<typeof MeterReplacement>;
export type VirtualMeter = Static<typeof VirtualMeter>;
export type PvSystem = Static<typeof PvSystem>;
export type MachineRoom = Static<typeof MachineRoom>;
export type OrgUnit = Static<typeof OrgUnit>;
export type Contract = Static<typeof Contract>;
export type SiteModel = Static<typeof SiteModel>;
