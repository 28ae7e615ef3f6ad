/**
 * Panel helpers over the foundation SDK's panel builders: a layout cursor (boards are rows of panels, 24 columns
 * wide), units as Grafana's unit ids, and the few panel shapes the boards use — stat, time series (lines or
 * bars, stacked where parts add up to a whole), table, heat map, state timeline.
 */
import { DashboardBuilder, type GridPos } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  BarAlignment, BigValueColorMode, BigValueGraphMode, GraphDrawStyle, LegendDisplayMode, LegendPlacement,
  ReduceDataOptionsBuilder, StackingConfigBuilder, StackingMode, VizLegendOptionsBuilder, VizOrientation,
} from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as HeatmapBuilder } from '@grafana/grafana-foundation-sdk/heatmap';
import { PanelBuilder as StateTimelineBuilder } from '@grafana/grafana-foundation-sdk/statetimeline';
import type { InfluxQueryBuilder } from './query.ts';
import { INFLUX } from './query.ts';

/** Grafana unit ids of the units the boards show (custom ones as `suffix:`). */
export const UNIT = {
  kwh: 'kwatth',
  kw: 'kwatt',
  kgce: 'suffix: kgce',
  kgcePerM2: 'suffix: kgce/m²',
  kgcePerPerson: 'suffix: kgce/人',
  kwhPerM2: 'suffix: kWh/m²',
  m3: 'suffix: m³',
  cny: 'currencyCNY',
  percent: 'percent',
  ratio: 'percentunit',
  celsius: 'celsius',
  wPerM2: 'suffix: W/m²',
  kwhPerM2Irr: 'suffix: kWh/m²',
  kwhPerKwp: 'suffix: kWh/kWp',
  count: 'short',
  none: 'none',
  dateTime: 'dateTimeAsIso',
} as const;

/** What every panel helper takes. */
export interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  targets: InfluxQueryBuilder[];
  w: number;
  h?: number;
  /** Grafana relative time of this panel (e.g. `now/d`), overriding the board's */
  timeFrom?: string;
  /** shift of this panel's range into the past (e.g. `7d`, `1y`) */
  timeShift?: string;
  decimals?: number;
  /** one panel per selected value of this variable (titles use `${var:text}`, the name) */
  repeat?: string;
}

/** Places panels left to right, wrapping at 24 columns. */
export class Board {
  private x = 0;
  private y = 0;
  private rowH = 0;
  private nextId = 1;

  constructor(readonly builder: DashboardBuilder) {}

  place(w: number, h: number): GridPos {
    if (this.x + w > 24) {
      this.x = 0;
      this.y += this.rowH;
      this.rowH = 0;
    }
    const pos = { x: this.x, y: this.y, w, h };
    this.x += w;
    this.rowH = Math.max(this.rowH, h);
    return pos;
  }

  /** Add a panel builder with its common settings. */
  add<P extends { id(n: number): P; title(t: string): P; description(d: string): P; unit(u: string): P; gridPos(g: GridPos): P; datasource(d: typeof INFLUX): P; withTarget(t: InfluxQueryBuilder): P; timeFrom(t: string): P; timeShift(t: string): P; decimals(d: number): P; repeat(v: string): P; maxPerRow(n: number): P; build(): unknown }>(panel: P, spec: PanelSpec, defaultH: number): this {
    panel.id(this.nextId++).title(spec.title).description(spec.description).unit(spec.unit).datasource(INFLUX).gridPos(this.place(spec.w, spec.h ?? defaultH));
    spec.targets.forEach((t, i) => panel.withTarget(t.refId(String.fromCharCode(65 + i))));
    if (spec.timeFrom) panel.timeFrom(spec.timeFrom);
    if (spec.timeShift) panel.timeShift(spec.timeShift);
    if (spec.decimals !== undefined) panel.decimals(spec.decimals);
    if (spec.repeat) panel.repeat(spec.repeat).maxPerRow(2);
    this.builder.withPanel(panel as never);
    return this;
  }

  /** One figure: the sum (or last, mean) of the query over the range. */
  stat(spec: PanelSpec & { calc?: 'sum' | 'lastNotNull' | 'mean' | 'max' }): this {
    const p = new StatBuilder().graphMode(BigValueGraphMode.None).colorMode(BigValueColorMode.Value)
      .reduceOptions(new ReduceDataOptionsBuilder().calcs([spec.calc ?? 'sum']).values(false).fields(''));
    return this.add(p, spec, 4);
  }

  /** Lines over time; `stack` stacks series that are parts of one whole, `fillBelowTo` draws a band. */
  lines(spec: PanelSpec & { stack?: boolean; band?: { upper: string; lower: string } }): this {
    const p = new TimeseriesBuilder().drawStyle(GraphDrawStyle.Line).fillOpacity(spec.stack ? 40 : 10).lineWidth(1)
      .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom))
      .stacking(new StackingConfigBuilder().mode(spec.stack ? StackingMode.Normal : StackingMode.None));
    if (spec.band) {
      p.overrideByName(spec.band.upper, [{ id: 'custom.fillBelowTo', value: spec.band.lower }, { id: 'custom.lineWidth', value: 0 }]);
      p.overrideByName(spec.band.lower, [{ id: 'custom.lineWidth', value: 0 }]);
    }
    return this.add(p, spec, 8);
  }

  /** Bars of calendar intervals (each a real day or quarter-hour), stacked when `stack`. */
  bars(spec: PanelSpec & { stack?: boolean; totalLine?: string }): this {
    const p = new TimeseriesBuilder().drawStyle(GraphDrawStyle.Bars).barAlignment(BarAlignment.After).fillOpacity(80).lineWidth(1)
      .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.Table).placement(LegendPlacement.Bottom).calcs(['sum']))
      .stacking(new StackingConfigBuilder().mode(spec.stack ? StackingMode.Normal : StackingMode.None));
    // the whole the stacked parts belong to: a line outside the stack
    if (spec.totalLine) {
      p.overrideByName(spec.totalLine, [
        { id: 'custom.stacking', value: { mode: StackingMode.None, group: 'total' } }, { id: 'custom.drawStyle', value: GraphDrawStyle.Line }, { id: 'custom.fillOpacity', value: 0 },
      ]);
    }
    return this.add(p, spec, 8);
  }

  /** A table; `transformations` are Grafana's (join with the names lookup, organize). */
  table(spec: PanelSpec & { transformations?: { id: string; options: unknown }[]; overrides?: Record<string, { id: string; value: unknown }[]> }): this {
    const p = new TableBuilder();
    for (const t of spec.transformations ?? []) p.withTransformation(t);
    for (const [name, props] of Object.entries(spec.overrides ?? {})) p.overrideByName(name, props);
    return this.add(p, spec, 8);
  }

  /** A heat map of prepared buckets: one field per row (hours 00…23), one column per day. */
  heatmap(spec: PanelSpec): this {
    const p = new HeatmapBuilder().calculate(false);
    return this.add(p, spec, 9);
  }

  /** States over time (on/off, modes), one row per series; `valueMappings` name and colour the values of every series. */
  states(spec: PanelSpec & { mappings?: Record<string, unknown[]>; valueMappings?: unknown[] }): this {
    const p = new StateTimelineBuilder();
    if (spec.valueMappings) p.mappings(spec.valueMappings as never);
    for (const [name, mappings] of Object.entries(spec.mappings ?? {})) p.overrideByName(name, [{ id: 'mappings', value: mappings }]);
    return this.add(p, spec, 8);
  }
}

export { VizOrientation };
