/**
 * Manual entries over HTTP (issue 15): entered and listed by statistics staff (viewers refused), every write in the
 * audit log, corrections that keep the history, and the CSV/XLSX template filled and uploaded — all or nothing,
 * problems by row number — each response checked against the OpenAPI document.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertMatchesOpenApi } from '../openapi-check.ts';
import { entriesApiFixture } from './testing-api.ts';
import { ENTRY_SHEET } from './entry-file.ts';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- checked against the OpenAPI document

describe('manual entries API', () => {
  const fixture = entriesApiFixture();
  const { keys, entries } = fixture;
  let base = '';
  beforeAll(async () => { base = await fixture.start(); });
  afterAll(() => fixture.stop());

  const call = async (method: string, path: string, body?: unknown, role: 'viewer' | 'statistics' | 'admin' = 'statistics', type = 'application/json') => {
    const res = await fetch(base + path, {
      method, headers: { ...keys.headers(role), ...(body !== undefined ? { 'content-type': type } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
    });
    const text = res.headers.get('content-type')?.includes('json') ? await res.json() as Body : undefined;
    return { status: res.status, body: text as Body };
  };

  it('stores an entry with who entered it, lists it, and audits the write', async () => {
    const res = await call('POST', '/returns/entries', { kind: 'gasoline', use: 'vehicle', from: '2025-01-01', to: '2025-07-01', quantity: 1200, amount_cny: 9000, document: '加油卡对账单 2025H1' });
    expect(res.status).toBe(201);
    assertMatchesOpenApi('POST', '/api/v1/returns/entries', 201, res.body);
    expect(res.body[0]).toMatchObject({ kind: 'gasoline', use: 'vehicle', quantity: 1200, unit: 'L', amount_cny: 9000, entered_by: expect.stringMatching(/^test statistics \(/), superseded_by: null });
    const list = await call('GET', '/returns/entries?year=2025');
    assertMatchesOpenApi('GET', '/api/v1/returns/entries', 200, list.body);
    expect(list.body.map((e: Body) => e.id)).toEqual([res.body[0].id]);
    expect((await call('GET', '/returns/entries?year=2024')).body).toEqual([]);
    const audit = await call('GET', '/audit', undefined, 'admin');
    expect(Array.isArray(audit.body) ? audit.body : audit.body.entries).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'POST /api/v1/returns/entries', status: 201, actor_name: 'test statistics' })]));
  });

  it('refuses a viewer, and a batch with any bad entry stores none of it', async () => {
    expect((await call('POST', '/returns/entries', { kind: 'lpg', from: '2025-01-01', to: '2025-02-01', quantity: 10 }, 'viewer')).status).toBe(403);
    const before = (await call('GET', '/returns/entries')).body.length;
    const res = await call('POST', '/returns/entries', { entries: [
      { kind: 'lpg', from: '2025-01-01', to: '2025-02-01', quantity: 10 },
      { kind: 'diesel', from: '2025-01-01', to: '2025-02-01', quantity: 'ten', use: 'truck' },
      { kind: 'bill', medium: 'electricity', mode: 'override', from: '2025-03-01', to: '2025-02-01', quantity: 5 },
      { kind: 'operating_cost', item: '99999', from: '2025-01-01', to: '2026-01-01', amount_cny: 1 },
    ] });
    expect(res.status).toBe(400);
    assertMatchesOpenApi('POST', '/api/v1/returns/entries', 400, res.body);
    expect(res.body.problems).toEqual(expect.arrayContaining([
      { row: 2, field: 'use', message: "'truck' is not one of vehicle, other" },
      { row: 2, field: 'quantity', message: "'ten' is not a number" },
      { row: 3, field: 'to', message: 'must be after from (2025-03-01)' },
      { row: 3, field: 'meter', message: 'an override names the meter it replaces' },
      { row: 4, field: 'item', message: expect.stringMatching(/^'99999' is not an operating-cost item/) },
    ]));
    expect((await call('GET', '/returns/entries')).body.length).toBe(before);
  });

  it('corrects an entry by superseding it and keeps the history', async () => {
    const first = (await call('POST', '/returns/entries', { kind: 'headcount', from: '2025-06-01', quantity: 85 })).body[0];
    const fix = await call('POST', '/returns/entries', { kind: 'headcount', from: '2025-06-01', quantity: 86, supersedes: first.id, note: '人事处更正' });
    expect(fix.status).toBe(201);
    const current = (await call('GET', '/returns/entries?kind=headcount')).body;
    expect(current.map((e: Body) => [e.id, e.quantity])).toEqual([[fix.body[0].id, 86]]);
    const history = (await call('GET', '/returns/entries?kind=headcount&history=true')).body;
    expect(history.map((e: Body) => [e.id, e.superseded_by])).toEqual([[first.id, fix.body[0].id], [fix.body[0].id, null]]);
    // the superseded one cannot be corrected again, and the store refuses to change a row at all
    const again = await call('POST', '/returns/entries', { kind: 'headcount', from: '2025-06-01', quantity: 87, supersedes: first.id });
    expect(again.status).toBe(400);
    expect(again.body.problems[0].message).toBe(`entry ${first.id} was already corrected by entry ${fix.body[0].id}: correct that one`);
    expect(() => (entries as unknown as { db: { exec(s: string): void } }).db.exec('DELETE FROM manual_entries')).toThrow(/append-only/);
  });

  it('fills the CSV template and uploads it: problems by row number and nothing stored, then all rows stored', async () => {
    const template = await fetch(`${base}/returns/entries/template?format=csv`, { headers: keys.headers('statistics') });
    expect(template.status).toBe(200);
    const header = (await template.text()).replace(/^\uFEFF/, '').split('\r\n').slice(0, 2).join('\r\n');
    const good = 'coal,,2025-01-01,2026-01-01,,,,,,2.5,t,3000,发票 0042,,,\r\n';
    const bad = 'coal,nope,2025-01-01,2026-01-01,,,,,,x,,,,,,\r\n';
    const failed = await call('POST', '/returns/entries/upload', `${header}\r\n${good}${bad}`, 'statistics', 'text/csv');
    expect(failed.status).toBe(400);
    assertMatchesOpenApi('POST', '/api/v1/returns/entries/upload', 400, failed.body);
    expect(failed.body.problems).toEqual([
      { row: 4, field: 'org_unit', message: "unknown org unit 'nope' (empty: the whole institution)" },
      { row: 4, field: 'quantity', message: "'x' is not a number" },
    ]);
    expect((await call('GET', '/returns/entries?kind=coal')).body).toEqual([]);
    const dry = await call('POST', '/returns/entries/upload?dry_run=true', `${header}\r\n${good}`, 'statistics', 'text/csv');
    expect(dry.body).toEqual({ dry_run: true, accepted: 1, stored: 0 });
    const ok = await call('POST', '/returns/entries/upload', `${header}\r\n${good}`, 'statistics', 'text/csv');
    expect(ok.status).toBe(201);
    assertMatchesOpenApi('POST', '/api/v1/returns/entries/upload', 201, ok.body);
    expect(ok.body.entries[0]).toMatchObject({ kind: 'coal', quantity: 2.5, unit: 't', amount_cny: 3000, document: '发票 0042' });
  });

  it('fills the XLSX template in exceljs (dates as dates, numbers as numbers) and uploads it', async () => {
    const res = await fetch(`${base}/returns/entries/template`, { headers: keys.headers('statistics') });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    const ws = wb.getWorksheet(ENTRY_SHEET) as ExcelJS.Worksheet;
    ws.addRow(['operating_cost', null, new Date(Date.UTC(2025, 0, 1)), new Date(Date.UTC(2026, 0, 1)), null, '30209', null, null, null, null, null, 180000, '物业合同 2025']);
    ws.addRow(['bill', null, '2025-12-01', '2026-01-01', null, null, 'water', null, 'supplement', 40, 'm3', 160, '水费单 12月']);
    const up = await call('POST', '/returns/entries/upload?format=xlsx', Buffer.from(await wb.xlsx.writeBuffer()), 'statistics', 'application/octet-stream');
    expect(up.body.problems ?? up.status).toBe(201);
    expect(up.body.entries.map((e: Body) => [e.kind, e.from, e.to, e.item ?? e.medium, e.quantity, e.amount_cny])).toEqual([
      ['operating_cost', '2025-01-01', '2026-01-01', '30209', null, 180000],
      ['bill', '2025-12-01', '2026-01-01', 'water', 40, 160],
    ]);
    expect(up.body.batch).toMatch(/^upload-/);
  });
});
