/**
 * The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`. Tests validate every response
 * against the schemas here (api/openapi-check.ts), so the document cannot drift from the code.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: Json };

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const num: Schema = { type: 'number' };
const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const nullableNum: Schema = { type: ['number', 'null'] };
const obj = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema =>
  ({ type: 'object', properties, required, additionalProperties: false });
const arr = (items: Schema): Schema => ({ type: 'array', items });

const Warning = obj({ code: str, message: str });
const Warnings = arr(ref('Warning'));

const schemas: Record<string, Schema> = {
  Error: obj({ error: obj({ code: str, message: str, parameter: str }, ['code', 'message']) }),
  Warning,
  Building: obj({ id: str, name: str, floor_area_m2: num }),
  EnergySeries: obj({
    building: str,
    interval: { enum: ['15m', '1h', '1d'] },
    unit: { const: 'kWh' },
    points: arr(obj({ start: { type: 'string', format: 'date-time' }, energy_kwh: num })),
  }),
  Health: obj({
    status: { enum: ['ok', 'degraded'] },
    storage: obj({ ok: { type: 'boolean' }, kind: { enum: ['influxdb', 'embedded'] }, detail: str }),
    broker: obj({ ok: { type: 'boolean' }, detail: str }),
  }),
  Device: obj({
    id: str, name: str, kind: { enum: ['meter', 'inverter', 'sensor', 'hvac'] }, building: str, gateway: str,
    protocol: { enum: ['modbus-tcp', 'modbus-rtu', 'bacnet-ip', 'mqtt'] }, template: str, enabled: { type: 'boolean' },
    online: { type: 'boolean' },
  }),
  DeviceLatest: obj({
    device: str, name: str, building: str, protocol: str, online: { type: 'boolean' },
    points: arr(obj({
      point: str, value: nullableNum, unit: str, quality: { enum: ['good', 'uncertain', 'bad'] },
      timestamp: { type: 'string', format: 'date-time' },
    })),
    warnings: Warnings,
  }, ['device', 'name', 'building', 'protocol', 'online', 'points']),
};

const idParam = (what: string): Schema => ({ name: 'id', in: 'path', required: true, description: `${what} id from the site model`, schema: str });
const q = (name: string, description: string, schema: Schema = str, required = false): Schema => ({ name, in: 'query', required, description, schema });
const fromParam = q('from', 'start, inclusive: ISO 8601 date or date-time; without an offset, in the site time zone', str, true);
const toParam = q('to', 'end, exclusive: ISO 8601 date or date-time; without an offset, in the site time zone', str, true);

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
      parameters: [idParam('building'), fromParam, toParam, q('interval', '15m, 1h or 1d (default 1h); 1d windows are local calendar days', { enum: ['15m', '1h', '1d'] })],
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
    get: { summary: 'Every device of every protocol, with online state from recent telemetry', operationId: 'listDevices', responses: { 200: json(arr(ref('Device'))), ...errors(503) } },
  },
  '/api/v1/devices/{id}/latest': {
    get: {
      summary: "Each point's latest value, unit, quality and timestamp", operationId: 'deviceLatest',
      parameters: [idParam('device')], responses: { 200: json(ref('DeviceLatest')), ...errors(404, 503) },
    },
  },
};

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
  components: { schemas },
};

export type { Json, Schema };
export { ref, num, str, int, nullableNum, obj, arr, json, errors, q, idParam, fromParam, toParam, Warnings };
