/**
 * The layout of the annual returns (issue 15): forms, rows, codes, units, header and footer, as a versioned data
 * file per revision of the forms (config/returns/ny-<year>.yaml), validated like the site model so that a typo is
 * one ConfigError line naming file, path and problem (decision 0900).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import type { Medium } from '../../core/site/schema.ts';
import { ConfigError, lineOf, readYaml, validate } from '../../core/config/yaml-file.ts';
import { BILL_UNIT, ENTRY_KINDS, KIND_NAMES, type EntryKind } from './entries.ts';

const Obj = <P extends Parameters<typeof Type.Object>[0]>(props: P) => Type.Object(props, { additionalProperties: false });
// an enum (not a union of literals) so that a misspelt medium is reported with the list of valid ones
const MediumKey = Type.Unsafe<Medium>({ type: 'string', enum: ['electricity', 'water', 'gas', 'heat', 'cooling'] });
const EntryKindKey = Type.Unsafe<EntryKind>({ type: 'string', enum: KIND_NAMES });

/** Where a cell's figure comes from. */
export const ValueSource = Type.Union([
  // the year's metered quantity of a medium (the collector's building totals), times `factor` for the form's unit
  // plus, with `add`, the manual entries of what no meter measures (purchased heat billed by heat), in the form's unit
  Obj({
    from: Type.Literal('medium'), medium: MediumKey, factor: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    add: Type.Optional(Obj({ kind: EntryKindKey, use: Type.Optional(Type.String()) })),
  }),
  // the year's AC energy of every PV system's inverters (interval energy the collector derives from their counters)
  Obj({ from: Type.Literal('pv_generation_kwh') }),
  Obj({ from: Type.Literal('floor_area_m2') }),
  Obj({ from: Type.Literal('headcount') }),
  Obj({ from: Type.Literal('site'), field: Type.Union([Type.Literal('name'), Type.Literal('unified_social_credit_code'), Type.Literal('address')]) }),
  // the year's manual entries of a kind (api/returns/entries.ts): Σ quantity or amount over the year, a point-in-time
  // kind's value in force at the year's end; `use`, `item` and `medium` narrow them
  Obj({
    from: Type.Literal('entry'), kind: EntryKindKey, field: Type.Union([Type.Literal('quantity'), Type.Literal('amount')]),
    use: Type.Optional(Type.String()), item: Type.Optional(Type.String({ pattern: '^[0-9]+$' })), medium: Type.Optional(MediumKey),
  }),
  // the sum of other rows of the same form, by code (e.g. 150 汽油 = 1501 + 1502)
  Obj({ from: Type.Literal('sum'), codes: Type.Array(Type.String({ pattern: '^[0-9]+$' }), { minItems: 1 }) }),
  // NY202: a machine room's configured facts (site model machine_rooms) and the year's electricity of its meters
  Obj({ from: Type.Literal('room'), field: Type.Union([Type.Literal('area_m2'), Type.Literal('racks'), Type.Literal('it_power_kw'), Type.Literal('cooling_power_kw'), Type.Literal('distribution_power_kw')]) }),
  Obj({ from: Type.Literal('room_meters'), part: Type.Union([Type.Literal('it'), Type.Literal('cooling'), Type.Literal('distribution')]) }),
  // NY203: the heated areas and season of the buildings that heat (site model buildings[].heating), and the year's
  // quantity of their heating meters of a medium
  Obj({ from: Type.Literal('heating'), field: Type.Union([Type.Literal('own_m2'), Type.Literal('district_by_area_m2'), Type.Literal('district_by_heat_m2'), Type.Literal('season_days')]) }),
  Obj({
    from: Type.Literal('heating_meters'), medium: MediumKey, factor: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    add: Type.Optional(Obj({ kind: EntryKindKey, use: Type.Optional(Type.String()) })),
  }),
  // a fact no source of this system holds: the cell stays empty for the filer
  Obj({ from: Type.Literal('manual') }),
]);
export type ValueSource = Static<typeof ValueSource>;

/** One row of a form: 指标名称 | 计量单位 | 代码 | 数量 (| 金额). */
export const LayoutRow = Obj({
  code: Type.Optional(Type.String({ pattern: '^[0-9]*$', description: 'the form\'s row code; empty when not known' })),
  name: Type.String({ minLength: 1 }),
  unit: Type.Optional(Type.String()),
  value: Type.Optional(ValueSource),
  amount: Type.Optional(ValueSource),
  indent: Type.Optional(Type.Integer({ minimum: 0, maximum: 3 })),
  note: Type.Optional(Type.String()),
  unconfirmed: Type.Optional(Type.Boolean()),
  source: Type.Optional(Type.String()),
});
export type LayoutRow = Static<typeof LayoutRow>;

