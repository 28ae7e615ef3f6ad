/**
 * Manual entries of the annual returns (issue 15): what no meter measures, entered by statistics staff by org unit
 * (or the whole institution) and period — vehicle fuel, LPG, coal, purchased heat, other energy, operating-cost
 * items, vehicles, headcount, 编制人数 and floor area changes by date, and bills that override or supplement a
 * meter. One kind table says each kind's unit, uses and fields; `checkEntry` turns one submitted object (JSON or a
 * template row) into a draft or a list of problems, each naming its field.
 */
import type { Medium } from '../../core/site/schema.ts';
import type { SiteIndex } from '../site-index.ts';

/** What a kind needs and means. `point`: a value in force from a date on (no period); else a period [from, to). */
interface KindRule {
  label: string;
  /** unit of `quantity` per use (the first entry when the kind has no uses); none: amounts only */
  unit?: Record<string, string>;
  uses?: readonly string[];
  point?: boolean;
  item?: boolean;
  bill?: boolean;
  amount?: boolean;
}

/** The kinds, in the template's order. */
export const ENTRY_KINDS = {
  gasoline: { label: '汽油', unit: { vehicle: 'L', other: 'L' }, uses: ['vehicle', 'other'], amount: true },
  diesel: { label: '柴油', unit: { vehicle: 'L', other: 'L' }, uses: ['vehicle', 'other'], amount: true },
  lpg: { label: '液化石油气', unit: { '': 'kg' }, amount: true },
  coal: { label: '煤炭', unit: { '': 't' }, amount: true },
  // purchased heat billed by heat (MJ) or by heated area (m²: the quantity is the area, the amount the fee)
  heat: { label: '外购热力', unit: { by_heat: 'MJ', by_area: 'm2' }, uses: ['by_heat', 'by_area'], amount: true },
  other_energy: { label: '其他能源（已折标）', unit: { '': 'tce' }, amount: true },
  operating_cost: { label: '机关运行成本项目', item: true, amount: true },
  bill: { label: '账单（覆盖或补充计量）', bill: true, amount: true },
  vehicles: { label: '车辆数', unit: { gasoline: 'vehicles', diesel: 'vehicles', new_energy: 'vehicles' }, uses: ['gasoline', 'diesel', 'new_energy'], point: true },
  headcount: { label: '用能人数', unit: { '': 'persons' }, point: true },
  staff: { label: '编制人数', unit: { '': 'persons' }, point: true },
  floor_area: { label: '建筑面积', unit: { '': 'm2' }, point: true },
} as const satisfies Record<string, KindRule>;
export type EntryKind = keyof typeof ENTRY_KINDS;
export const KIND_NAMES = Object.keys(ENTRY_KINDS) as EntryKind[];

/** The unit of a bill's quantity: the medium's stored unit. */
export const BILL_UNIT: Record<Medium, string> = { electricity: 'kWh', water: 'm3', gas: 'm3', heat: 'kWh', cooling: 'kWh' };
const MEDIA: Medium[] = ['electricity', 'water', 'gas', 'heat', 'cooling'];

/** An entry as submitted (JSON body or one template row), before it is stored. */
export interface EntryDraft {
  kind: EntryKind;
  /** the org unit it belongs to; null: the whole institution (the site) */
  org_unit: string | null;
  /** first day (site calendar), or the day a point-in-time value takes effect */
  from: string;
  /** first day after the period; null for point-in-time kinds */
  to: string | null;
  use: string | null;
  /** operating-cost item code (30209 …) */
  item: string | null;
  medium: Medium | null;
  /** bill: the root meter it overrides; null: a supplement to the medium without a meter */
  meter: string | null;
  /** bill: override the meter's measured quantity over the period, or supplement the measured total */
  mode: 'override' | 'supplement' | null;
  quantity: number | null;
  unit: string | null;
  amount_cny: number | null;
  /** the bill, invoice or record it comes from */
  document: string | null;
  note: string | null;
  /** the id of the entry this one corrects (it stays in the history) */
  supersedes: number | null;
  /** a correction that withdraws the superseded entry without replacing it */
  withdrawn: boolean;
}

