/**
 * Category and sub-item breakdown (分类分项, MOHURD 2008) of one medium in one building, from the meter tree and
 * virtual meters. The part of the root total that no sub-item meter explains is shown as `unmetered`, never
 * spread over the sub-items or hidden.
 */
import { categoryName, isLevel2, subItemOf } from './categories.ts';
import { warn, type Warning } from './warnings.ts';

/** A meter of the tree (real or virtual) with its period total; `total` undefined = no data in the period. */
export interface TreeMeter {
  id: string;
  category?: string;
  parent?: string;
  total?: number;
  /** virtual meters: Σ plus − Σ minus of these meters' totals */
  plus?: string[];
  minus?: string[];
}

/** One row of the breakdown. */
export interface BreakdownItem {
  code: string;
  name: string;
  value: number;
  share: number | null;
  meters: string[];
  children: BreakdownItem[];
}

/** The breakdown of a building's total. */
export interface Breakdown {
  total: number;
  items: BreakdownItem[];
  unmetered: { value: number; share: number | null };
  warnings: Warning[];
}

/**
 * Build the breakdown. Total = Σ root meters (no parent, not virtual). A meter counts towards its level-1
 * sub-item when it is the topmost meter carrying a sub-item code on its branch; level-2 items (01A10 …) list
 * the topmost meters with that exact code, and the part of a level-1 item they do not cover appears as
 * `<code>-other`.
 */
export function breakdown(meters: TreeMeter[]): Breakdown {
  const warnings: Warning[] = [];
  const byId = new Map(meters.map((m) => [m.id, m]));
  const real = meters.filter((m) => !m.plus);
  const virtual = meters.filter((m) => m.plus);

  const missing = meters.filter((m) => !m.plus && m.total === undefined).map((m) => m.id);
  if (missing.length > 0) warnings.push(warn('meters_without_data', `no data in the period for meter(s) ${missing.join(', ')}; they are left out, so items may be understated`));

  const roots = real.filter((m) => m.parent === undefined || !byId.has(m.parent));
  const total = roots.reduce((a, m) => a + (m.total ?? 0), 0);

  // Virtual meter values; a virtual meter built from sub-item meters would count their energy twice.
  const attributedReal = (m: TreeMeter) => m.category !== undefined && subItemOf(m.category) !== undefined;
  const virtualValue = new Map<string, number>();
  for (const v of virtual) {
    const parts = [...(v.plus ?? []), ...(v.minus ?? [])].map((id) => byId.get(id));
    if (parts.some((p) => p?.total === undefined)) {
      warnings.push(warn('virtual_meter_incomplete', `virtual meter ${v.id}: a constituent meter has no data; left out`));
      continue;
    }
    const value = (v.plus ?? []).reduce((a, id) => a + (byId.get(id)?.total ?? 0), 0) - (v.minus ?? []).reduce((a, id) => a + (byId.get(id)?.total ?? 0), 0);
    if (v.category && subItemOf(v.category) && (v.plus ?? []).some((id) => { const p = byId.get(id); return p && attributedReal(p); })) {
      warnings.push(warn('virtual_meter_double_count', `virtual meter ${v.id} adds meters that already carry a sub-item code; left out to avoid counting them twice`));
      continue;
    }
    virtualValue.set(v.id, value);
  }

  const hasAttributedAncestor = (m: TreeMeter, code?: string): boolean => {
    let hop = m.parent ? byId.get(m.parent) : undefined;
    for (let depth = 0; hop && depth < meters.length; depth++) {
      if (hop.category && (code ? hop.category === code : subItemOf(hop.category) !== undefined)) return true;
      hop = hop.parent ? byId.get(hop.parent) : undefined;
    }
    return false;
  };

  const level1 = new Map<string, BreakdownItem>();
  const level2 = new Map<string, BreakdownItem>();
  const item = (code: string): BreakdownItem => ({ code, name: categoryName(code), value: 0, share: null, meters: [], children: [] });
  const contributors = [
    ...real.filter((m) => m.total !== undefined && m.category && subItemOf(m.category)).map((m) => ({ meter: m, value: m.total as number })),
    ...virtual.filter((v) => virtualValue.has(v.id) && v.category && subItemOf(v.category)).map((v) => ({ meter: v, value: virtualValue.get(v.id) as number })),
  ];
  for (const { meter, value } of contributors) {
    const category = meter.category as string;
    const l1 = subItemOf(category) as string;
    // Topmost on its branch for level 1; topmost with the same exact code for level 2.
    if (!hasAttributedAncestor(meter)) {
      const it = level1.get(l1) ?? item(l1);
      it.value += value;
      it.meters.push(meter.id);
      level1.set(l1, it);
    }
    if (isLevel2(category) && !hasAttributedAncestor(meter, category)) {
      const it = level2.get(category) ?? item(category);
      it.value += value;
      it.meters.push(meter.id);
      level2.set(category, it);
    }
  }

  const share = (v: number) => (total > 0 ? v / total : null);
  for (const child of [...level2.values()].sort((a, b) => a.code.localeCompare(b.code))) {
    const parentCode = subItemOf(child.code) as string;
    const parent = level1.get(parentCode) ?? item(parentCode);
    level1.set(parentCode, parent);
    parent.children.push(child);
  }
  const items = [...level1.values()].sort((a, b) => a.code.localeCompare(b.code));
  for (const it of items) {
    it.share = share(it.value);
    for (const c of it.children) c.share = share(c.value);
    if (it.children.length > 0) {
      const rest = it.value - it.children.reduce((a, c) => a + c.value, 0);
      if (Math.abs(rest) > 1e-9) it.children.push({ code: `${it.code}-other`, name: `${it.name}（未分项）`, value: rest, share: share(rest), meters: [], children: [] });
    }
  }
  const explained = items.reduce((a, it) => a + it.value, 0);
  const unmetered = total - explained;
  if (unmetered < -1e-6 * Math.max(1, total)) {
    warnings.push(warn('submeters_exceed_total', `sub-item meters add up to ${explained.toFixed(3)}, more than the root meters' ${total.toFixed(3)}: check CT ratios and the meter tree`));
  }
  if (roots.length === 0) warnings.push(warn('no_root_meter', 'no root meter (meter without a parent) for this medium: the total is unknown'));
  return { total, items, unmetered: { value: unmetered, share: share(unmetered) }, warnings };
}
