/** The alert part of the OpenAPI document (issue 14): alerts, acknowledgement and silences (api/routes/alerts.ts). */

/** A JSON Schema or OpenAPI object, as api/openapi.ts merges it (kept local: this module must not import the document). */
type Schema = { [key: string]: unknown };

const str: Schema = { type: 'string' };
const nullableStr: Schema = { type: ['string', 'null'] };
const errorResponse = (description: string): Schema => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const json = (schema: Schema, description = 'OK'): Schema => ({ description, content: { 'application/json': { schema } } });
const off = errorResponse('alerting is not configured (jieneng collector run --alerts FILE)');
const idParam = (what: string): Schema => ({ name: 'id', in: 'path', required: true, description: `${what} id`, schema: { type: 'integer', minimum: 1 } });
const q = (name: string, description: string, schema: Schema = str): Schema => ({ name, in: 'query', required: false, description, schema });

/** Schemas the alert routes answer with. */
export const alertSchemas: Record<string, Schema> = {
  Alert: {
    type: 'object', additionalProperties: false,
    required: ['id', 'rule', 'device', 'building', 'point', 'severity', 'state', 'at', 'value', 'message', 'ack'],
    properties: {
      id: { type: 'integer', description: 'id of the transition; acknowledge a firing one with POST /api/v1/alerts/{id}/ack' },
      rule: str, device: str, building: str,
      point: { ...str, description: 'the point, interval_energy, the counter point, or empty' },
      severity: { enum: ['critical', 'major', 'minor', 'info'] },
      state: { enum: ['firing', 'resolved'] },
      at: { ...str, description: 'when the transition happened (site time zone)' },
      value: { type: ['number', 'null'] },
      message: { ...str, description: 'the rendered Chinese message, as sent' },
      ack: {
        oneOf: [{ type: 'null' }, { type: 'object', additionalProperties: false, required: ['by', 'at', 'comment'], properties: { by: str, at: str, comment: str } }],
      },
    },
  },
  AlertRule: {
    type: 'object', required: ['id', 'kind', 'name', 'severity'], additionalProperties: true,
    description: 'a rule as written in the alert rules file (docs/alerts.md: the settings of each kind); validated like the file',
    properties: {
      id: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' },
      kind: { enum: ['threshold', 'stale', 'device_state', 'counter', 'daily_energy', 'base_load', 'peak_demand', 'pv_performance', 'contract_savings', 'inverter_fault', 'sequence_gap', 'estimated_share'] },
      name: str,
      severity: { enum: ['critical', 'major', 'minor', 'info'] },
    },
  },
  Silence: {
    type: 'object', additionalProperties: false,
    required: ['id', 'starts', 'ends', 'rule', 'device', 'building', 'comment', 'created_by', 'created'],
    properties: { id: { type: 'integer' }, starts: str, ends: str, rule: nullableStr, device: nullableStr, building: nullableStr, comment: str, created_by: str, created: str },
  },
};

