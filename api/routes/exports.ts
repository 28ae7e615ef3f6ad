/**
 * `GET /exports/annual?year=2025&format=xlsx|csv[&org_unit=ID]`: the annual returns of the whole site or one org
 * unit (issue 15), with the manual entries of the year, as XLSX, or as
 * CSV with `format=csv` or `Accept: text/csv`. The form layout is the revision in force for the year
 * (config/returns/), the figures those of api/returns/fill.ts. `GET /exports/monthly?month=2025-03`: the energy
 * manager's monthly report (api/returns/monthly.ts) as XLSX.
 */
import { Router } from 'express';
import type { ApiContext } from '../context.ts';
import { badParameter, notFound } from '../errors.ts';
import { stringParam } from '../params.ts';
import { returnCsv } from '../returns/csv.ts';
import { fillAnnualReturn } from '../returns/fill.ts';
import { layoutForYear } from '../returns/layout.ts';
import { returnXlsx } from '../returns/workbook.ts';
import { monthlyReport, monthlyXlsx } from '../returns/monthly.ts';

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
  router.get('/exports/monthly', async (req, res) => {
    const text = stringParam(req.query, 'month', true);
    const m = /^(\d{4})-(\d{2})$/.exec(text);
    if (!m || Number(m[1]) < 2000 || Number(m[1]) > 2100 || Number(m[2]) < 1 || Number(m[2]) > 12) throw badParameter('month', `'${text}' is not a month YYYY-MM`);
    const report = await monthlyReport({ site: ctx.index.site, storage: ctx.storage, coal: ctx.reference.coal, year: Number(m[1]), month: Number(m[2]) });
    res.type(XLSX_TYPE).attachment(`monthly-${ctx.index.site.site.id}-${text}.xlsx`).send(await monthlyXlsx(report));
  });
  return router;
}
