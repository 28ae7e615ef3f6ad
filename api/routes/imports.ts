/**
 * `POST /imports/readings[?dry_run=true]` (issue 15): a readings file — CSV or XLSX as the request body — through
 * the collector's ingestion into the store, or, in a dry run, what would be stored and refused (importer/,
 * docs/import.md). All or nothing: 201 with the report when the file was stored, 200 for a dry run that refused
 * nothing or a file whose readings are all stored already, 422 with the same report when rows were refused and
 * nothing was stored.
 */
import express, { Router } from 'express';
import type { ApiContext } from '../context.ts';
import { ApiError, badParameter } from '../errors.ts';
import { stringParam } from '../params.ts';
import { principalOf } from '../security/enforce.ts';
import { importReadings } from '../../importer/run.ts';
import { fileFormat, ImportFileError } from '../../importer/table.ts';
import { checkZipSize, UPLOAD_UNPACKED_MAX_BYTES, ZipSizeError } from '../../core/zip-size.ts';

/**
 * The largest file taken in one request, 16 MiB: about 250 000 CSV rows, which took the process to some 700 MB
 * resident at its peak (the table, the readings and the ingestion's state); larger files go through the command.
 */
export const IMPORT_MAX_BYTES = 16 * 1024 * 1024;

/** The import routes. */
export function importRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.post('/imports/readings', express.raw({ type: () => true, limit: IMPORT_MAX_BYTES }), async (req, res) => {
    const dry = stringParam(req.query, 'dry_run');
    if (dry !== undefined && dry !== 'true' && dry !== 'false') throw badParameter('dry_run', `'${dry}' is not true or false`);
    const body = req.body as unknown;
    if (!Buffer.isBuffer(body) || body.length === 0) throw new ApiError(400, 'bad_request', 'the request body must be the file: CSV (text/csv) or XLSX');
    try {
      if (fileFormat(body) === 'xlsx') checkZipSize(body, UPLOAD_UNPACKED_MAX_BYTES); // before exceljs unpacks it
      const p = principalOf(res);
      const by = p ? `${p.name} (key ${p.keyId})` : 'unknown';
      const report = await importReadings({ site: ctx.index.site, storage: ctx.storage, bytes: body, dryRun: dry === 'true', now: ctx.now, by });
      res.status(report.rejected.length > 0 ? 422 : report.stored ? 201 : 200).json(report);
    } catch (err) {
      if (err instanceof ZipSizeError) throw new ApiError(400, 'bad_file', `not a readable XLSX workbook: ${err.message}`);
      if (err instanceof ImportFileError) throw new ApiError(400, 'bad_file', err.message);
      throw err;
    }
  });
  return router;
}
