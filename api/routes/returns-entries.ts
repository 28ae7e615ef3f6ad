/**
 * The manual entries of the annual returns (issue 15): `GET|POST /returns/entries`, `POST /returns/entries/upload`
 * (a filled CSV or XLSX template, all or nothing, problems with row numbers; `dry_run=true` checks only) and
 * `GET /returns/entries/template`. Statistics staff enter (access table); each write is in the audit log by the
 * gate, and each entry keeps who entered it and when. A correction supersedes an entry; nothing is overwritten.
 */
import express, { Router, type Response } from 'express';
import { tzOffsetMs } from '../../core/time.ts';
import type { ApiContext } from '../context.ts';
import { ApiError, badParameter } from '../errors.ts';
import { enumParam, isoLocal, stringParam, yearParam } from '../params.ts';
import { checkEntry, KIND_NAMES, type Entry, type EntryContext, type EntryDraft, type EntryKind } from '../returns/entries.ts';
import { readEntryFile, templateCsv, templateXlsx, type RowProblem } from '../returns/entry-file.ts';
import { SupersedeError, type EntryStore } from '../returns/entry-store.ts';
import { allLayouts, layoutItems } from '../returns/layout.ts';
import { principalOf } from '../security/enforce.ts';
import { XLSX_TYPE } from './exports.ts';

/** An entry as the API shows it (times in the site's zone). */
export function shownEntry(e: Entry, tz: string) {
  return {
    id: e.id, kind: e.kind, org_unit: e.org_unit, from: e.from, to: e.to, use: e.use, item: e.item, medium: e.medium, meter: e.meter,
    mode: e.mode, quantity: e.quantity, unit: e.unit, amount_cny: e.amount_cny, document: e.document, note: e.note,
    supersedes: e.supersedes, superseded_by: e.superseded_by, withdrawn: e.withdrawn, entered_by: e.entered_by,
    entered_at: isoLocal(e.entered_at, tzOffsetMs(e.entered_at, tz)), batch: e.batch,
  };
}

/** 400 listing every problem: nothing was stored. */
class Rejected extends ApiError {
  constructor(readonly problems: RowProblem[]) {
    super(400, 'invalid_entries', `${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was stored`);
  }
}

