/**
 * The annual returns filled from the stored building totals of a small site (api/returns/testing.ts), every figure
 * worked by hand in the comments, and the layout file's one-line errors.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryStorage } from '../testing/memory-storage.ts';
import { loadReferenceData } from '../reference.ts';
import { fillAnnualReturn, type AnnualReturn, type FilledRow } from './fill.ts';
import { allLayouts, layoutForYear, loadLayout } from './layout.ts';
import { returnsRows, returnsSite } from './testing.ts';

describe('fillAnnualReturn', () => {
  let filled: AnnualReturn;
  beforeAll(async () => {
    const storage = memoryStorage();
    await storage.write(returnsRows());
    filled = await fillAnnualReturn({ year: 2025, site: returnsSite(), storage, layout: layoutForYear(2025), coal: loadReferenceData().coal });
  });
  const row = (form: string, code: string): FilledRow => {
    const r = filled.forms.find((f) => f.id === form)?.rows.find((x) => x.code === code);
    if (!r) throw new Error(`no row ${form} ${code}`);
    return r;
  };

  it('fills NY201 quantities from the meters with their estimated share and coverage', () => {
    // electricity 2025: (100 + 50) kWh × 365 days = 54 750 kWh; estimated 10 days × 5 kWh = 50 kWh → share 50 / 54 750
    expect(row('NY201', '110').value).toEqual({ value: 54750, provenance: 'measured', estimated_quantity: 50, estimated_share: 0.000913, coverage: 0.9994, complete: true });
    // coverage: 2 meters × 35 040 quarter-hours = 70 080 expected, 40 estimated → 70 040 / 70 080 = 0.999429 → 0.9994 (4 digits)
    expect(row('NY201', '120').value?.value).toBe(730); // 2 m³ × 365
    expect(row('NY201', '140').value?.value).toBe(3650); // 10 m³ × 365
    expect(row('NY201', '101').value).toEqual({ value: 2000, provenance: 'site_model' });
    expect(row('NY201', '102').value).toEqual({ value: 80, provenance: 'site_model' });
    expect(row('NY201', '111').value).toEqual({ value: null, provenance: 'manual' });
    // PV: inv1's 24 kWh × 30 June days; 2 880 of the year's 35 040 quarter-hours present → coverage 0.0822, incomplete
    const pv = filled.forms.find((f) => f.id === 'NY201')?.rows.find((r) => r.name === '太阳能光电系统发电量');
    expect(pv?.value).toEqual({ value: 720, provenance: 'measured', estimated_quantity: 0, estimated_share: 0, coverage: 0.0822, complete: false });
    // no heat meter: the heat row stays empty, never a zero
    expect(row('NY201', '170').value?.value).toBeNull();
  });

  it('lists every meter\'s year for the data-quality sheet', () => {
    const e2 = filled.quality.find((q) => q.meter === 'e2');
    // 50 kWh × 365; 10 days × 5 kWh estimated; 35 040 quarter-hours of 2025, all present, 10 × 4 estimated;
    // coverage (35 040 − 40) / 35 040 = 0.998858 → 0.9989
    expect(e2).toEqual({
      meter: 'e2', name: 'meter e2', building: 'b1', medium: 'electricity', unit: 'kWh', root: true,
      quantity: 18250, estimated_quantity: 50, estimated_share: 0.00274, intervals_expected: 35040, intervals_present: 35040,
      intervals_estimated: 40, intervals_missing: 0, coverage: 0.9989, days_with_data: 365,
    });
    expect(filled.quality.map((q) => q.meter)).toEqual(['e1', 'e2', 'w1', 'g1']);
  });

  it('fills NY101 from the site model', () => {
    const ny101 = filled.forms.find((f) => f.id === 'NY101');
    expect(ny101?.rows.map((r) => r.value?.value)).toEqual(['测试机关', '12310000MB0000000L', null, '上海市测试路1号', null, null]);
  });

  it('computes 综合能耗 on both bases, the intensities and 同比', () => {
    const { current, previous, yoy_change_pct } = filled.summary;
    // 当量值 2025: 54 750 × 0.1229 + 3 650 × 1.2143 + 730 × 0 = 6 728.775 + 4 432.195 = 11 160.97 kgce
    expect(current.energy_kgce_equivalent).toBe(11160.97);
    // 等价值 2025: 54 750 × 0.3033 + 4 432.195 = 16 605.675 + 4 432.195 = 21 037.87 kgce
    expect(current.energy_kgce_equal).toBe(21037.87);
    expect(current.energy_kgce_per_m2).toBe(5.5805); // 11 160.97 / 2 000 = 5.580485
    expect(current.energy_kgce_per_person).toBe(139.5121); // 11 160.97 / 80 = 139.512125
    expect(current.water_m3_per_person).toBe(9.125); // 730 / 80
    // 2024 (366 days): 160 × 366 = 58 560 kWh × 0.1229 = 7 197.024; 3 660 m³ × 1.2143 = 4 444.338 → 11 641.362
    expect(previous.energy_kgce_equivalent).toBe(11641.362);
    expect(previous.energy_kgce_per_person).toBe(116.4136); // / 100
    // 同比: (11 160.97 − 11 641.362) / 11 641.362 = −4.1267 % ; per person (139.512125 − 116.41362) / 116.41362 = +19.842 %
    expect(yoy_change_pct.energy_kgce_equivalent).toBe(-4.13);
    expect(yoy_change_pct.energy_kgce_per_person).toBe(19.84);
    expect(filled.warnings.map((w) => w.code)).toContain('coefficients_unconfirmed');
  });
});

describe('returns layout file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'returns-layout-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a bad setting in one line naming file, line and path', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'revision: x\ntitle: t\nfirst_year: 2025\nauthority: { compiled_by: a, approved_by: b, approval_number: c }\nfooter: []\nforms:\n  - id: NY201\n    title: t\n    sheet: s\n    rows:\n      - { code: "110", name: 电, value: { from: medium, medium: electrcity } }\n');
    expect(() => loadLayout(file)).toThrow(/^.*bad\.yaml:11: forms\[0\]\.rows\[0\]\.value\.medium: must be one of/);
  });

  it('refuses a duplicate row code and a year before every revision', () => {
    const file = join(dir, 'dup.yaml');
    writeFileSync(file, 'revision: x\ntitle: t\nfirst_year: 2025\nauthority: { compiled_by: a, approved_by: b, approval_number: c }\nfooter: []\nforms:\n  - id: NY201\n    title: t\n    sheet: s\n    rows:\n      - { code: "110", name: 电 }\n      - { code: "110", name: 电费 }\n');
    expect(() => loadLayout(file)).toThrow(/dup\.yaml:12: forms\[0\]\.rows\[1\]\.code: code '110' appears twice in NY201/);
    expect(() => layoutForYear(2020)).toThrow(/no returns layout for 2020/);
  });
  it('checks the facts: units known, entry sources fitting their row, sums over codes that exist', () => {
    const head = 'revision: x\ntitle: t\nfirst_year: 2025\nauthority: { compiled_by: a, approved_by: b, approval_number: c }\nfooter: []\nforms:\n  - id: NY201\n    title: t\n    sheet: s\n    rows:\n';
    const bad = (name: string, rows: string) => { const file = join(dir, name); writeFileSync(file, head + rows); return () => loadLayout(file); };
    expect(bad('unit.yaml', '      - { code: "110", name: 电, unit: 度, value: { from: medium, medium: electricity } }\n'))
      .toThrow(/unit\.yaml:11: forms\[0\]\.rows\[0\]\.unit: unknown unit '度'/);
    expect(bad('entry.yaml', '      - { code: "150", name: 汽油, unit: 千克, value: { from: entry, kind: gasoline, field: quantity } }\n'))
      .toThrow(/forms\[0\]\.rows\[0\]\.value\.kind: gasoline counts L, the row kg/);
    expect(bad('use.yaml', '      - { code: "150", name: 汽油, unit: 升, value: { from: entry, kind: gasoline, use: truck, field: quantity } }\n'))
      .toThrow(/value\.use: gasoline has the uses vehicle, other/);
    expect(bad('sum.yaml', '      - { code: "150", name: 汽油, unit: 升, value: { from: sum, codes: ["1501", "1509"] } }\n      - { code: "1501", name: 车辆, unit: 升, value: { from: entry, kind: gasoline, use: vehicle, field: quantity } }\n'))
      .toThrow(/sum\.yaml:11: forms\[0\]\.rows\[0\]\.value\.codes\[1\]: no row with code '1509' in NY201/);
    expect(bad('amount.yaml', '      - { code: "151", name: 汽油费用, unit: 升, value: { from: entry, kind: gasoline, field: amount } }\n'))
      .toThrow(/an amount fills a cell counted in 元/);
    expect(bad('room.yaml', '      - { code: "201", name: 机房面积, unit: 平方米, value: { from: room, field: area_m2 } }\n'))
      .toThrow(/'room' needs a form with per: machine_room/);
  });

  it('takes m³ for a row in 吨 only from water (1 m³ of water = 1 t): a coal or fuel row in 吨 refuses an m³ source', () => {
    const head = 'revision: x\ntitle: t\nfirst_year: 2025\nauthority: { compiled_by: a, approved_by: b, approval_number: c }\nfooter: []\nforms:\n  - id: NY201\n    title: t\n    sheet: s\n    rows:\n';
    const layout = (name: string, rows: string) => { const file = join(dir, name); writeFileSync(file, head + rows); return () => loadLayout(file); };
    expect(layout('coal-gas-bill.yaml', '      - { code: "130", name: 煤炭, unit: 吨, value: { from: entry, kind: bill, medium: gas, field: quantity } }\n'))
      .toThrow(/^.*coal-gas-bill\.yaml:11: forms\[0\]\.rows\[0\]\.value\.kind: bill \(gas\) counts m3, the row t \(only water's m³ counts as tonnes\)$/);
    expect(layout('coal-gas-meters.yaml', '      - { code: "130", name: 煤炭, unit: 吨, value: { from: medium, medium: gas } }\n'))
      .toThrow(/^.*coal-gas-meters\.yaml:11: forms\[0\]\.rows\[0\]\.value\.medium: gas counts m3, the row t \(only water's m³ counts as tonnes\)$/);
    const heating = join(dir, 'heating-gas.yaml');
    writeFileSync(heating, head.replace('sheet: s\n', 'sheet: s\n    per: heating\n') + '      - { code: "310", name: 采暖用水, unit: 吨, value: { from: heating_meters, medium: gas } }\n');
    expect(() => loadLayout(heating)).toThrow(/heating-gas\.yaml:12: forms\[0\]\.rows\[0\]\.value\.medium: gas counts m3, the row t/);
    const water = layout('water.yaml', [
      '      - { code: "120", name: 水, unit: 吨, value: { from: medium, medium: water } }',
      '      - { code: "1201", name: 水（账单）, unit: 吨, value: { from: entry, kind: bill, medium: water, field: quantity } }',
      '      - { code: "310", name: 采暖用水, unit: 吨, value: { from: medium, medium: water } }',
      '',
    ].join('\n'));
    expect(water().forms[0].rows.map((r) => r.code)).toEqual(['120', '1201', '310']);
  });

  it('loads every shipped layout (config/returns/)', () => {
    const layouts = allLayouts();
    expect(layouts.map((l) => l.revision)).toContain('ny-2025');
    const water = layoutForYear(2025).forms.find((f) => f.id === 'NY201')?.rows.find((r) => r.code === '120');
    expect(water).toMatchObject({ unit: '吨', value: { from: 'medium', medium: 'water' } });
  });
});