export const LayoutForm = Obj({
  id: Type.String({ pattern: '^[A-Z0-9]+$' }),
  title: Type.String({ minLength: 1 }),
  sheet: Type.String({ minLength: 1, maxLength: 28, description: 'worksheet name (Excel allows 31 characters; a machine room\'s number is appended)' }),
  // institution: one sheet; machine_room: one per configured room (NY202); heating: one when a building heats (NY203)
  per: Type.Optional(Type.Union([Type.Literal('institution'), Type.Literal('machine_room'), Type.Literal('heating')])),
  source: Type.Optional(Type.String()),
  rows: Type.Array(LayoutRow, { minItems: 1 }),
});
export type LayoutForm = Static<typeof LayoutForm>;

/** A revision of the returns' layout. */
export const ReturnsLayout = Obj({
  revision: Type.String({ pattern: '^[a-z0-9-]+$' }),
  title: Type.String(),
  first_year: Type.Integer({ minimum: 2000, maximum: 2100, description: 'the first statistical year this revision applies to' }),
  authority: Obj({
    compiled_by: Type.String(), approved_by: Type.String(), approval_number: Type.String(),
    unconfirmed: Type.Optional(Type.Boolean()), source: Type.Optional(Type.String()),
  }),
  forms: Type.Array(LayoutForm, { minItems: 1 }),
  footer: Type.Array(Type.String({ minLength: 1 })),
});
export type ReturnsLayout = Static<typeof ReturnsLayout>;

/** The shipped layouts folder (config/returns/ at the repository root). */
export const DEFAULT_RETURNS_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'config', 'returns');

/** The form units a row may name, with the entry unit each stands for (a unit outside this list is a typo). */
export const FORM_UNITS: Record<string, string> = {
  千瓦时: 'kWh', 吨: 't', 立方米: 'm3', 升: 'L', 千克: 'kg', 兆焦: 'MJ', 吨标准煤: 'tce', 元: 'CNY', 平方米: 'm2', 人: 'persons',
  辆: 'vehicles', 个: 'count', 千瓦: 'kW', 天: 'days',
};
/**
 * A unit a row's unit also takes, for one medium only: the form's 吨 of water is the meter's m³ (1 m³ of water is
 * 1 t); a 吨 of coal or fuel is a mass that no m³ of gas or other medium may fill.
 */
const SAME_UNIT_FOR: readonly { row: string; takes: string; medium: Medium; why: string }[] = [
  { row: 't', takes: 'm3', medium: 'water', why: "only water's m³ counts as tonnes" },
];

/** Whether a source counting `unit` (of `medium`, when it is a medium's) fills a row counted in `rowUnit`. */
function fitsRow(rowUnit: string | undefined, unit: string, medium: Medium | undefined): boolean {
  if (rowUnit === undefined) return false;
  return unit === rowUnit || SAME_UNIT_FOR.some((s) => s.row === rowUnit && s.takes === unit && s.medium === medium);
}

/** The refusal of a source that does not fit its row, with why a near miss (gas m³ in a 吨 row) is one. */
function unitMismatch(what: string, units: string[], rowUnit: string | undefined): string {
  const near = SAME_UNIT_FOR.find((s) => s.row === rowUnit && units.includes(s.takes));
  return `${what} counts ${[...new Set(units)].join(' or ')}, the row ${rowUnit ?? 'no unit'}${near ? ` (${near.why})` : ''}`;
}

/**
 * Load one layout file; throws ConfigError for a schema problem or a fact that does not hold: a duplicate form id
 * or row code, a unit outside FORM_UNITS, an entry source whose kind, use or item does not exist or whose unit is
 * not the row's, a medium whose unit is not the row's (without a factor), a sum over a code the form lacks or of
 * another unit. m³ fills a 吨 row only for water.
 */
