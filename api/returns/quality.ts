/**
 * The data-quality lines of the annual returns (issue 15): per meter, the year's quantity, how much of it was
 * estimated, the 15-minute intervals it should hold, holds and lacks, and the days with data — read from the
 * meters' daily rollups (energy_1d) through the storage port, five aggregates per medium grouped by meter.
 */
import { ESTIMATED_FIELD, INTERVALS_ESTIMATED_FIELD, INTERVALS_FIELD, MEASUREMENT, QUANTITY_FIELD, QUANTITY_UNIT } from '../../core/measurements.ts';
import type { Medium } from '../../core/site/schema.ts';
import type { AggregateFn, Storage } from '../../storage/port.ts';
import { coverageOf, expectedIntervals } from '../domain/provenance.ts';
import { round } from '../format.ts';
import type { SiteIndex } from '../site-index.ts';

/** One meter's year. */
export interface MeterQuality {
  meter: string;
  name: string;
  building: string;
  medium: Medium;
  unit: string;
  /** sub-meters are listed too; only root meters add up to the building totals */
  root: boolean;
  quantity: number | null;
  estimated_quantity: number;
  estimated_share: number | null;
  intervals_expected: number;
  intervals_present: number;
  intervals_estimated: number;
  intervals_missing: number;
  coverage: number;
  days_with_data: number;
}

const MEDIA: Medium[] = ['electricity', 'water', 'gas', 'heat', 'cooling'];

/** Every enabled meter's year over [from, to), ordered by building, medium and id. */
export async function meterQuality(index: SiteIndex, storage: Storage, from: number, to: number): Promise<MeterQuality[]> {
  const out: MeterQuality[] = [];
  await Promise.all(MEDIA.map(async (medium) => {
    const meters = index.site.devices.filter((d) => d.kind === 'meter' && d.medium === medium && d.enabled !== false);
    if (meters.length === 0) return;
    const read = async (field: string, fn: AggregateFn) => {
      const series = await storage.aggregate({
        measurement: MEASUREMENT.energy1d, field, fn, from, to,
        // by medium, not by a list of thousands of meter ids (a query InfluxDB is slow to plan); unknown meters are ignored
        where: { site: index.site.site.id, medium }, group_by: ['meter'],
      });
      return new Map(series.map((s) => [s.tags.meter ?? '', s.points.reduce((a, p) => a + p.value, 0)]));
    };
    const [quantity, estimated, intervals, intervalsEstimated, days] = await Promise.all([
      read(QUANTITY_FIELD[medium], 'sum'), read(ESTIMATED_FIELD[medium], 'sum'), read(INTERVALS_FIELD, 'sum'),
      read(INTERVALS_ESTIMATED_FIELD, 'sum'), read(QUANTITY_FIELD[medium], 'count'),
    ]);
    const expected = expectedIntervals(from, to, 1);
    for (const m of meters) {
      const q = quantity.get(m.id);
      const e = estimated.get(m.id) ?? 0;
      const present = intervals.get(m.id) ?? 0, presentEstimated = intervalsEstimated.get(m.id) ?? 0;
      out.push({
        meter: m.id, name: m.name, building: m.building, medium, unit: QUANTITY_UNIT[medium], root: m.parent === undefined,
        quantity: q === undefined ? null : round(q, 4), estimated_quantity: round(e, 4),
        estimated_share: q !== undefined && q > 0 ? round(e / q, 6) : null,
        intervals_expected: expected, intervals_present: present, intervals_estimated: presentEstimated,
        intervals_missing: Math.max(0, expected - present),
        coverage: round(coverageOf({ estimated: e, intervals: present, intervals_estimated: presentEstimated }, expected).coverage, 4),
        days_with_data: days.get(m.id) ?? 0,
      });
    }
  }));
  return out.sort((a, b) => a.building.localeCompare(b.building) || MEDIA.indexOf(a.medium) - MEDIA.indexOf(b.medium) || a.meter.localeCompare(b.meter));
}
