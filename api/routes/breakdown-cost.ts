/**
 * `GET /buildings/{id}/breakdown` (分类分项 with the unmetered remainder) and `GET /buildings/{id}/cost`
 * (time-of-use electricity cost, water and gas) — issue 6.
 */
import { Router } from 'express';
import { QUANTITY_UNIT } from '../../core/measurements.ts';
import type { Medium } from '../../core/site/schema.ts';
import { tzOffsetMs } from '../../core/time.ts';
import type { ApiContext } from '../context.ts';
import { breakdown, categoryName, TOU_KINDS, touCost, warn, type BreakdownItem, type TreeMeter, type Warning } from '../domain/index.ts';
import { badParameter } from '../errors.ts';
import { enumParam, isoLocal, parseRange, stringParam } from '../params.ts';
import { sourceSeries, totalsByMeter, type RollupPoint } from '../series.ts';
import { buildingSource } from '../scope.ts';
import { addProvenance, coverageOf, expectedIntervals, NO_PROVENANCE } from '../domain/provenance.ts';
import { round } from '../format.ts';
import { dedupe } from './energy-kpis.ts';
import { localDate } from '../../core/time.ts';

const MEDIA = ['electricity', 'water', 'gas', 'heat', 'cooling'] as const;

const roundItem = (it: BreakdownItem): BreakdownItem => ({
  ...it, value: round(it.value, 4), share: it.share === null ? null : round(it.share, 6), children: it.children.map(roundItem),
});

