/**
 * The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`. Tests validate every response
 * against the schemas here (api/openapi-check.ts), so the document cannot drift from the code.
 */
import { STORAGE_KINDS } from '../storage/port.ts';
import { secureOperations, securityPaths, securitySchemas, securitySchemes } from './openapi-security.ts';
import { alertPaths, alertSchemas } from './openapi-alerts.ts';
import { automationPaths, automationSchemas } from './openapi-automation.ts';
import { importPaths, importSchemas } from './openapi-imports.ts';
import { returnsPaths, returnsSchemas } from './openapi-returns.ts';
import type { Json, Schema } from './openapi-types.ts';


const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const num: Schema = { type: 'number' };
const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const nullableNum: Schema = { type: ['number', 'null'] };
const nullableInt: Schema = { type: ['integer', 'null'] };
const nullableStr: Schema = { type: ['string', 'null'] };
const bool: Schema = { type: 'boolean' };
const dateTime: Schema = { type: 'string', format: 'date-time' };
const obj = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema =>
  ({ type: 'object', properties, required, additionalProperties: false });
const arr = (items: Schema): Schema => ({ type: 'array', items });

const Warning = obj({ code: str, message: str });

/** A device's state (api/device-state.ts): from its gateway's retained status, else from telemetry age. */
const deviceState: Record<string, Schema> = {
  online: { type: 'boolean', description: 'false only when offline (a degraded device answers)' },
  status: { enum: ['online', 'degraded', 'offline'], description: 'degraded: the device answers but every point is bad (status_reason says why)' },
  status_source: { enum: ['gateway', 'telemetry'], description: "gateway: its gateway's retained status (fresh by the heartbeat); telemetry: the age of the latest telemetry, the fallback" },
  status_reason: { type: 'string', description: 'why offline or degraded, or the gateway\'s note' },
  status_since: { type: 'string', format: 'date-time', description: 'since when the state holds, when known' },
};
const deviceStateRequired = ['online', 'status', 'status_source'];
const Warnings = arr(ref('Warning'));

