/**
 * The InfluxQL query of a panel as a typed builder of the Grafana foundation SDK, which has none for InfluxDB:
 * a raw InfluxQL target (`rawQuery: true`) of the provisioned data source, following the SDK's documented way of
 * adding a query type (a Dataquery variant with its own builder).
 */
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

/** The data source every board reads (dashboards/provisioning/datasources/influxdb.yaml). */
export const INFLUX: DataSourceRef = { type: 'influxdb', uid: 'jieneng-influxdb' };

/** Grafana's InfluxDB query model, raw-query subset. */
export interface InfluxQuery {
  refId?: string;
  hide?: boolean;
  datasource?: DataSourceRef;
  query: string;
  rawQuery: true;
  resultFormat: 'time_series' | 'table';
  /** legend text; `$tag_<key>` and `$col` are Grafana's alias patterns */
  alias?: string;
  _implementsDataqueryVariant(): void;
}

/** A raw InfluxQL target. */
export class InfluxQueryBuilder implements Builder<Dataquery> {
  private readonly internal: InfluxQuery;

  constructor(query: string) {
    this.internal = { datasource: INFLUX, query, rawQuery: true, resultFormat: 'time_series', _implementsDataqueryVariant() {} };
  }

  build(): InfluxQuery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  alias(alias: string): this {
    this.internal.alias = alias;
    return this;
  }

  table(): this {
    this.internal.resultFormat = 'table';
    return this;
  }
}

/** A query with its legend text. */
export function influx(query: string, alias?: string): InfluxQueryBuilder {
  const b = new InfluxQueryBuilder(query.replace(/\s+/g, ' ').trim());
  return alias === undefined ? b : b.alias(alias);
}

/** The local day grid of every daily and quarter-hour bar (decision 0008: the site's calendar). */
export const TZ = "tz('Asia/Shanghai')";
