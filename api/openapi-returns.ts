/** The returns part of the OpenAPI document (issue 15): manual entries, their template and upload (api/routes/returns-entries.ts). */
import { KIND_NAMES } from './returns/entries.ts';
import { ENTRY_COLUMNS } from './returns/entry-file.ts';

/** A JSON Schema or OpenAPI object, as api/openapi.ts merges it (kept local: this module must not import the document). */
type Schema = { [key: string]: unknown };

const str: Schema = { type: 'string' };
const nullableStr: Schema = { type: ['string', 'null'] };
const nullableNum: Schema = { type: ['number', 'null'] };
const nullableInt: Schema = { type: ['integer', 'null'] };
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const errorResponse = (description: string): Schema => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const json = (schema: Schema, description = 'OK'): Schema => ({ description, content: { 'application/json': { schema } } });
const q = (name: string, description: string, schema: Schema = str): Schema => ({ name, in: 'query', required: false, description, schema });
const off = errorResponse('manual entries are not configured for this API');
const rejected = json({ $ref: '#/components/schemas/EntryRejection' }, 'every problem (row: the file row, or the entry\'s position from 1); nothing was stored');

/** What an entry holds, as submitted (the template's columns). */
const entryInput: Schema = {
  type: 'object', additionalProperties: false, required: ['kind', 'from'],
  properties: {
    kind: { enum: KIND_NAMES }, org_unit: { ...str, description: 'org unit id; absent: the whole institution' },
    from: { ...str, format: 'date', description: 'first day; for headcount, staff, floor_area and vehicles the day the value takes effect' },
    to: { ...str, format: 'date', description: 'first day after the period (periods only)' },
    use: { ...str, description: 'gasoline/diesel: vehicle or other; heat: by_heat or by_area; vehicles: gasoline, diesel or new_energy' },
    item: { ...str, description: 'operating_cost: the item code (30205 水费 … 30231 公务用车运行维护费)' },
    medium: { enum: ['electricity', 'water', 'gas', 'heat', 'cooling'], description: 'bill: the medium' },
    meter: { ...str, description: 'bill with mode override: the root meter it replaces over the period' },
    mode: { enum: ['override', 'supplement'] },
    quantity: { type: ['number', 'string'], minimum: 0, description: "in the kind's unit (L, kg, t, MJ or m² for heat by area, tce, persons, m², vehicles; bills: kWh or m³)" },
    unit: { ...str, description: 'optional; when given it must be the kind\'s unit' },
    amount_cny: { type: ['number', 'string'], minimum: 0, description: '元' },
    document: { ...str, description: 'the bill, invoice or record (number) it comes from' }, note: str,
    supersedes: { type: ['integer', 'string'], description: 'the id of the current entry this one corrects' },
    withdrawn: { type: ['boolean', 'string'], description: 'true: withdraw the superseded entry without a replacement' },
  },
};

/** Schemas the entry routes answer with. */
export const returnsSchemas: Record<string, Schema> = {
  ManualEntry: {
    type: 'object', additionalProperties: false,
    required: ['id', 'kind', 'org_unit', 'from', 'to', 'use', 'item', 'medium', 'meter', 'mode', 'quantity', 'unit', 'amount_cny', 'document', 'note', 'supersedes', 'superseded_by', 'withdrawn', 'entered_by', 'entered_at', 'batch'],
    properties: {
      id: { type: 'integer' }, kind: { enum: KIND_NAMES }, org_unit: nullableStr, from: str, to: nullableStr, use: nullableStr, item: nullableStr,
      medium: nullableStr, meter: nullableStr, mode: nullableStr, quantity: nullableNum, unit: nullableStr, amount_cny: nullableNum,
      document: nullableStr, note: nullableStr, supersedes: nullableInt, superseded_by: { ...nullableInt, description: 'the entry that corrects this one; null: current' },
      withdrawn: { type: 'boolean' }, entered_by: { ...str, description: 'the key\'s name and id' }, entered_at: { ...str, description: 'site time zone' },
      batch: { ...nullableStr, description: 'the upload it came with' },
    },
  },
  EntryRejection: {
    type: 'object', additionalProperties: false, required: ['error', 'problems'],
    properties: {
      error: { type: 'object', additionalProperties: false, required: ['code', 'message'], properties: { code: { const: 'invalid_entries' }, message: str } },
      problems: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['row', 'field', 'message'], properties: { row: { type: 'integer' }, field: str, message: str } } },
    },
  },
};

