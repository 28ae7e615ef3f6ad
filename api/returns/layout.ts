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

const Obj = <P extends Parameters<typeof Type.Object>[0]>(props: P) => Type.Object(props, { additionalProperties: false });
// an enum (not a union of literals) so that a misspelt medium is reported with the list of valid ones
const MediumKey = Type.Unsafe<Medium>({ type: 'string', enum: ['electricity', 'water', 'gas', 'heat', 'cooling'] });

/** Where a cell's figure comes from. */
export const ValueSource = Type.Union([
  // the year's metered quantity of a medium (the collector's building totals), times `factor` for the form's unit
  Obj({ from: Type.Literal('medium'), medium: MediumKey, factor: Type.Optional(Type.Number({ exclusiveMinimum: 0 })) }),
  // the year's AC energy of every PV system's inverters (interval energy the collector derives from their counters)
  Obj({ from: Type.Literal('pv_generation_kwh') }),
  Obj({ from: Type.Literal('floor_area_m2') }),
  Obj({ from: Type.Literal('headcount') }),
  Obj({ from: Type.Literal('site'), field: Type.Union([Type.Literal('name'), Type.Literal('unified_social_credit_code'), Type.Literal('address')]) }),
  // what no meter measures: entered by hand (manual entries are not built yet: the cell stays empty)
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
  sheet: Type.String({ minLength: 1, maxLength: 31, description: 'worksheet name (Excel allows 31 characters)' }),
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

/** Load one layout file; throws ConfigError for a schema problem, a duplicate form id or row code. */
export function loadLayout(file: string): ReturnsLayout {
  const { value, source } = readYaml(file);
  const layout = validate(ReturnsLayout, value, file, source);
  const forms = new Set<string>();
  layout.forms.forEach((f, i) => {
    if (forms.has(f.id)) throw new ConfigError(file, `forms[${i}].id`, `form '${f.id}' appears twice`, lineOf(source, ['forms', i, 'id']));
    forms.add(f.id);
    const codes = new Set<string>();
    f.rows.forEach((r, j) => {
      if (!r.code) return;
      if (codes.has(r.code)) throw new ConfigError(file, `forms[${i}].rows[${j}].code`, `code '${r.code}' appears twice in ${f.id}`, lineOf(source, ['forms', i, 'rows', j, 'code']));
      codes.add(r.code);
    });
  });
  return layout;
}

/**
 * The layout in force for a statistical year: the revision with the latest `first_year` not after it. A year before
 * every revision is an error (the forms of that year are not described), never silently the oldest layout.
 */
export function layoutForYear(year: number, dir = DEFAULT_RETURNS_DIR): ReturnsLayout {
  const layouts = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => loadLayout(join(dir, f)));
  const fit = layouts.filter((l) => l.first_year <= year).sort((a, b) => a.first_year - b.first_year).at(-1);
  if (!fit) throw new ConfigError(dir, '', `no returns layout for ${year} (the earliest revision starts in ${Math.min(...layouts.map((l) => l.first_year))})`);
  return fit;
}
