/**
 * The annual returns with manual entries (api/returns/testing.ts enterReturnsEntries), every figure worked by hand:
 * fuels and costs in NY201, a bill that overrides a meter and one that supplements, headcount by date, prorated
 * periods, 综合能耗 with the fuels, NY202 for the machine room, NY203 for the heating, and the org unit's return.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryStorage } from '../testing/memory-storage.ts';
import { loadReferenceData } from '../reference.ts';
import { EntryStore } from './entry-store.ts';
import { fillAnnualReturn, type AnnualReturn, type FilledRow } from './fill.ts';
import { layoutForYear } from './layout.ts';
import { enterReturnsEntries, returnsRows, returnsSiteWithUnits } from './testing.ts';
import { provenanceLabel } from './workbook.ts';

describe('fillAnnualReturn with manual entries', () => {
  const store = new EntryStore(':memory:');
  const ids = enterReturnsEntries(store);
  let site: AnnualReturn, unit: AnnualReturn;
  beforeAll(async () => {
    const storage = memoryStorage();
    await storage.write(returnsRows());
    const input = { year: 2025, site: returnsSiteWithUnits(), storage, layout: layoutForYear(2025), coal: loadReferenceData().coal, entries: store };
    site = await fillAnnualReturn(input);
    unit = await fillAnnualReturn({ ...input, orgUnit: 'ou1' });
  });
  afterAll(() => store.close());
  const row = (ret: AnnualReturn, sheet: string, code: string): FilledRow => {
    const r = ret.forms.find((f) => f.sheet === sheet)?.rows.find((x) => x.code === code);
    if (!r) throw new Error(`no row ${sheet} ${code}`);
    return r;
  };
  const v = (ret: AnnualReturn, sheet: string, code: string) => row(ret, sheet, code).value?.value ?? null;

  it('fills fuels, costs and counts of NY201 from the entries, prorating a period across the year edge', () => {
    expect(v(site, 'NY201', '1501')).toBe(2600); // 1 200 + 1 300 + ou1's 100 (the site adds its units' periods)
    expect(v(site, 'NY201', '1502')).toBe(100);
    expect(row(site, 'NY201', '150').value).toEqual({ value: 2700, provenance: 'manual', entries: [ids.gasoline_h1, ids.gasoline_h2, ids.gasoline_ou1, ids.gasoline_other] });
    expect(v(site, 'NY201', '151')).toBe(20310); // 9 000 + 9 800 + 750 + 760
    // diesel 1 Dec 2024 – 31 Jan 2025: 31 of its 62 days in 2025 → 620 × 0.5 = 310 L, 4 650 × 0.5 = 2 325 元
    expect([v(site, 'NY201', '1601'), v(site, 'NY201', '1602'), v(site, 'NY201', '160'), v(site, 'NY201', '161')]).toEqual([310, null, 310, 2325]);
    // LPG corrected from 500 to 520 kg: only the correction counts
    expect(row(site, 'NY201', '104').value).toEqual({ value: 520, provenance: 'manual', entries: [ids.lpg_fix] });
    expect(v(site, 'NY201', '1041')).toBe(4160);
    expect([v(site, 'NY201', '180'), v(site, 'NY201', '181')]).toEqual([1.5, 2000]);
    expect([v(site, 'NY201', '103'), v(site, 'NY201', '1031'), v(site, 'NY201', '1032'), v(site, 'NY201', '1033')]).toEqual([5, 3, null, 2]);
    // 用能人数 82 from 1 July (in force at the year's end) instead of the site model's 80; 编制人数 70
    expect(row(site, 'NY201', '102').value).toEqual({ value: 82, provenance: 'manual', entries: [ids.headcount] });
    expect(v(site, 'NY201', '1021')).toBe(70);
    // purchased heat by heat: 36 000 MJ, no heat meter; fees of both uses 9 000 + 15 000
    expect(row(site, 'NY201', '170').value).toEqual({ value: 36000, provenance: 'manual', manual_quantity: 36000, entries: [ids.heat_by_heat] });
    expect(v(site, 'NY201', '171')).toBe(24000);
  });

  it('applies bills: an override replaces its meter over the period, a supplement adds', () => {
    // e1 measured 100 kWh × 31 March days = 3 100, billed 3 000: 54 750 − 3 100 + 3 000 = 54 650
    const electricity = row(site, 'NY201', '110').value;
    expect(electricity).toMatchObject({ value: 54650, provenance: 'measured', estimated_quantity: 50, manual_quantity: 3000, entries: [ids.bill_e1] });
    expect(provenanceLabel(electricity)).toBe(`计量（含估算、含手工填报） #${ids.bill_e1}`);
    expect(v(site, 'NY201', '111')).toBe(2400);
    expect(v(site, 'NY201', '120')).toBe(770); // 730 + 40
    expect(v(site, 'NY201', '121')).toBe(160);
    expect(row(site, '机关运行成本', '30209').amount?.value).toBe(180000);
    expect(row(site, '机关运行成本', '30231').amount?.value).toBe(52000);
    expect(row(site, '机关运行成本', '30206').value?.value).toBe(54650);
    expect(row(site, '机关运行成本', '30206').amount).toEqual({ value: null, provenance: 'manual' });
  });

  it('adds the fuels to 综合能耗 and divides by the entered headcount', () => {
    const { current } = site.summary;
    // fuels: gasoline 2 700 L × 0.73 × 1.4714 = 2 900.1294; diesel 310 × 0.84 × 1.4571 = 379.42884; LPG 520 × 1.7143
    // = 891.436; heat 36 000 MJ × 0.122832 / 3.6 = 1 228.32; other 1.5 tce = 1 500 → 6 899.31424 → 6 899.3142
    expect(current.fuels_kgce).toBe(6899.3142);
    // metered: 54 650 × 0.1229 = 6 716.485; gas 3 650 × 1.2143 = 4 432.195 → 11 148.68; + fuels = 18 047.9942
    expect(current.energy_kgce_equivalent).toBe(18047.9942);
    expect(current.headcount).toBe(82);
    expect(current.energy_kgce_per_person).toBe(220.0975); // 18 047.9942 / 82 = 220.097490
    expect(current.water_m3_per_person).toBe(9.3902); // 770 / 82 = 9.390244
    expect(site.entries.map((e) => e.id)).not.toContain(ids.lpg);
    expect(site.entries.map((e) => e.id)).toContain(ids.lpg_fix);
  });

  it('says that heat billed by area is not in 综合能耗', () => {
    // heat_by_area 2025-01-01 – 2025-04-01, 500 m²: no heat quantity, so no kgce (GB/T 2589 counts heat by quantity)
    expect(site.warnings.filter((w) => w.code === 'heat_by_area_not_in_kgce').map((w) => w.message)).toEqual([
      '2025: purchased heat billed by area (500 m²) has no heat quantity: it is not in 综合能耗; enter it by heat (MJ) when the supplier states it',
    ]);
  });

  it('fills NY202 for the machine room and NY203 for the heating', () => {
    expect(site.forms.find((f) => f.id === 'NY202')?.subject).toBe('信息中心机房');
    expect(['201', '210', '2201', '2202', '2203', '220'].map((c) => v(site, 'NY202', c))).toEqual([120, 20, 40, 25, 5, 70]);
    // the room's IT meter e2: 50 kWh × 365
    expect(['2401', '2402', '2403', '240'].map((c) => v(site, 'NY202', c))).toEqual([18250, null, null, 18250]);
    expect(['3011', '3012', '3013', '301', '302'].map((c) => v(site, 'NY203', c))).toEqual([2000, null, null, 2000, 90]);
    expect(v(site, 'NY203', '340')).toBe(3650); // boiler gas g1: 10 m³ × 365
    expect([v(site, 'NY203', '360'), v(site, 'NY203', '361'), v(site, 'NY203', '380')]).toEqual([36000, 9000, 15000]);
  });

  it("files an org unit's return from its meters, area, headcount and own entries", () => {
    expect(unit.filer).toEqual({ kind: 'org_unit', id: 'ou1', name: '信息中心' });
    expect(unit.site.unified_social_credit_code).toBe('12310000MB0000001G');
    expect(v(unit, 'NY201', '110')).toBe(18250); // e2 only
    expect(v(unit, 'NY201', '140')).toBeNull(); // no gas meter of its own
    expect([v(unit, 'NY201', '101'), v(unit, 'NY201', '102')]).toEqual([300, 12]);
    expect(v(unit, 'NY201', '1501')).toBe(100);
    expect(v(unit, 'NY201', '1021')).toBeNull(); // the institution's 编制人数 is not the unit's
    expect(unit.forms.filter((f) => f.id === 'NY202').length).toBe(1);
    expect(unit.quality.map((q) => q.meter)).toEqual(['e2']);
    // 18 250 × 0.1229 + 100 L × 0.73 × 1.4714 = 2 242.925 + 107.4122 = 2 350.3372; / 12 people = 195.861433
    expect(unit.summary.current.energy_kgce_equivalent).toBe(2350.3372);
    expect(unit.summary.current.energy_kgce_per_person).toBe(195.8614);
  });
});