const schemas: Record<string, Schema> = {
  Error: obj({ error: obj({ code: str, message: str, parameter: str }, ['code', 'message']) }),
  Warning,
  Building: obj({ id: str, name: str, floor_area_m2: num }),
  EnergySeries: obj({
    building: str,
    interval: { enum: ['15m', '1h', '1d'] },
    unit: { const: 'kWh' },
    points: arr(obj({
      start: { type: 'string', format: 'date-time' }, energy_kwh: num, estimated_kwh: num,
      coverage: ref('Coverage'), complete: bool,
    })),
  }),
  Health: obj({
    status: { enum: ['ok', 'degraded'] },
    storage: obj({
      ok: { type: 'boolean' },
      kind: { enum: [...STORAGE_KINDS], description: 'influxdb or embedded; memory and discard back only tests and benchmarks' },
      detail: str,
    }),
    broker: obj({ ok: { type: 'boolean' }, detail: str }),
  }, ['status']),
  Device: obj({
    id: str, name: str, kind: { enum: ['meter', 'inverter', 'sensor', 'hvac'] }, building: str, gateway: str,
    protocol: { enum: ['modbus-tcp', 'modbus-rtu', 'bacnet-ip', 'mqtt'] }, template: str, enabled: { type: 'boolean' },
    ...deviceState,
  }, ['id', 'name', 'kind', 'building', 'gateway', 'protocol', 'template', 'enabled', ...deviceStateRequired]),
  Gateway: obj({
    id: str, name: str,
    last_seq: { ...nullableInt, description: 'highest batch seq stored; null before the first report' },
    gap_batches: { ...int, description: 'batches missing in open gaps: asked for again, not yet back' },
    recovered: { ...int, description: 'missing batches that came back after a resend request' },
    lost: { ...int, description: 'missing batches the gateway no longer had, or never sent again' },
    duplicates: { ...int, description: 'batches received again after they were stored, and dropped' },
    queued: { ...nullableInt, description: "batches on the gateway's disk waiting for the broker, from its last status" },
    online: { type: ['boolean', 'null'], description: "the gateway's retained status; null when none was seen" },
    reported_at: { type: ['string', 'null'], format: 'date-time', description: "the collector's last report" },
  }),
  DeviceLatest: obj({
    device: str, name: str, building: str, protocol: str, ...deviceState,
    points: arr(obj({
      point: str, value: nullableNum, unit: str, quality: { enum: ['good', 'uncertain', 'bad'] },
      timestamp: { type: 'string', format: 'date-time' },
    })),
    warnings: Warnings,
  }, ['device', 'name', 'building', 'protocol', ...deviceStateRequired, 'points']),
  MediumLine: obj({
    quantity: nullableNum, unit: str, kgce_per_unit: nullableNum, kgce: nullableNum, days_with_data: int,
    estimated_quantity: nullableNum, coverage: ref('Coverage'), complete: bool,
  }),
  Coverage: { type: 'number', minimum: 0, maximum: 1, description: 'share of the 15-minute meter-intervals of the period that were measured (present and not estimated)' },
  ByMedium: { type: 'object', propertyNames: { enum: ['electricity', 'water', 'gas', 'heat', 'cooling'] }, additionalProperties: ref('MediumLine') },
  ComprehensiveEnergy: obj({
    scope: { enum: ['building', 'org_unit', 'site', 'portfolio'] }, id: str, name: str,
    granularity: { enum: ['day', 'month', 'year'] }, basis: { enum: ['equivalent', 'equal'] }, unit: { const: 'kgce' },
    from: dateTime, to: dateTime,
    coefficients: obj({ standard: str, basis: { enum: ['equivalent', 'equal'] }, unconfirmed: bool, kgce_per_unit: { type: 'object', additionalProperties: num } }),
    periods: arr(obj({ start: dateTime, end: dateTime, days: int, total_kgce: num, coverage: ref('Coverage'), complete: bool, by_medium: ref('ByMedium') })),
    total: obj({ total_kgce: num, coverage: ref('Coverage'), complete: bool, by_medium: ref('ByMedium') }),
    warnings: Warnings,
  }),
  Indicators: obj({
    complete: bool, coverage: ref('Coverage'), estimated_kwh: nullableNum,
    from: dateTime, to: dateTime, days: int, headcount: nullableInt, floor_area_m2: nullableNum,
    energy_kgce: nullableNum, electricity_kwh: nullableNum, water_m3: nullableNum,
    energy_kgce_per_person: nullableNum, energy_kgce_per_m2: nullableNum, electricity_kwh_per_person: nullableNum,
    electricity_kwh_per_m2: nullableNum, water_m3_per_person: nullableNum,
  }),
  IndicatorChanges: obj({
    energy_kgce_per_person: nullableNum, energy_kgce_per_m2: nullableNum, electricity_kwh_per_person: nullableNum,
    electricity_kwh_per_m2: nullableNum, water_m3_per_person: nullableNum,
  }),
  Intensity: obj({
    scope: { enum: ['building', 'org_unit', 'site', 'portfolio'] }, id: str, name: str, basis: { enum: ['equivalent', 'equal'] },
    current: ref('Indicators'), same_period_last_year: ref('Indicators'), yoy_change_pct: ref('IndicatorChanges'),
    previous_period: ref('Indicators'), mom_change_pct: ref('IndicatorChanges'),
    rating: { oneOf: [{ type: 'null' }, obj({
      standard: str, building_class: str, indicator: str, unit: str, annual_limit: num, annual_target: num,
      limit_for_period: num, target_for_period: num, rating: { enum: ['at_or_below_target', 'between_target_and_limit', 'above_limit'] }, unconfirmed: bool,
    })] },
    warnings: Warnings,
  }),
  BreakdownItem: obj({ code: str, name: str, value: num, share: nullableNum, meters: arr(str), children: arr(ref('BreakdownItem')) }),
  Breakdown: obj({
    building: str, medium: str, unit: str, from: dateTime, to: dateTime, total: num,
    estimated_quantity: num, coverage: ref('Coverage'), complete: bool, items: arr(ref('BreakdownItem')),
    unmetered: obj({ code: str, name: str, value: num, share: nullableNum }), warnings: Warnings,
  }),
  TouLine: obj({ energy_kwh: num, cost_cny: num, share: nullableNum }),
  OtherCost: obj({ quantity: nullableNum, unit: str, price_cny_per_unit: nullableNum, cost_cny: nullableNum }),
  Cost: obj({
    building: str, currency: { const: 'CNY' }, from: dateTime, to: dateTime,
    electricity: obj({
      energy_kwh: num, estimated_kwh: num, coverage: ref('Coverage'), complete: bool, cost_cny: num, average_price_cny_per_kwh: nullableNum,
      by_period: obj({ critical: ref('TouLine'), peak: ref('TouLine'), flat: ref('TouLine'), valley: ref('TouLine') }),
      tariffs_used: arr(str),
    }),
    water: ref('OtherCost'), gas: ref('OtherCost'), total_cny: num, warnings: Warnings,
  }, ['building', 'currency', 'from', 'to', 'electricity', 'total_cny', 'warnings']),
  PvSystem: obj({ id: str, name: str, building: str, peak_power_kwp: num, inverters: arr(str), irradiance_sensor: nullableStr, export_meter: nullableStr }),
  PvPeriod: obj({
    start: dateTime, end: dateTime, ac_energy_kwh: num, ac_estimated_kwh: num, ac_coverage: ref('Coverage'), ac_complete: bool, final_yield_kwh_kwp: num, poa_irradiation_kwh_m2: nullableNum,
    reference_yield_h: nullableNum, performance_ratio: nullableNum, temperature_corrected_pr: nullableNum,
    export_kwh: nullableNum, self_consumption_share: nullableNum, avoided_co2_kg: nullableNum,
    grid_factor: { oneOf: [{ type: 'null' }, obj({ region: str, year: int, kgco2_per_kwh: num, source: str })] },
    hours_with_yield: int, hours: int,
  }),
  PvPerformance: obj({
    system: str, name: str, peak_power_kwp: num, granularity: { enum: ['day', 'month', 'year'] }, from: dateTime, to: dateTime,
    reference_cell_temp_c: nullableNum, periods: arr(ref('PvPeriod')), total: ref('PvPeriod'), warnings: Warnings,
  }),
  Contract: obj({
    id: str, name: str, type: { enum: ['shared-savings', 'guaranteed-savings', 'cost-trusteeship'] }, meters: arr(str),
    baseline: obj({ from: str, to: str }), reporting: obj({ from: str, to: nullableStr }),
    savings_share: nullableNum, guaranteed_kwh: nullableNum, temperature_point: nullableStr,
  }),
  ContractSavings: obj({
    contract: str, name: str, type: { enum: ['shared-savings', 'guaranteed-savings', 'cost-trusteeship'] },
    granularity: { enum: ['daily', 'monthly'] }, medium: str, meters: arr(str),
    baseline: obj({ from: dateTime, to: dateTime, observations: int, days_with_data: int }),
    reporting: obj({ from: dateTime, to: dateTime, observations: int, days_with_data: int }),
    model: { oneOf: [{ type: 'null' }, obj({
      kind: { enum: ['intercept', 'hdd', 'cdd', 'hdd_cdd'] }, heating_balance_c: nullableNum, cooling_balance_c: nullableNum,
      coefficients: obj({ intercept: nullableNum, hdd: nullableNum, cdd: nullableNum, working: nullableNum }),
      n: int, p: int, r2: num, adj_r2: num, cv_rmse: nullableNum, nmbe: nullableNum, rho: num, candidates_tried: int,
    })] },
    guideline14: { oneOf: [{ type: 'null' }, obj({ passes: bool, checks: arr(obj({ name: str, value: nullableNum, limit: num, pass: bool })) })] },
    savings: { oneOf: [{ type: 'null' }, obj({
      unit: str, adjusted_baseline: num, actual: num, avoided: num, fraction: nullableNum, avoided_kgce: nullableNum,
      price_cny_per_unit: nullableNum, avoided_cny: nullableNum, fsu: nullableNum, fsu_confidence: num, uncertainty: nullableNum,
      n_effective: num, reporting_days: int,
    })] },
    split: { oneOf: [{ type: 'null' }, obj({
      type: str, esco_cny: num, client_cny: num, guaranteed: nullableNum, shortfall: nullableNum, shortfall_cny: nullableNum, client_pays_cny: nullableNum,
    })] },
    warnings: Warnings,
  }),
};