/** The alert routes. */
export const alertPaths: Record<string, Schema> = {
  '/api/v1/alerts': {
    get: {
      summary: 'Alerts firing now (state=firing, default) or the history of transitions (state=all), newest first', operationId: 'listAlerts',
      parameters: [
        q('state', 'firing (default) or all', { enum: ['firing', 'all'] }),
        q('severity', 'only this severity', { enum: ['critical', 'major', 'minor', 'info'] }),
        q('building', 'only this building'), q('from', 'transitions at or after this instant'), q('to', 'transitions before this instant'),
        q('limit', 'at most this many, 1–1000 (default 1000)', { type: 'integer', minimum: 1, maximum: 1000 }),
      ],
      responses: { 200: json({ type: 'array', items: { $ref: '#/components/schemas/Alert' } }), 400: errorResponse('a parameter is invalid (named in error.parameter)'), 503: off },
    },
  },
  '/api/v1/alerts/{id}/ack': {
    post: {
      summary: 'Acknowledge a firing alert, with a comment; the key that did it is recorded', operationId: 'acknowledgeAlert',
      parameters: [idParam('alert (transition)')],
      requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: { comment: { ...str, maxLength: 1000 } } } } } },
      responses: { 201: json({ $ref: '#/components/schemas/Alert' }, 'Acknowledged (the first acknowledgement stays)'), 400: errorResponse('the id or comment is invalid'), 404: errorResponse('no firing alert with this id'), 503: off },
    },
  },
  '/api/v1/alerts/grafana': {
    post: {
      summary: "Relay Grafana's webhook contact-point payload through this system's channels (Grafana cannot sign DingTalk messages)", operationId: 'relayGrafana',
      parameters: [{ name: 'notify', in: 'query', required: true, description: 'channel ids of the rules file, separated by commas', schema: str }],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['alerts'], properties: { alerts: { type: 'array', items: { type: 'object' } } } } } } },
      responses: {
        201: json({ type: 'object', additionalProperties: false, required: ['recorded', 'unchanged'], properties: { recorded: { type: 'integer' }, unchanged: { type: 'integer', description: 'repeats of an alert already firing, or resolutions of one not firing' } } }, 'Recorded'),
        400: errorResponse('not a Grafana webhook payload, or no channels'), 503: off,
      },
    },
  },
  '/api/v1/silences': {
    get: { summary: 'Silences (maintenance windows) not yet over', operationId: 'listSilences', responses: { 200: json({ type: 'array', items: { $ref: '#/components/schemas/Silence' } }), 503: off } },
    post: {
      summary: 'Silence the notifications of transitions within a time window, by rule, device or building (none: the whole site)', operationId: 'createSilence',
      requestBody: {
        required: true,
        content: { 'application/json': { schema: {
          type: 'object', additionalProperties: false, required: ['ends', 'comment'],
          properties: { starts: { ...str, description: 'default now' }, ends: str, rule: str, device: str, building: str, comment: str },
        } } },
      },
      responses: { 201: json({ $ref: '#/components/schemas/Silence' }, 'Created'), 400: errorResponse('a field is invalid (named in error.parameter)'), 503: off },
    },
  },
  '/api/v1/alert-rules': {
    get: {
      summary: 'The rules of the alert rules file, as written (channels are not shown)', operationId: 'listAlertRules',
      responses: { 200: json({ type: 'array', items: { $ref: '#/components/schemas/AlertRule' } }), 503: errorResponse('no alert rules file is configured for the API') },
    },
  },
  '/api/v1/alert-rules/{id}': {
    put: {
      summary: 'Add or replace a rule; the whole file is validated as at a start, written back with its comments (created by the first rule when not there yet), and the change audited. A running collector applies it within seconds, without a restart.',
      operationId: 'putAlertRule',
      parameters: [{ name: 'id', in: 'path', required: true, description: 'rule id', schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' } }],
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/AlertRule' } } } },
      responses: {
        200: json({ $ref: '#/components/schemas/AlertRule' }, 'Replaced'), 201: json({ $ref: '#/components/schemas/AlertRule' }, 'Added'),
        400: errorResponse('the rule would not load (error.message names the setting and the problem)'),
        503: errorResponse('no alert rules file is configured for the API, or it is not there yet and its folder does not exist (error.message names the file)'),
      },
    },
    delete: {
      summary: 'Remove a rule from the file', operationId: 'deleteAlertRule',
      parameters: [{ name: 'id', in: 'path', required: true, description: 'rule id', schema: { type: 'string' } }],
      responses: {
        200: json({ type: 'object', additionalProperties: false, required: ['id', 'deleted'], properties: { id: str, deleted: { const: true } } }),
        400: errorResponse('the file would not load without it'), 404: errorResponse('no rule with this id'), 503: errorResponse('no alert rules file is configured for the API'),
      },
    },
  },
  '/api/v1/silences/{id}': {
    delete: {
      summary: 'End a silence', operationId: 'deleteSilence', parameters: [idParam('silence')],
      responses: {
        200: json({ type: 'object', additionalProperties: false, required: ['id', 'deleted'], properties: { id: { type: 'integer' }, deleted: { const: true } } }),
        404: errorResponse('no silence with this id'), 503: off,
      },
    },
  },
};