/** Breakdown and cost routes. */
export function breakdownCostRoutes(ctx: ApiContext): Router {
  const router = Router();
  const tz = ctx.index.tz;
  const siteId = ctx.index.site.site.id;

  router.get('/buildings/:id/breakdown', async (req, res) => {
    const building = ctx.index.building(req.params.id);
    const medium = enumParam<Medium>(req.query, 'medium', MEDIA, 'electricity');
    const { from, to } = parseRange(req.query, tz);
    const meters = ctx.index.meters(building.id, medium);
    const virtuals = [...ctx.index.virtualMeters.values()].filter((v) => v.building === building.id && v.medium === medium);
    const totals = await totalsByMeter(ctx.storage, { siteId, meters: meters.map((m) => m.id), medium, from, to, tz });
    const tree: TreeMeter[] = [
      ...meters.map((m) => ({ id: m.id, category: m.category, parent: m.parent, total: totals.get(m.id) })),
      ...virtuals.map((v) => ({ id: v.id, category: v.category, plus: v.plus, minus: v.minus })),
    ];
    const b = breakdown(tree);
    // Provenance of the total (the root meters' sum): from the building's daily totals.
    const source = buildingSource(ctx, [building], medium);
    const prov = provenance(await sourceSeries(ctx.storage, { siteId, source, medium, from, to, interval: '1d', tz }), from, to, source.meters);
    res.json({
      building: building.id, medium, unit: QUANTITY_UNIT[medium],
      from: isoLocal(from, tzOffsetMs(from, tz)), to: isoLocal(to, tzOffsetMs(to, tz)),
      total: round(b.total, 4), estimated_quantity: prov.estimated, coverage: prov.coverage, complete: prov.complete,
      items: b.items.map(roundItem),
      unmetered: { code: 'unmetered', name: `未计量（${categoryName(`${medium === 'electricity' ? '01' : medium === 'water' ? '02' : '03'}000`)}）`, value: round(b.unmetered.value, 4), share: b.unmetered.share === null ? null : round(b.unmetered.share, 6) },
      warnings: b.warnings,
    });
  });

  router.get('/buildings/:id/cost', async (req, res) => {
    const building = ctx.index.building(req.params.id);
    const { from, to } = parseRange(req.query, tz, 366);
    const tariffId = stringParam(req.query, 'tariff');
    const tariffs = tariffId ? ctx.reference.tariffs.tariffs.filter((t) => t.id === tariffId) : ctx.reference.tariffs.tariffs;
    if (tariffId && tariffs.length === 0) throw badParameter('tariff', `unknown tariff '${tariffId}' (known: ${ctx.reference.tariffs.tariffs.map((t) => t.id).join(', ')})`);
    // Hourly windows suffice when every period boundary is on the hour (Shanghai 2023); else 15 minutes.
    const onTheHour = tariffs.every((t) => t.seasons.every((s) => s.periods.every((p) => p.from.endsWith(':00') && p.to.endsWith(':00'))
      && (!s.critical_peak || (s.critical_peak.from.endsWith(':00') && s.critical_peak.to.endsWith(':00')))));
    const source = buildingSource(ctx, [building], 'electricity');
    const warnings: Warning[] = [];
    const series = await sourceSeries(ctx.storage, { siteId, source, medium: 'electricity', from, to, interval: onTheHour ? '1h' : '15m', tz });
    if (source.meters > 0 && series.length === 0) warnings.push(warn('no_data', 'no electricity data in the range: no electricity cost'));
    const e = touCost(series, tariffs, tz);
    warnings.push(...e.warnings);
    const prov = provenance(series, from, to, source.meters);
    if (series.length > 0 && !prov.complete) warnings.push(warn('incomplete_period', `electricity: ${round(prov.coverage * 100, 2)} % of the intervals measured, not all present: the cost is a lower bound`));
    const others: Record<string, { quantity: number | null; unit: string; price_cny_per_unit: number | null; cost_cny: number | null }> = {};
    let otherCost = 0;
    for (const medium of ['water', 'gas'] as const) {
      const ms = ctx.index.rootMeters(building.id, medium).map((m) => m.id);
      if (ms.length === 0) continue;
      const totals = await totalsByMeter(ctx.storage, { siteId, meters: ms, medium, from, to, tz });
      const quantity = [...totals.values()].reduce((a, v) => a + v, 0);
      const date = localDate(from, tz);
      const price = ctx.reference.tariffs.prices.filter((p) => p.medium === medium && p.effective_from <= date).sort((a, b) => a.effective_from.localeCompare(b.effective_from)).at(-1);
      if (totals.size === 0) warnings.push(warn('no_data', `no ${medium} data in the range`));
      if (!price) warnings.push(warn('no_price', `no ${medium} price in force on ${date}`));
      else if (price.unconfirmed) warnings.push(warn('price_unconfirmed', `the ${medium} price ${price.cny_per_unit} CNY/${price.unit} is marked unconfirmed: set the one on the bill`));
      const cost = price && totals.size > 0 ? quantity * price.cny_per_unit : null;
      otherCost += cost ?? 0;
      others[medium] = { quantity: totals.size > 0 ? round(quantity, 4) : null, unit: QUANTITY_UNIT[medium], price_cny_per_unit: price?.cny_per_unit ?? null, cost_cny: cost === null ? null : round(cost, 2) };
    }
    res.json({
      building: building.id, currency: 'CNY',
      from: isoLocal(from, tzOffsetMs(from, tz)), to: isoLocal(to, tzOffsetMs(to, tz)),
      electricity: {
        energy_kwh: round(e.energy_kwh, 4), estimated_kwh: prov.estimated, coverage: prov.coverage, complete: prov.complete,
        cost_cny: round(e.cost_cny, 2),
        average_price_cny_per_kwh: e.energy_kwh > 0 ? round(e.cost_cny / e.energy_kwh, 4) : null,
        by_period: Object.fromEntries(TOU_KINDS.map((k) => [k, {
          energy_kwh: round(e.by_period[k].energy_kwh, 4), cost_cny: round(e.by_period[k].cost_cny, 2),
          share: e.energy_kwh > 0 ? round(e.by_period[k].energy_kwh / e.energy_kwh, 6) : null,
        }])),
        tariffs_used: e.tariffs_used,
      },
      ...others,
      total_cny: round(e.cost_cny + otherCost, 2),
      warnings: dedupe(warnings),
    });
  });

  return router;
}

/** The provenance of a series over [from, to): estimated quantity, coverage and completeness (rounded). */
function provenance(series: RollupPoint[], from: number, to: number, meters: number): { estimated: number; coverage: number; complete: boolean } {
  const sum = series.reduce(addProvenance, NO_PROVENANCE);
  const c = coverageOf(sum, expectedIntervals(from, to, meters));
  return { estimated: round(sum.estimated, 4), coverage: round(c.coverage, 4), complete: c.complete };
}
