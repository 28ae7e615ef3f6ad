/**
 * History import (issue 15) on the embedded store: refused rows by number with nothing stored, a dry run that
 * stores nothing and reports what the real run then stores, idempotency, XLSX read like CSV, interval energy,
 * conflicts with stored history, and the command's exit codes and lines.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadSite } from '../core/site/load.ts';
import { zonedTime } from '../core/time.ts';
import { openStorage } from '../storage/index.ts';
import type { Storage } from '../storage/port.ts';
import { importCli } from './cli.ts';
import { importReadings } from './run.ts';
import { dailyReadingsCsv } from './testing.ts';

const site = loadSite('config/demo-site.yaml');
const sh = (m: number, d: number, h = 0) => zonedTime('Asia/Shanghai', 2025, m, d, h);
const csv = (...rows: string[]) => Buffer.from(['time,device,point,value', ...rows].join('\n'));

describe('history import', () => {
  let dir: string;
  let storage: Storage;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jieneng-import-test-'));
    storage = await openStorage({ kind: 'embedded', path: join(dir, 'store.sqlite') }, { timezone: 'Asia/Shanghai' });
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const count = async (measurement: string) => (await storage.raw({ measurement, from: sh(1, 1), to: sh(12, 31) })).length;
  const days = async (meter: string) => (await storage.raw({ measurement: 'energy_1d', from: sh(1, 1), to: sh(12, 31), where: { meter } }))
    .map((p) => Math.round((p.fields.energy_kwh as number) * 1000) / 1000);

  it('refuses bad rows by number and stores nothing from the file', async () => {
    const r = await importReadings({
      site, storage, bytes: csv(
        '2025-01-01,jiwei-main,energy_import_kwh,1000', //           row 2: good
        '2025-01-02,jiwei-mian,energy_import_kwh,1400', //           row 3: unknown meter
        '2025-01-02,jiwei-main,energy_import_kwh,1,4OO', //          row 4: a stray comma leaves '1' … still a number, so: a good row
        '2025-01-03,jiwei-main,energy_import_kwh,abc', //            row 5: not a number
        '2025-01-01,jiwei-main,energy_import_kwh,1000', //           row 6: duplicate of row 2
        '2025-01-04,jiwei-main,energy_import_kwh,900', //            row 7: below row 2's 1000 (row 4's 1 is lower still)
        '2025-01-05 12:00,zhongshan-e290-weather,temp_c,8.5', //     row 8: good
        '2025-01-05 12:00,zhongshan-e290-weather,temp_c2,8.5', //    row 9: not a point of the met station's model (collector)
        '2025-01-06 12:00,zhongshan-e290-weather,temp_c,85', //      row 10: outside the model's −40…60 °C (collector)
        '2025-02-30,jiwei-main,energy_import_kwh,2000', //           row 11: no such date
        '2099-01-01 12:00,zhongshan-e290-weather,temp_c,8.5', //     row 12: from the future (collector)
      ),
    });
    const byRow = Object.fromEntries(r.rejected.map((p) => [p.row, p.reason]));
    expect(byRow).toEqual({ 3: 'unknown_device', 4: 'decreasing_counter', 5: 'not_a_number', 6: 'duplicate', 7: 'decreasing_counter', 9: 'unknown_point', 10: 'out_of_range', 11: 'bad_time', 12: 'future_timestamp' });
    expect(r.rejected.find((p) => p.row === 6)?.detail).toContain('row 2');
    expect(r.stored).toBe(false);
    expect(await count('telemetry')).toBe(0);
    expect(await count('energy_15m')).toBe(0);
    expect(await count('energy_building_1d')).toBe(0);
  });

  it('a dry run stores nothing and reports what the run then stores', async () => {
    const { csv: text } = dailyReadingsCsv({ meter: 'jiwei-main', weather: 'zhongshan-e290-weather', from: [2025, 3, 1], days: 10 });
    const dry = await importReadings({ site, storage, bytes: Buffer.from(text), dryRun: true });
    expect(dry).toMatchObject({ dry_run: true, stored: false, rows: 21, readings: 21, rejected: [], telemetry_points: 21 });
    // 10 days × 96 intervals, for the meter and the building total, plus their 10 days each
    expect(dry.energy_rows).toBeGreaterThanOrEqual(2 * (10 * 96 + 10));
    expect(await count('telemetry')).toBe(0);
    expect(await count('energy_1d')).toBe(0);
    const run = await importReadings({ site, storage, bytes: Buffer.from(text) });
    expect(run).toMatchObject({ stored: true, telemetry_points: dry.telemetry_points, energy_rows: dry.energy_rows });
    expect(await count('telemetry')).toBe(21);
    expect(await days('jiwei-main')).toHaveLength(10);
    // the site totals and their start instant are the collectors' (decision 0407): none from an import
    expect(await count('energy_building_1d')).toBe(10);
    expect(await count('energy_site_1d')).toBe(0);
    expect(await storage.raw({ measurement: 'energy_site_since', from: 0, to: 4_102_444_800_000 })).toEqual([]);
  });

  it('stores nothing new when the same file comes twice, and refuses a changed value of stored history', async () => {
    const { csv: text, dailyKwh } = dailyReadingsCsv({ meter: 'jiwei-main', weather: 'zhongshan-e290-weather', from: [2025, 4, 1], days: 5 });
    const first = await importReadings({ site, storage, bytes: Buffer.from(text) });
    expect(first.stored).toBe(true);
    const before = { telemetry: await count('telemetry'), quarters: await count('energy_15m'), days: await days('jiwei-main') };
    expect(before.days).toEqual(dailyKwh.map((k) => Math.round(k * 1000) / 1000));
    const again = await importReadings({ site, storage, bytes: Buffer.from(text) });
    expect(again).toMatchObject({ stored: false, already_stored: 11, readings: 11, telemetry_points: 0, energy_rows: 0, rejected: [] });
    expect({ telemetry: await count('telemetry'), quarters: await count('energy_15m'), days: await days('jiwei-main') }).toEqual(before);
    // the same day read differently: refused, nothing changes
    const changed = text.replace(/(energy_import_kwh,)(\d+\.\d+)\n$/, (_m, a, v) => `${a}${Number(v) + 5}\n`);
    const conflict = await importReadings({ site, storage, bytes: Buffer.from(changed) });
    expect(conflict.rejected.map((p) => p.reason)).toEqual(['conflict']);
    expect(await days('jiwei-main')).toEqual(before.days);
  });

  it('reads an XLSX sheet like the CSV: date cells in the site time zone, numbers as numbers', async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('读数');
    sheet.addRow(['time', 'device', 'point', 'value']);
    // Excel keeps no zone: a date cell is wall-clock time, read in Asia/Shanghai
    [[1, 5000], [2, 5420.5], [3, 5801.25]].forEach(([d, v]) => sheet.addRow([new Date(Date.UTC(2025, 5, d)), 'jiwei-main', 'energy_import_kwh', v]));
    sheet.addRow(['2025-06-02T12:00:00+08:00', 'zhongshan-e290-weather', 'temp_c', 27.5]);
    const r = await importReadings({ site, storage, bytes: new Uint8Array(await book.xlsx.writeBuffer()) });
    expect(r).toMatchObject({ stored: true, rows: 4, rejected: [], from: new Date(sh(6, 1)).toISOString() });
    expect(await days('jiwei-main')).toEqual([420.5, 380.75]);
  });

  it('reads a CSV saved in GB 18030 with Chinese headings, as a spreadsheet program on a Chinese system writes it', async () => {
    // 时间,设备,点位,数值,备注 / 2025-10-01,jiwei-main,energy_import_kwh,100,国庆 / 2025-10-02,…,180.5,抄表 — encoded in GB 18030
    const bytes = Buffer.from('cab1bce42cc9e8b1b82cb5e3cebb2ccafdd6b52cb1b8d7a20a323032352d31302d30312c6a697765692d6d61696e2c656e657267795f696d706f72745f6b77682c3130302cb9fac7ec0a323032352d31302d30322c6a697765692d6d61696e2c656e657267795f696d706f72745f6b77682c3138302e352cb3adb1ed0a', 'hex');
    const r = await importReadings({ site, storage, bytes });
    expect(r).toMatchObject({ stored: true, rows: 2, rejected: [] });
    expect(await days('jiwei-main')).toEqual([80.5]);
  });

  it('turns interval and daily energy into the same rows, with holes reported', async () => {
    const r = await importReadings({
      site, storage, bytes: Buffer.from(['time,device,point,value,end',
        '2025-07-01,jiwei-main,energy_import_kwh,500,2025-07-02',
        '2025-07-02,jiwei-main,energy_import_kwh,610.5,2025-07-03',
        '2025-07-04,jiwei-main,energy_import_kwh,480,2025-07-05',
        '2025-07-05,jiwei-main,energy_import_kwh,-3,2025-07-06', // negative: refused
      ].join('\n')),
    });
    expect(r.rejected).toEqual([{ row: 5, reason: 'bad_interval', detail: 'energy -3 over an interval is negative' }]);
    const ok = await importReadings({ site, storage, bytes: Buffer.from(['time,device,point,value,end',
      '2025-07-01,jiwei-main,energy_import_kwh,500,2025-07-02',
      '2025-07-02,jiwei-main,energy_import_kwh,610.5,2025-07-03',
      '2025-07-04,jiwei-main,energy_import_kwh,480,2025-07-05'].join('\n')) });
    expect(ok.rejected).toEqual([]);
    expect(ok.warnings).toEqual([expect.stringContaining("meter 'jiwei-main': no energy given from 2025-07-02T16:00:00.000Z to 2025-07-03T16:00:00.000Z (rows 3–4)")]);
    expect(await days('jiwei-main')).toEqual([500, 610.5, 0, 480]);
    const record = await storage.raw({ measurement: 'import_log', from: sh(1, 1), to: sh(12, 31) });
    expect(record.map((p) => [p.tags.device, p.fields.kind, p.fields.readings, p.fields.by])).toEqual([['jiwei-main', 'interval', 5, 'unknown']]);
    const quarters = await storage.raw({ measurement: 'energy_15m', from: sh(7, 1), to: sh(7, 1, 1), where: { meter: 'jiwei-main' } });
    expect(quarters.map((q) => q.fields.energy_kwh)).toEqual([5.208333, 5.208333, 5.208333, 5.208333]);
    // the running total is stored as telemetry flagged uncertain: it is not the register's reading
    const counter = await storage.raw({ measurement: 'telemetry', from: sh(7, 1), to: sh(7, 6), where: { device: 'jiwei-main' } });
    expect(counter.map((p) => [p.tags.quality, p.fields.value])).toEqual([['uncertain', 0], ['uncertain', 500], ['uncertain', 1110.5], ['uncertain', 1110.5], ['uncertain', 1590.5]]);
  });

  it("refuses a file that leaves out a member of a building total with stored energy, and takes both meters together", async () => {
    // a second root electricity meter in the building: its total is the sum of both
    const main = site.devices.find((d) => d.id === 'jiwei-main')!;
    const two = { ...site, devices: [...site.devices, { ...main, id: 'jiwei-annex', name: '附楼总进线' }] };
    const annex = ['2025-09-01,jiwei-annex,energy_import_kwh,10', '2025-09-02,jiwei-annex,energy_import_kwh,110'];
    const mains = ['2025-09-01,jiwei-main,energy_import_kwh,500', '2025-09-02,jiwei-main,energy_import_kwh,800'];
    expect((await importReadings({ site: two, storage, bytes: csv(...annex) })).stored).toBe(true);
    const partial = await importReadings({ site: two, storage, bytes: csv(...mains) });
    expect(partial.rejected).toEqual([{ row: 2, reason: 'partial_group', detail: expect.stringContaining("the electricity total '01000' of building 'jiwei' also adds meter 'jiwei-annex'") }]);
    const both = await importReadings({ site: two, storage, bytes: csv(...mains, ...annex) });
    expect(both).toMatchObject({ stored: true, already_stored: 2, rejected: [] });
    const total = await storage.raw({ measurement: 'energy_building_1d', from: sh(9, 1), to: sh(9, 2), where: { building: 'jiwei', category: '01000' } });
    expect(total.map((p) => p.fields.energy_kwh)).toEqual([400]);
  });

  it('refuses counter readings after the instant from which the collectors keep site totals', async () => {
    await storage.write([{ measurement: 'energy_site_since', tags: { site: 'songjiang-demo', partition: '0/1' }, fields: { written_at: sh(10, 1) }, time: sh(10, 1) }]);
    await storage.flush();
    const r = await importReadings({ site, storage, bytes: csv('2025-09-30,jiwei-main,energy_import_kwh,10', '2025-10-01,jiwei-main,energy_import_kwh,20', '2025-10-02,jiwei-main,energy_import_kwh,30', '2025-10-02 12:00,zhongshan-e290-weather,temp_c,22') });
    expect(r.rejected).toEqual([{ row: 4, reason: 'live_period', detail: expect.stringContaining('jiwei-main: 2025-10-01T16:00:00.000Z is after 2025-09-30T16:00:00.000Z') }]);
    expect((await importReadings({ site, storage, bytes: csv('2025-09-30,jiwei-main,energy_import_kwh,10', '2025-10-01,jiwei-main,energy_import_kwh,20') })).stored).toBe(true);
  });

  it('takes the documented example file (docs/examples/readings.csv) without a refused row', async () => {
    const r = await importReadings({ site, storage, bytes: readFileSync('docs/examples/readings.csv'), dryRun: true });
    expect(r).toMatchObject({ rows: 10, readings: 11, rejected: [], warnings: [], stored: false });
    expect(r.devices).toEqual(['jiwei-hvac', 'jiwei-main', 'jiwei-water', 'zhongshan-e290-weather']);
  });

  it('continues the running total of interval energy from one file to the next, in time order', async () => {
    const rows = (from: number, kwh: number[]) => Buffer.from(['time,device,point,value,end', ...kwh.map((k, i) =>
      `2025-11-${String(from + i).padStart(2, '0')},jiwei-main,energy_import_kwh,${k},2025-11-${String(from + i + 1).padStart(2, '0')}`)].join('\n'));
    expect((await importReadings({ site, storage, bytes: rows(1, [100, 120]) })).stored).toBe(true);
    const next = await importReadings({ site, storage, bytes: rows(3, [90, 95]) });
    expect(next).toMatchObject({ stored: true, already_stored: 1, rejected: [] });
    expect(await days('jiwei-main')).toEqual([100, 120, 90, 95]);
    expect(await importReadings({ site, storage, bytes: rows(3, [90, 95]) })).toMatchObject({ stored: false, already_stored: 3 });
  });

  it('jieneng import readings: refused rows as file:row lines and exit 1; stored with exit 0; an unreadable file exits 2', async () => {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out.push(String(s)); return true; });
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err.push(String(s)); return true; });
    const opened: Storage = { // the test closes the store itself
      kind: storage.kind, write: (p) => storage.write(p), writeLines: (l) => storage.writeLines(l), flush: () => storage.flush(),
      aggregate: (q) => storage.aggregate(q), raw: (q) => storage.raw(q), health: () => storage.health(), close: async () => undefined,
    };
    try {
      const bad = join(dir, 'bad.csv');
      writeFileSync(bad, csv('2025-08-01,jiwei-main,energy_import_kwh,100', '2025-08-02,jiwei-main,energy_import_kwh,x').toString());
      expect(await importCli(['readings', bad, '--site', 'config/demo-site.yaml'], async () => opened)).toBe(1);
      expect(out.join('')).toContain(`${bad}:3: not_a_number: value 'x' is not a number`);
      expect(out.join('')).toContain('1 rows refused; nothing stored');
      const good = join(dir, 'good.csv');
      writeFileSync(good, csv('2025-08-01,jiwei-main,energy_import_kwh,100', '2025-08-02,jiwei-main,energy_import_kwh,350').toString());
      out.length = 0;
      expect(await importCli(['readings', good, '--dry-run'], async () => opened)).toBe(0);
      expect(out.join('')).toContain('dry run, nothing stored; would store 2 readings of 1 devices');
      expect(await importCli(['readings', good], async () => opened)).toBe(0);
      expect(out.join('')).toContain('jieneng kpi writeback --from 2025-08-01 --to 2025-08-02');
      expect(await days('jiwei-main')).toEqual([250]);
      const broken = join(dir, 'broken.csv');
      writeFileSync(broken, 'when,what\n1,2\n');
      expect(await importCli(['readings', broken], async () => opened)).toBe(2);
      expect(err.join('')).toContain(`${broken}: the header lacks the columns time, device, point, value`);
    } finally {
      vi.restoreAllMocks();
    }
  });
});
