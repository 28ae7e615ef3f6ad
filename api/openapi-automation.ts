/** The automation part of the OpenAPI document (api/routes/automation.ts, docs/automation.md). */

/** A JSON Schema or OpenAPI object, as api/openapi.ts merges it (kept local: this module must not import the document). */
type Schema = { [key: string]: unknown };

const str: Schema = { type: 'string' };
const nullableStr: Schema = { type: ['string', 'null'] };
const num: Schema = { type: 'number' };
const nullableNum: Schema = { type: ['number', 'null'] };
const obj = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema => ({ type: 'object', additionalProperties: false, required, properties });
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const errorResponse = (description: string): Schema => ({ description, content: { 'application/json': { schema: ref('Error') } } });
const json = (schema: Schema, description = 'OK'): Schema => ({ description, content: { 'application/json': { schema } } });
const off = errorResponse('automation is not running (jieneng automation run --config FILE)');
const q = (name: string, description: string, schema: Schema = str): Schema => ({ name, in: 'query', required: false, description, schema });
const period = obj({ from: str, to: str });

/** Schemas the automation routes answer with. */
export const automationSchemas: Record<string, Schema> = {
  AutomationSchedule: obj({
    id: str, name: str, building: str, zone: nullableStr,
    today: obj({
      date: str,
      kind: { enum: ['exception', 'holiday', 'adjusted', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], description: 'holiday: public holiday; adjusted: 调休 working day' },
      periods: { type: 'array', items: period },
      calendar_known: { type: 'boolean', description: 'false: no holiday data for the year, Monday–Friday assumed' },
    }),
    occupied: { type: 'boolean' },
    lead_min: { ...num, description: 'optimum-start lead applied now, minutes' },
    targets: { type: 'array', items: obj({ device: str, point: str, occupied: num, unoccupied: { oneOf: [num, { const: 'release' }] } }) },
  }),
  AutomationOverride: obj({
    id: { type: 'integer' }, device: str, point: str, value: num, until: { ...nullableStr, description: 'null: until cleared' },
    by: str, comment: str, created: str,
  }),
  AutomationCommand: obj({
    id: { type: 'integer' }, at: str, device: str, point: str, value: { ...nullableNum, description: 'null: relinquish (BACnet)' },
    priority: { type: ['integer', 'null'] }, layer: { enum: ['override', 'demand', 'schedule', 'manual'] },
    origin: { ...str, description: 'schedule:<id>, demand:<id>, override:<who>, api:<who>, start (relinquish after a start)' },
    outcome: { enum: ['written', 'refused', 'failed', 'timeout', 'dry-run', 'deferred'], description: "written: the device acknowledged; refused: not sent (limit, not writable); failed: the device's error; deferred: held by a minimum on/off time" },
    detail: nullableStr, answered_at: nullableStr,
  }),
  AutomationDemandLimit: obj({
    id: str, name: str, building: str, contracted_max_kw: num, limit_kw: num,
    active: { type: 'boolean', description: 'the tariff period now is one the limit guards' }, period: nullableStr,
    forecast_kw: { ...nullableNum, description: '15-minute demand forecast at the horizon' }, demand_kw: nullableNum,
    shed_kw: { ...num, description: 'kW removed now by the shed loads (measured where a power point is configured)' },
    shed: { type: 'array', items: obj({ device: str, point: str, since: str }) },
    days: {
      type: 'array',
      items: obj({
        limit_id: str, date: str, shed_kwh: num, energy_cost_avoided_cny: num, max_shed_kw: num,
        max_demand_kw: num, max_unshed_demand_kw: { ...num, description: 'the highest demand plus what was shed at the time: what it would have been' },
        sheds: { type: 'integer' },
      }),
    },
  }),
};

const writeBody = (properties: Record<string, Schema>, required: string[]): Schema => ({
  required: true, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, required, properties } } },
});

/** The automation routes. */
export const automationPaths: Record<string, Schema> = {
  '/api/v1/automation/schedules': {
    get: {
      summary: "Schedules with today's programme (holiday, 调休 working day, weekday, exception) and whether they hold their points occupied now",
      operationId: 'listAutomationSchedules',
      responses: { 200: json(obj({ dry_run: { type: 'boolean' }, schedules: { type: 'array', items: ref('AutomationSchedule') } })), 503: off },
    },
  },
  '/api/v1/automation/overrides': {
    get: { summary: 'Manual overrides in force', operationId: 'listAutomationOverrides', responses: { 200: json({ type: 'array', items: ref('AutomationOverride') }), 503: off } },
    post: {
      summary: 'Hold a commanded point at a value at the override priority (BACnet 8), above schedules and demand limiting, until cleared or `until`',
      operationId: 'addAutomationOverride',
      requestBody: writeBody({ device: str, point: str, value: num, until: { ...str, description: 'an instant; absent: until cleared' }, comment: { ...str, maxLength: 1000 } }, ['device', 'point', 'value']),
      responses: { 201: json(ref('AutomationOverride'), 'Created and written'), 400: errorResponse('unknown point or a value outside its limits'), 503: off },
    },
  },
  '/api/v1/automation/overrides/{id}': {
    delete: {
      summary: 'Clear an override: the point returns to the programmes', operationId: 'clearAutomationOverride',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }],
      responses: { 200: json(obj({ id: { type: 'integer' }, cleared: { const: true } })), 404: errorResponse('no override in force with this id'), 503: off },
    },
  },
  '/api/v1/automation/commands': {
    get: {
      summary: 'Command history, newest first: who or which programme, value, priority and the device\'s answer', operationId: 'listAutomationCommands',
      parameters: [q('device', 'only this device'), q('origin', 'origins starting with this, e.g. schedule: or demand:b1'), q('from', 'at or after this instant'), q('to', 'before this instant'), q('limit', '1–1000, default 200', { type: 'integer', minimum: 1, maximum: 1000 })],
      responses: { 200: json({ type: 'array', items: ref('AutomationCommand') }), 400: errorResponse('a parameter is invalid'), 503: off },
    },
    post: {
      summary: "Write a point now through its gateway (priority default 8); answers with the device's result", operationId: 'sendAutomationCommand',
      requestBody: writeBody({ device: str, point: str, value: { ...nullableNum, description: 'null: relinquish the priority' }, priority: { type: 'integer', minimum: 1, maximum: 16 } }, ['device', 'point', 'value']),
      responses: { 201: json(ref('AutomationCommand'), 'Carried out, refused or failed: see outcome'), 400: errorResponse('unknown device or a value outside the point\'s limits'), 503: off },
    },
  },
  '/api/v1/automation/demand': {
    get: {
      summary: 'Peak-demand limits now (forecast, shed loads) and their measured effect per day: kW shed, kWh shifted, cost avoided', operationId: 'listAutomationDemand',
      parameters: [q('from', 'first local date YYYY-MM-DD of the effect'), q('to', 'last local date')],
      responses: { 200: json({ type: 'array', items: ref('AutomationDemandLimit') }), 400: errorResponse('a date is invalid'), 503: off },
    },
  },
};