/** A stored entry: the draft, who entered it and when, and whether a later entry corrected it. */
export interface Entry extends EntryDraft {
  id: number;
  entered_by: string;
  entered_at: number;
  /** the id of the entry that corrects this one; null: current */
  superseded_by: number | null;
  /** upload batch (file) it came with; null: entered one by one */
  batch: string | null;
}

/** A problem with one field of one entry. */
export interface EntryProblem { field: string; message: string }

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const validDate = (s: string) => DATE.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);

/** What checking needs: the site (org units, meters) and the operating-cost items the layouts know. */
export interface EntryContext {
  index: SiteIndex;
  items: ReadonlySet<string>;
}

/**
 * Check one submitted entry. Strings and numbers are accepted as a template cell gives them (a number may come as
 * text); empty strings count as absent. Returns the draft, or every problem found (each naming its field).
 */
export function checkEntry(input: Record<string, unknown>, ctx: EntryContext): { draft: EntryDraft } | { problems: EntryProblem[] } {
  const problems: EntryProblem[] = [];
  const bad = (field: string, message: string) => { problems.push({ field, message }); return null; };
  const reported = (field: string) => problems.some((p) => p.field === field);
  const known = new Set(['kind', 'org_unit', 'from', 'to', 'use', 'item', 'medium', 'meter', 'mode', 'quantity', 'unit', 'amount_cny', 'document', 'note', 'supersedes', 'withdrawn']);
  for (const k of Object.keys(input)) if (!known.has(k)) bad(k, 'unknown field');
  const text = (field: string, max = 200): string | null => {
    const v = input[field];
    if (v === undefined || v === null || v === '') return null;
    if (typeof v !== 'string' && typeof v !== 'number') return bad(field, 'must be text');
    const s = String(v).trim();
    if (s.length > max) return bad(field, `at most ${max} characters`);
    return s === '' ? null : s;
  };
  const number = (field: string): number | null => {
    const v = input[field];
    if (v === undefined || v === null || v === '') return null;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isFinite(n)) return bad(field, `'${String(v).slice(0, 40)}' is not a number`);
    if (n < 0) return bad(field, 'must not be negative');
    return n;
  };

  const kindText = text('kind');
  const kind = kindText && kindText in ENTRY_KINDS ? kindText as EntryKind : null;
  if (!kind) bad('kind', kindText ? `'${kindText}' is not one of ${KIND_NAMES.join(', ')}` : 'missing');
  const rule: KindRule | undefined = kind ? ENTRY_KINDS[kind] : undefined;

  const org_unit = text('org_unit', 64);
  if (org_unit && !ctx.index.orgUnits.has(org_unit)) bad('org_unit', `unknown org unit '${org_unit}' (empty: the whole institution)`);

  const from = text('from', 10);
  if (!from) bad('from', 'missing (YYYY-MM-DD)');
  else if (!validDate(from)) bad('from', `'${from}' is not a date YYYY-MM-DD`);
  let to = text('to', 10);
  if (rule?.point) {
    if (to) bad('to', `${kind} is a value in force from 'from' on: give no 'to'`);
    to = null;
  } else if (rule) {
    if (!to) bad('to', 'missing: the first day after the period (YYYY-MM-DD)');
    else if (!validDate(to)) bad('to', `'${to}' is not a date YYYY-MM-DD`);
    else if (from && validDate(from) && to <= from) bad('to', `must be after from (${from})`);
    else if (from && validDate(from) && Date.parse(to) - Date.parse(from) > 366 * 86_400_000 * 2) bad('to', 'a period of at most two years');
  }

  let use = text('use', 20);
  if (rule?.uses) {
    if (!use) bad('use', `missing: one of ${rule.uses.join(', ')}`);
    else if (!rule.uses.includes(use)) bad('use', `'${use}' is not one of ${rule.uses.join(', ')}`);
  } else if (use && rule) { bad('use', `${kind} has no use`); use = null; }

  let item = text('item', 20);
  if (rule?.item) {
    if (!item) bad('item', `missing: an operating-cost item code (${[...ctx.items].join(', ')})`);
    else if (!ctx.items.has(item)) bad('item', `'${item}' is not an operating-cost item of the form layouts (${[...ctx.items].join(', ')})`);
  } else if (item && rule) { bad('item', `${kind} has no item`); item = null; }

  let medium: Medium | null = null, meter: string | null = null, mode: EntryDraft['mode'] = null;
  const mediumText = text('medium', 20), meterText = text('meter', 64), modeText = text('mode', 20);
  if (rule?.bill) {
    if (!mediumText) bad('medium', `missing: one of ${MEDIA.join(', ')}`);
    else if (!MEDIA.includes(mediumText as Medium)) bad('medium', `'${mediumText}' is not one of ${MEDIA.join(', ')}`);
    else medium = mediumText as Medium;
    if (modeText !== 'override' && modeText !== 'supplement') bad('mode', modeText ? `'${modeText}' is not override or supplement` : 'missing: override (replaces the meter over the period) or supplement (adds to the measured total)');
    else mode = modeText;
    if (meterText) {
      const d = ctx.index.devices.get(meterText);
      if (!d || d.kind !== 'meter') bad('meter', `unknown meter '${meterText}'`);
      else if (medium && d.medium !== medium) bad('meter', `'${meterText}' measures ${d.medium}, not ${medium}`);
      else if (d.parent !== undefined) bad('meter', `'${meterText}' is a sub-meter: a bill overrides a root meter (the building totals add root meters only)`);
      else if (org_unit && d.org_unit !== org_unit) bad('meter', `'${meterText}' is not attributed to org unit '${org_unit}'`);
      else meter = meterText;
    }
    if (mode === 'override' && !meterText) bad('meter', 'an override names the meter it replaces');
    if (mode === 'supplement' && meterText) bad('meter', 'a supplement adds to the total without a meter: give no meter');
  } else if (rule) {
    for (const [field, v] of [['medium', mediumText], ['meter', meterText], ['mode', modeText]] as const) if (v) bad(field, `only bills have a ${field}`);
  }

  const quantity = number('quantity');
  const amount_cny = number('amount_cny');
  const withdrawn = input.withdrawn === true || input.withdrawn === 'true' || input.withdrawn === 1 || input.withdrawn === '1';
  let unit: string | null = null;
  if (rule && !withdrawn) {
    const expected = rule.bill ? (medium ? BILL_UNIT[medium] : null) : rule.unit ? (rule.unit as Record<string, string>)[use ?? ''] ?? null : null;
    unit = expected;
    const given = text('unit', 20);
    if (given && expected && given !== expected) bad('unit', `'${given}' is not the unit of ${kind}${use ? ` (${use})` : ''}: ${expected}`);
    if (rule.unit || rule.bill) {
      if (quantity === null && !reported('quantity') && !(rule.amount && amount_cny !== null && !rule.bill && !rule.point)) bad('quantity', `missing (${expected ?? 'the medium\'s unit'})`);
    } else if (quantity !== null) bad('quantity', `${kind} has an amount only`);
    if (!rule.amount && amount_cny !== null) bad('amount_cny', `${kind} has no amount`);
    if (rule.item && amount_cny === null && !reported('amount_cny')) bad('amount_cny', 'missing (元)');
    if (rule.point && quantity !== null && kind !== 'floor_area' && !Number.isInteger(quantity)) bad('quantity', 'a whole number');
  }

  const supersedesText = text('supersedes', 15);
  let supersedes: number | null = null;
  if (supersedesText) {
    if (!/^\d{1,15}$/.test(supersedesText)) bad('supersedes', `'${supersedesText}' is not an entry id`);
    else supersedes = Number(supersedesText);
  }
  if (withdrawn && supersedes === null) bad('withdrawn', 'a withdrawal names the entry it withdraws (supersedes)');

  if (problems.length > 0 || !kind || !from) return { problems };
  return {
    draft: {
      kind, org_unit, from, to, use, item, medium, meter, mode, quantity: withdrawn ? null : quantity, unit,
      amount_cny: withdrawn ? null : amount_cny, document: text('document', 500), note: text('note', 1000), supersedes, withdrawn,
    },
  };
}