/** The entry routes. */
export const returnsPaths: Record<string, Schema> = {
  '/api/v1/returns/entries': {
    get: {
      summary: 'Manual entries of the annual returns (current ones; history=true adds corrected and withdrawn ones)', operationId: 'listManualEntries',
      parameters: [q('year', 'entries touching this statistical year', { type: 'string', pattern: '^\\d{4}$' }), q('org_unit', 'only this org unit'),
        q('kind', 'only this kind', { enum: KIND_NAMES }), q('history', 'true: the whole history', { enum: ['true', 'false'] })],
      responses: { 200: json({ type: 'array', items: { $ref: '#/components/schemas/ManualEntry' } }), 400: errorResponse('a parameter is invalid'), 503: off },
    },
    post: {
      summary: 'Enter manual entries (one object, or { entries: [...] }): all stored, or none; a correction names the entry it supersedes', operationId: 'createManualEntries',
      requestBody: { required: true, content: { 'application/json': { schema: { oneOf: [entryInput, { type: 'object', additionalProperties: false, required: ['entries'], properties: { entries: { type: 'array', items: entryInput, minItems: 1, maxItems: 10000 } } }] } } } },
      responses: { 201: json({ type: 'array', items: { $ref: '#/components/schemas/ManualEntry' } }, 'Stored'), 400: rejected, 503: off },
    },
  },
  '/api/v1/returns/entries/upload': {
    post: {
      summary: 'Upload a filled template (CSV or XLSX): every row checked, all stored in one transaction or none, problems with their row numbers', operationId: 'uploadManualEntries',
      parameters: [q('format', 'csv or xlsx; without it, the Content-Type decides', { enum: ['csv', 'xlsx'] }), q('dry_run', 'true: check only, store nothing', { enum: ['true', 'false'] })],
      requestBody: { required: true, content: { 'text/csv': { schema: { type: 'string', description: `header: ${ENTRY_COLUMNS.join(',')}` } }, [XLSX]: { schema: { type: 'string', format: 'binary' } } } },
      responses: {
        200: json({ type: 'object', additionalProperties: false, required: ['dry_run', 'accepted', 'stored'], properties: { dry_run: { const: true }, accepted: { type: 'integer' }, stored: { const: 0 } } }, 'Dry run: the file would be stored'),
        201: json({ type: 'object', additionalProperties: false, required: ['dry_run', 'accepted', 'stored', 'batch', 'entries'], properties: { dry_run: { const: false }, accepted: { type: 'integer' }, stored: { type: 'integer' }, batch: str, entries: { type: 'array', items: { $ref: '#/components/schemas/ManualEntry' } } } }, 'Stored'),
        400: rejected, 413: errorResponse('the file is over 10 MB'), 503: off,
      },
    },
  },
  '/api/v1/exports/monthly': {
    get: {
      summary: "The energy manager's monthly report (XLSX): each building's media, 综合能耗, per m², the same month a year before and 同比, and electricity by 分类分项", operationId: 'monthlyReport',
      parameters: [{ name: 'month', in: 'query', required: true, description: 'the month, YYYY-MM (site calendar)', schema: { type: 'string', pattern: '^\\d{4}-\\d{2}$' } }],
      responses: { 200: { description: 'the workbook (sheets 月报 and 分类分项)', content: { [XLSX]: { schema: { type: 'string', format: 'binary' } } } }, 400: errorResponse('the month is invalid'), 503: errorResponse('the store did not answer') },
    },
  },
  '/api/v1/returns/entries/template': {
    get: {
      summary: 'The template of manual entries to fill and upload (XLSX with a help sheet, or CSV)', operationId: 'manualEntryTemplate',
      parameters: [q('format', 'xlsx (default) or csv; without it, Accept: text/csv chooses CSV', { enum: ['xlsx', 'csv'] })],
      responses: { 200: { description: 'the template', content: { [XLSX]: { schema: { type: 'string', format: 'binary' } }, 'text/csv': { schema: str } } }, 400: errorResponse('a parameter is invalid') },
    },
  },
};