export function loadLayout(file: string): ReturnsLayout {
  const { value, source } = readYaml(file);
  const layout = validate(ReturnsLayout, value, file, source);
  const forms = new Set<string>();
  layout.forms.forEach((f, i) => {
    const fail = (path: (string | number)[], problem: string): never => {
      throw new ConfigError(file, `forms[${i}].${path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[')}`, problem, lineOf(source, ['forms', i, ...path]));
    };
    if (forms.has(f.id)) throw new ConfigError(file, `forms[${i}].id`, `form '${f.id}' appears twice`, lineOf(source, ['forms', i, 'id']));
    forms.add(f.id);
    const byCode = new Map<string, LayoutRow>();
    f.rows.forEach((r, j) => {
      if (r.unit !== undefined && r.unit !== '' && !(r.unit in FORM_UNITS)) fail(['rows', j, 'unit'], `unknown unit '${r.unit}' (known: ${Object.keys(FORM_UNITS).join(', ')})`);
      if (!r.code) return;
      if (byCode.has(r.code)) fail(['rows', j, 'code'], `code '${r.code}' appears twice in ${f.id}`);
      byCode.set(r.code, r);
    });
    f.rows.forEach((r, j) => {
      for (const key of ['value', 'amount'] as const) {
        const src = r[key];
        if (!src) continue;
        const unit = key === 'amount' ? 'CNY' : FORM_UNITS[r.unit ?? ''];
        if (src.from === 'entry') checkEntrySource(src, unit, (p, problem) => fail(['rows', j, key, p], problem));
        // a medium's stored unit fits the row unless a factor converts it (kWh × 3.6 = MJ)
        if ((src.from === 'medium' || src.from === 'heating_meters') && src.factor === undefined && !fitsRow(unit, BILL_UNIT[src.medium], src.medium)) {
          fail(['rows', j, key, 'medium'], unitMismatch(src.medium, [BILL_UNIT[src.medium]], unit));
        }
        if ((src.from === 'medium' || src.from === 'heating_meters') && src.add) checkEntrySource({ ...src.add, field: 'quantity' }, unit, (p, problem) => fail(['rows', j, key, 'add', p], problem));
        if (src.from === 'sum') {
          src.codes.forEach((c, k) => {
            const other = byCode.get(c);
            if (!other) fail(['rows', j, key, 'codes', k], `no row with code '${c}' in ${f.id}`);
            else if (c === r.code) fail(['rows', j, key, 'codes', k], 'a row cannot sum itself');
            else if (key === 'value' && other.unit !== r.unit) fail(['rows', j, key, 'codes', k], `row ${c} counts ${other.unit ?? 'no unit'}, this row ${r.unit ?? 'no unit'}`);
          });
        }
        if ((src.from === 'room' || src.from === 'room_meters') && f.per !== 'machine_room') fail(['rows', j, key, 'from'], `'${src.from}' needs a form with per: machine_room`);
        if ((src.from === 'heating' || src.from === 'heating_meters') && f.per !== 'heating') fail(['rows', j, key, 'from'], `'${src.from}' needs a form with per: heating`);
      }
    });
  });
  return layout;
}

/** An entry source names a kind, use and item that exist, and its unit is the row's. */
function checkEntrySource(src: { kind: EntryKind; field: 'quantity' | 'amount'; use?: string; item?: string; medium?: Medium }, rowUnit: string | undefined, fail: (path: string, problem: string) => never): void {
  const rule = ENTRY_KINDS[src.kind] as { unit?: Record<string, string>; uses?: readonly string[]; item?: boolean; bill?: boolean; amount?: boolean };
  if (src.use !== undefined && !rule.uses?.includes(src.use)) fail('use', `${src.kind} has ${rule.uses ? `the uses ${rule.uses.join(', ')}` : 'no use'}`);
  if (src.item !== undefined && !rule.item) fail('item', `${src.kind} has no item`);
  if (rule.item && src.item === undefined) fail('item', 'an operating_cost source names its item code');
  if (src.medium !== undefined && !rule.bill) fail('medium', `${src.kind} has no medium`);
  if (src.field === 'amount') {
    if (!rule.amount) fail('field', `${src.kind} has no amount`);
    if (rowUnit !== 'CNY') fail('field', 'an amount fills a cell counted in 元');
    return;
  }
  const units = rule.bill ? (src.medium ? [BILL_UNIT[src.medium]] : []) : Object.entries(rule.unit ?? {}).filter(([u]) => src.use === undefined || u === src.use).map(([, unit]) => unit);
  if (units.length === 0) fail('field', `${src.kind} has no quantity`);
  if (!units.every((u) => fitsRow(rowUnit, u, src.medium))) fail('kind', unitMismatch(`${src.kind}${src.use ? ` (${src.use})` : ''}${src.medium ? ` (${src.medium})` : ''}`, units, rowUnit));
}

/** The operating-cost item codes a layout's entry sources name (what a manual entry's `item` may be). */
export function layoutItems(layout: ReturnsLayout): Set<string> {
  const items = new Set<string>();
  for (const f of layout.forms) for (const r of f.rows) for (const src of [r.value, r.amount]) if (src?.from === 'entry' && src.item) items.add(src.item);
  return items;
}

/**
 * The layout in force for a statistical year: the revision with the latest `first_year` not after it. A year before
 * every revision is an error (the forms of that year are not described), never silently the oldest layout.
 */
export function layoutForYear(year: number, dir = DEFAULT_RETURNS_DIR): ReturnsLayout {
  const layouts = allLayouts(dir);
  const fit = layouts.filter((l) => l.first_year <= year).sort((a, b) => a.first_year - b.first_year).at(-1);
  if (!fit) throw new ConfigError(dir, '', `no returns layout for ${year} (the earliest revision starts in ${Math.min(...layouts.map((l) => l.first_year))})`);
  return fit;
}

/** Every revision in the folder, checked. */
export function allLayouts(dir = DEFAULT_RETURNS_DIR): ReturnsLayout[] {
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => loadLayout(join(dir, f)));
}
