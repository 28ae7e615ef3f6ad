/**
 * `GET /exports/annual?year=2025&format=xlsx|csv[&org_unit=ID]`: the annual returns of the whole site or one org
 * unit (issue 15), with the manual entries of the year, as XLSX, or as
 * CSV with `format=csv` or `Accept: text/csv`. The form layout is the revision in force for the year
 * (config/returns/), the figures those of api/returns/fill.ts.
 */
import { Router } from 'express';
import type { ApiContext } from '../context.ts';
import { badParameter, notFound } from '../errors.ts';
import { stringParam } from '../params.ts';
import { returnCsv } from '../returns/csv.ts';
import { fillAnnualReturn } from '../returns/fill.ts';
import { layoutForYear } from '../returns/layout.ts';
import { returnXlsx } from '../returns/workbook.ts';

/** The XLSX media type (ECMA-376). */
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The export routes. */
export function exportRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.get('/exports/annual', async (req, res) => {
    const yearText = stringParam(req.query, 'year', true);
    const year = Number(yearText);
    if (!/^\d{4}$/.test(yearText) || year < 2000 || year > 2100) throw badParameter('year', `'${yearText}' is not a year between 2000 and 2100`);
    const format = stringParam(req.query, 'format');
    if (format !== undefined && format !== 'xlsx' && format !== 'csv') throw badParameter('format', `'${format}' is not one of xlsx, csv`);
    // the query wins; without it the Accept header chooses, XLSX first (what statistics staff open)
    const csv = format === 'csv' || (format === undefined && req.accepts([XLSX_TYPE, 'text/csv']) === 'text/csv');
    const orgUnit = stringParam(req.query, 'org_unit');
    if (orgUnit !== undefined && !ctx.index.orgUnits.has(orgUnit)) throw notFound('org unit', orgUnit);
    const ret = await fillAnnualReturn({ year, site: ctx.index.site, storage: ctx.storage, layout: layoutForYear(year), coal: ctx.reference.coal, entries: ctx.entries, orgUnit });
    const name = `return-${orgUnit ?? ctx.index.site.site.id}-${year}`;
    if (csv) {
      res.type('text/csv; charset=utf-8').attachment(`${name}.csv`).send(returnCsv(ret));
    } else {
      res.type(XLSX_TYPE).attachment(`${name}.xlsx`).send(await returnXlsx(ret));
    }
  });
  return router;
}
