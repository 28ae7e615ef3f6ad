/**
 * The line renderer: telemetry and energy rows as line protocol (storage/line-protocol.ts, decision 0303), each
 * series' start — measurement, tags and the field's `name=` — rendered once and reused, since the rows of a
 * series differ only in value and time. Names are site-model ids and contract point names (patterns with
 * nothing line protocol must escape or refuse).
 */
import { ESTIMATED_FIELD, INTERVALS_ESTIMATED_FIELD, INTERVALS_FIELD, MEASUREMENT, QUANTITY_FIELD } from '../core/measurements.ts';
import type { Device } from '../core/site/schema.ts';
import { seriesPrefix } from '../storage/line-protocol.ts';
import type { AcceptedReading } from './batch-judge.ts';
import type { EnergyRow, EnergySeries } from './energy/accumulator.ts';
import { roundQuantity } from './energy/meter-energy.ts';

const ASCII = /^[\x00-\x7f]*$/;

/** Options of the renderer. */
export interface LineRendererOptions {
  /** telemetry series prefixes remembered before the cache starts afresh (a gateway inventing names must not grow it without end) */
  maxTelemetrySeries?: number;
}

/** Renders a site's rows; one per ingestor (it caches series prefixes). */
export class LineRenderer {
  /** telemetry line prefixes by device, quality and point */
  private telemetry = new Map<string, Map<string, Map<string, string>>>();
  private telemetrySeries = 0;
  /** telemetry prefixes holding a character beyond ASCII (none while ids keep to their schemas) */
  private nonAsciiPrefixes = 0;
  private readonly energy = new Map<EnergySeries, { quarter: string; day: string; field: string; estimated: string }>();
  private readonly maxTelemetrySeries: number;

  constructor(private readonly siteId: string, opts: LineRendererOptions = {}) {
    this.maxTelemetrySeries = opts.maxTelemetrySeries ?? 200_000;
  }

  /** The telemetry lines of a batch's accepted points, as one string (a rope, flattened once when encoded). */
  telemetryLines(accepted: readonly AcceptedReading[]): string {
    let lines = '';
    for (const r of accepted) {
      const lineEnd = ` ${r.ts}\n`; // the same for each of the reading's points
      for (const point of r.names) {
        const pv = r.points[point];
        lines += this.telemetryPrefix(r.device.device, point, pv.quality) + (pv.value as number) + lineEnd;
      }
    }
    return lines;
  }

  /**
   * Telemetry lines as bytes. Every part of a line is ASCII (ids and point names by their schemas, numbers),
   * checked once per prefix: a one-byte copy then encodes it, without UTF-8's scan.
   */
  encode(lines: string): Buffer {
    return Buffer.from(lines, this.nonAsciiPrefixes === 0 ? 'latin1' : 'utf8');
  }

  /**
   * Energy rows as lines: the quantity in its medium's field, whether any of it is estimated, and its provenance
   * (core/measurements.ts, decision 0403): the estimated quantity, the 15-minute intervals it adds up and how many
   * of them are estimated.
   */
  energyLines(rows: readonly EnergyRow[]): string {
    let text = '';
    for (const row of rows) {
      const s = this.energySeries(row.series);
      const t = row.total;
      text += `${row.daily ? s.day : s.quarter} ${s.field}=${roundQuantity(t.quantity)},estimated=${t.estimated > 0 ? 1 : 0},${s.estimated}=${roundQuantity(t.estimated_quantity)},${INTERVALS_FIELD}=${t.intervals},${INTERVALS_ESTIMATED_FIELD}=${t.intervals_estimated} ${row.time}\n`;
    }
    return text;
  }

  /** The row saying from when this collector's site rows are complete (decision 0407): its time is that instant. */
  siteSinceLine(partition: string, since: number, writtenAt: number): string {
    return `${seriesPrefix(MEASUREMENT.siteEnergySince, { site: this.siteId, partition })} written_at=${writtenAt} ${since}\n`;
  }

  private energySeries(series: EnergySeries): { quarter: string; day: string; field: string; estimated: string } {
    let s = this.energy.get(series);
    if (!s) {
      s = {
        quarter: seriesPrefix(series.quarterMeasurement, series.tags), day: seriesPrefix(series.dayMeasurement, series.tags),
        field: QUANTITY_FIELD[series.medium], estimated: ESTIMATED_FIELD[series.medium],
      };
      this.energy.set(series, s);
    }
    return s;
  }

  /** The start of a telemetry line, `value=` included; the device's gateway is the batch's (judged before). */
  private telemetryPrefix(d: Device, point: string, quality: string): string {
    let byQuality = this.telemetry.get(d.id);
    if (!byQuality) this.telemetry.set(d.id, (byQuality = new Map()));
    let byPoint = byQuality.get(quality);
    if (!byPoint) byQuality.set(quality, (byPoint = new Map()));
    let prefix = byPoint.get(point);
    if (prefix === undefined) {
      if (++this.telemetrySeries > this.maxTelemetrySeries) {
        this.telemetry = new Map();
        this.telemetrySeries = 0; // the non-ASCII count stays: lines rendered before may hold such a prefix
        return this.telemetryPrefix(d, point, quality);
      }
      prefix = `${seriesPrefix(MEASUREMENT.telemetry, { site: this.siteId, building: d.building, gateway: d.gateway, device: d.id, point, quality })} value=`;
      if (!ASCII.test(prefix)) this.nonAsciiPrefixes++;
      byPoint.set(point, prefix);
    }
    return prefix;
  }
}