/** The entry routes; without a store they answer 503. */
export function entryRoutes(ctx: ApiContext, store: EntryStore | undefined): Router {
  const router = Router();
  const tz = ctx.index.tz;
  const checking: EntryContext = { index: ctx.index, items: new Set(allLayouts().flatMap((l) => [...layoutItems(l)])) };
  const need = (): EntryStore => {
    if (!store) throw new ApiError(503, 'entries_off', 'manual entries are not configured for this API (returns.sqlite under the data directory)');
    return store;
  };
  const who = (res: Response) => {
    const p = principalOf(res);
    return p ? `${p.name} (${p.keyId})` : 'anonymous';
  };
  /** Store the drafts in one transaction, or answer every problem (a correction that does not fit names its row). */
  const store_ = (res: Response, drafts: { row: number; draft: EntryDraft }[], batch: string | null): Entry[] => {
    try {
      return need().append(drafts.map((d) => d.draft), who(res), batch);
    } catch (err) {
      if (err instanceof SupersedeError) throw new Rejected([{ row: drafts[err.index].row, field: 'supersedes', message: err.message }]);
      throw err;
    }
  };
  const send = (res: Response, err: unknown) => {
    if (!(err instanceof Rejected)) throw err;
    res.status(400).json({ error: { code: err.code, message: err.message }, problems: err.problems });
  };

  router.get('/returns/entries', (req, res) => {
    const s = need();
    const year = yearParam(req.query, 'year');
    const orgUnit = stringParam(req.query, 'org_unit');
    if (orgUnit !== undefined && !ctx.index.orgUnits.has(orgUnit)) throw badParameter('org_unit', `unknown org unit '${orgUnit}'`);
    const kind = stringParam(req.query, 'kind');
    if (kind !== undefined && !KIND_NAMES.includes(kind as EntryKind)) throw badParameter('kind', `'${kind}' is not one of ${KIND_NAMES.join(', ')}`);
    const history = enumParam(req.query, 'history', ['true', 'false'] as const, 'false') === 'true';
    const list = s.list({
      ...(year !== undefined ? { from: `${year}-01-01`, to: `${year + 1}-01-01` } : {}),
      ...(orgUnit !== undefined ? { org_unit: orgUnit } : {}), ...(kind !== undefined ? { kind: kind as EntryKind } : {}), history,
    });
    res.json(list.map((e) => shownEntry(e, tz)));
  });

  // one entry (an object) or several ({ entries: [...] }): all stored, or none with every problem by index
  router.post('/returns/entries', express.json({ limit: '1mb' }), (req, res) => {
    need();
    const body: unknown = req.body;
    const items = typeof body === 'object' && body !== null && !Array.isArray(body) && Array.isArray((body as { entries?: unknown }).entries)
      ? (body as { entries: unknown[] }).entries : [body];
    if (items.length === 0 || items.length > 10_000) throw badParameter('entries', 'send 1 to 10 000 entries');
    try {
      const problems: RowProblem[] = [];
      const drafts: { row: number; draft: EntryDraft }[] = [];
      items.forEach((item, i) => {
        if (typeof item !== 'object' || item === null || Array.isArray(item)) { problems.push({ row: i + 1, field: 'entry', message: 'not a JSON object' }); return; }
        const checked = checkEntry(item as Record<string, unknown>, checking);
        if ('problems' in checked) for (const p of checked.problems) problems.push({ row: i + 1, ...p });
        else drafts.push({ row: i + 1, draft: checked.draft });
      });
      if (problems.length > 0) throw new Rejected(problems);
      res.status(201).json(store_(res, drafts, null).map((e) => shownEntry(e, tz)));
    } catch (err) {
      send(res, err);
    }
  });

  // a filled template: the body is the file (Content-Type text/csv or the XLSX type, or format=csv|xlsx)
  router.post('/returns/entries/upload', express.raw({ type: () => true, limit: '10mb' }), async (req, res) => {
    need();
    const formatText = stringParam(req.query, 'format');
    const type = req.headers['content-type'] ?? '';
    const format = formatText === 'csv' || formatText === 'xlsx' ? formatText
      : formatText !== undefined ? (() => { throw badParameter('format', `'${formatText}' is not one of csv, xlsx`); })()
        : type.startsWith('text/csv') ? 'csv' : type.startsWith(XLSX_TYPE) ? 'xlsx' : undefined;
    if (!format) throw badParameter('format', 'send Content-Type text/csv or the XLSX type, or give format=csv|xlsx');
    const dryRun = enumParam(req.query, 'dry_run', ['true', 'false'] as const, 'false') === 'true';
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      const { drafts, problems } = await readEntryFile(body, format, checking);
      if (problems.length > 0) throw new Rejected(problems);
      if (dryRun) {
        res.json({ dry_run: true, accepted: drafts.length, stored: 0 });
        return;
      }
      const batch = `upload-${ctx.now()}`;
      const stored = store_(res, drafts, batch);
      res.status(201).json({ dry_run: false, accepted: drafts.length, stored: stored.length, batch, entries: stored.map((e) => shownEntry(e, tz)) });
    } catch (err) {
      send(res, err);
    }
  });

  router.get('/returns/entries/template', async (req, res) => {
    const format = enumParam(req.query, 'format', ['xlsx', 'csv'] as const, req.accepts([XLSX_TYPE, 'text/csv']) === 'text/csv' ? 'csv' : 'xlsx');
    if (format === 'csv') res.type('text/csv; charset=utf-8').attachment('manual-entries.csv').send(templateCsv());
    else res.type(XLSX_TYPE).attachment('manual-entries.xlsx').send(await templateXlsx());
  });
  return router;
}
