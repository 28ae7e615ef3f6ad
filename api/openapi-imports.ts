/** The history import part of the OpenAPI document (issue 15): `POST /api/v1/imports/readings` (api/routes/imports.ts). */

/** A JSON Schema or OpenAPI object, as api/openapi.ts merges it (kept local: this module must not import the document). */
type Schema = { [key: string]: unknown };

const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer', minimum: 0 };
const errorResponse = (description: string): Schema => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const report = (description: string): Schema => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/ImportReport' } } } });

/** Schemas the import route answers with. */
export const importSchemas: Record<string, Schema> = {
  ImportReport: {
    type: 'object', additionalProperties: false,
    required: ['dry_run', 'stored', 'rows', 'readings', 'already_stored', 'telemetry_points', 'energy_rows', 'from', 'to', 'devices', 'rejected', 'warnings', 'seconds'],
    properties: {
      dry_run: { type: 'boolean' },
      stored: { type: 'boolean', description: "true when the file's readings and energy were written" },
      rows: { ...int, description: 'data rows of the file (the header and # comment rows not counted)' },
      readings: { ...int, description: 'readings handed to the collector\'s ingestion (an interval-energy row gives one or two)' },
      already_stored: { ...int, description: 'readings storage already held with the same value; all of them when the file was imported before' },
      telemetry_points: int,
      energy_rows: { ...int, description: 'energy rows produced: meters, virtual meters and buildings, 15-minute and daily' },
      from: { type: ['string', 'null'], format: 'date-time' },
      to: { type: ['string', 'null'], format: 'date-time' },
      devices: { type: 'array', items: str },
      rejected: {
        type: 'array', description: 'refused rows in row order; any refused row means nothing was stored',
        items: {
          type: 'object', additionalProperties: false, required: ['row', 'reason', 'detail'],
          properties: {
            row: { ...int, description: 'row number in the file (the header is row 1)' },
            reason: { ...str, description: 'unknown_device, not_a_number, bad_time, duplicate, decreasing_counter, bad_interval, mixed_kinds, conflict, partial_group, live_period, or a reason of the collector (unknown_point, out_of_range, implausible, future_timestamp, …)' },
            detail: str,
          },
        },
      },
      warnings: { type: 'array', items: str },
      seconds: { type: 'number' },
    },
  },
};

/** The import route. */
export const importPaths: Record<string, Schema> = {
  '/api/v1/imports/readings': {
    post: {
      summary: 'Import past meter readings, interval or daily energy and outdoor temperatures (CSV or XLSX body) through the collector\'s ingestion; all or nothing per file (docs/import.md)',
      operationId: 'importReadings',
      parameters: [{ name: 'dry_run', in: 'query', required: false, description: 'true: report what would be stored and refused, store nothing', schema: { enum: ['true', 'false'] } }],
      requestBody: {
        required: true,
        content: {
          'text/csv': { schema: { type: 'string' } },
          'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: { type: 'string', format: 'binary' } },
        },
      },
      responses: {
        200: report('a dry run that refused nothing, or a file already imported (stored false, already_stored = readings): nothing stored'),
        201: report('stored'),
        400: errorResponse('the body is not a readable CSV or XLSX file of readings (its header lacks a column, …), or dry_run is invalid'),
        413: errorResponse('the body is larger than 16 MiB (import larger files with jieneng import readings)'),
        422: report('rows were refused (listed by row number); nothing was stored'),
        503: errorResponse('storage unavailable'),
      },
    },
  },
};