const idParam = (what: string): Schema => ({ name: 'id', in: 'path', required: true, description: `${what} id from the site model`, schema: str });
const q = (name: string, description: string, schema: Schema = str, required = false): Schema => ({ name, in: 'query', required, description, schema });
const fromParam = q('from', 'start, inclusive: ISO 8601 date or date-time; without an offset, in the site time zone', str, true);
const toParam = q('to', 'end, exclusive: ISO 8601 date or date-time; without an offset, in the site time zone', str, true);

const scopeParam = q('scope', 'building, org_unit, site (default) or portfolio', { enum: ['building', 'org_unit', 'site', 'portfolio'] });
const scopeIdParam = q('id', 'building or org unit id (required for those scopes)');
const buildingsParam = q('buildings', 'portfolio: comma-separated building ids (default: all)');
const basisParam = q('basis', 'electricity conversion: equivalent (当量值, default) or equal (等价值)', { enum: ['equivalent', 'equal'] });

const json = (schema: Schema, description = 'OK'): Schema => ({ description, content: { 'application/json': { schema } } });
const errors = (...codes: number[]): Record<string, Schema> =>
  Object.fromEntries(codes.map((c) => [String(c), json(ref('Error'), { 400: 'a parameter is invalid (named in error.parameter)', 404: 'unknown id', 503: 'storage unavailable' }[c] ?? 'error')]));

const paths: Record<string, Schema> = {
  '/api/v1/buildings': {
    get: { summary: 'Buildings of the site', operationId: 'listBuildings', responses: { 200: json(arr(ref('Building'))) } },
  },
  '/api/v1/buildings/{id}/energy': {
    get: {
      summary: 'Electricity of a building per interval, from the root meters (no parent) of its meter tree',
      operationId: 'buildingEnergy',
      parameters: [idParam('building'),
        q('from', 'start, inclusive: ISO 8601 date or date-time; without an offset, in the site time zone. Without from and to: today', str),
        q('to', 'end, exclusive: ISO 8601 date or date-time; without an offset, in the site time zone. Without from and to: today', str),
        q('interval', '15m, 1h or 1d (default 1h); 1d windows are local calendar days', { enum: ['15m', '1h', '1d'] })],
      responses: { 200: json(ref('EnergySeries')), ...errors(400, 404, 503) },
    },
  },
  '/api/v1/health': {
    get: {
      summary: 'Status of broker and storage', operationId: 'health',
      responses: { 200: json(ref('Health'), 'all dependencies up'), 503: json(ref('Health'), 'a dependency is down') },
    },
  },
  '/api/v1/devices': {
    get: { summary: "Every device of every protocol, with its state from its gateway's status (telemetry age as the fallback)", operationId: 'listDevices', responses: { 200: json(arr(ref('Device'))), ...errors(503) } },
  },
  '/api/v1/gateways': {
    get: {
      summary: "Each gateway's batch accounting (last seq, gaps, recovered, lost) and status (queue depth, online), as the collector last reported it",
      operationId: 'listGateways', responses: { 200: json(arr(ref('Gateway'))), ...errors(503) },
    },
  },
  '/api/v1/devices/{id}/latest': {
    get: {
      summary: "Each point's latest value, unit, quality and timestamp", operationId: 'deviceLatest',
      parameters: [idParam('device')], responses: { 200: json(ref('DeviceLatest')), ...errors(404, 503) },
    },
  },
  '/api/v1/kpi/comprehensive-energy': {
    get: {
      summary: '综合能耗: each medium and its standard coal (GB/T 2589-2020) per day, month or year',
      operationId: 'comprehensiveEnergy',
      parameters: [scopeParam, scopeIdParam, buildingsParam, fromParam, toParam,
        q('granularity', 'day, month (default) or year, in the site time zone', { enum: ['day', 'month', 'year'] }), basisParam],
      responses: { 200: json(ref('ComprehensiveEnergy')), ...errors(400, 404, 503) },
    },
  },
  '/api/v1/kpi/intensity': {
    get: {
      summary: 'Per-capita and per-area intensities with 同比 (same period last year) and 环比 (previous period), rated against GB/T 51161',
      operationId: 'intensity',
      parameters: [scopeParam, scopeIdParam, buildingsParam, fromParam, toParam, basisParam],
      responses: { 200: json(ref('Intensity')), ...errors(400, 404, 503) },
    },
  },
  '/api/v1/buildings/{id}/breakdown': {
    get: {
      summary: '分类分项 breakdown by category and sub-item code, with the unmetered remainder',
      operationId: 'breakdown',
      parameters: [idParam('building'), fromParam, toParam, q('medium', 'electricity (default), water, gas, heat or cooling', { enum: ['electricity', 'water', 'gas', 'heat', 'cooling'] })],
      responses: { 200: json(ref('Breakdown')), ...errors(400, 404, 503) },
    },
  },
  '/api/v1/buildings/{id}/cost': {
    get: {
      summary: 'Electricity cost by time-of-use tariff (critical/peak/flat/valley), water and gas cost',
      operationId: 'cost',
      parameters: [idParam('building'), fromParam, toParam, q('tariff', 'tariff id from the reference data (default: every tariff by its effective dates)')],
      responses: { 200: json(ref('Cost')), ...errors(400, 404, 503) },
    },
  },
  '/api/v1/exports/annual': {
    get: {
      summary: 'The annual returns (NY101, NY201, NY202 per machine room, NY203 where heated, 机关运行成本 items, summary with 同比, data quality with the manual entries) as XLSX, or CSV with format=csv or Accept: text/csv',
      operationId: 'annualReturns',
      parameters: [q('year', 'statistical year, e.g. 2025 (local calendar year of the site)', { type: 'string', pattern: '^\\d{4}$' }, true),
        q('format', 'xlsx (default) or csv; without it, Accept: text/csv chooses CSV', { enum: ['xlsx', 'csv'] }),
        q('org_unit', 'the returns of this org unit (its meters, area, headcount and entries) instead of the whole institution')],
      responses: {
        200: {
          description: 'the workbook (one sheet per form, laid out like the paper form) or the same rows as CSV',
          content: {
            'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: { type: 'string', format: 'binary' } },
            'text/csv': { schema: { type: 'string' } },
          },
        },
        ...errors(400, 404, 503),
      },
    },
  },
  '/api/v1/pv-systems': {
    get: { summary: 'PV systems of the site', operationId: 'listPvSystems', responses: { 200: json(arr(ref('PvSystem'))) } },
  },
  '/api/v1/pv-systems/{id}/performance': {
    get: {
      summary: 'PV yield, reference yield, PR (IEC 61724-1), temperature-corrected PR (NREL), self-consumption, avoided CO₂',
      operationId: 'pvPerformance',
      parameters: [idParam('PV system'), fromParam, toParam, q('granularity', 'day, month (default) or year', { enum: ['day', 'month', 'year'] }),
        q('grid_region', 'grid emission factor region (default from the reference data: east-china)')],
      responses: { 200: json(ref('PvPerformance')), ...errors(400, 404, 503) },
    },
  },
  '/api/v1/contracts': {
    get: { summary: 'Energy-performance contracts (合同能源管理) of the site', operationId: 'listContracts', responses: { 200: json(arr(ref('Contract'))) } },
  },
  '/api/v1/contracts/{id}/savings': {
    get: {
      summary: 'M&V: baseline model, ASHRAE Guideline 14 statistics, avoided energy, fractional savings uncertainty, contract split',
      operationId: 'contractSavings',
      parameters: [idParam('contract'), q('granularity', 'daily (default) or monthly observations', { enum: ['daily', 'monthly'] }),
        q('to', 'end of the reporting range (default: today or the contract end)'),
        q('price_cny_per_unit', 'price for the savings in CNY (default: TOU average of the reporting consumption)')],
      responses: { 200: json(ref('ContractSavings')), ...errors(400, 404, 503) },
    },
  },
};

Object.assign(paths, securityPaths, alertPaths, importPaths, returnsPaths, automationPaths);
Object.assign(schemas, securitySchemas, alertSchemas, importSchemas, returnsSchemas, automationSchemas);
secureOperations(paths);

/** The document served at /api/v1/openapi.json. */
export const openApiDocument: Schema = {
  openapi: '3.1.0',
  info: {
    title: 'Jieneng API',
    version: '1.0.0',
    description: 'Energy monitoring and analytics of public-institution buildings (节能). Times are ISO 8601; '
      + 'calendar periods are in the site time zone. Quantities carry their unit in the field name.',
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  servers: [{ url: '/' }],
  paths,
  security: [{ apiKey: [] }],
  components: { schemas, securitySchemes },
};

export type { Json, Schema };
export { ref, num, str, int, nullableNum, obj, arr, json, errors, q, idParam, fromParam, toParam, Warnings };
