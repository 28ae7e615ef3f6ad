/**
 * Template variables that show names and carry ids (decision 0408): each lists the `display_name` lookup the KPI
 * write-back keeps (`label` = `<id>=<name>`), and Grafana's regex with the named groups `value` and `text` makes
 * the id the value a query uses and the name what people read. Multi-value variables expand to `(a|b)` inside
 * `/^…$/`; "All" to `.*`.
 */
import { QueryVariableBuilder, VariableHide, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard';
import { MEASUREMENT } from '../../core/measurements.ts';
import { INFLUX } from './query.ts';

/** Splits `<id>=<name>` into value and text. */
export const LABEL_REGEX = '/^(?<value>[^=]+)=(?<text>.*)$/';

const lookup = (where: string) => `SELECT last("label") FROM "${MEASUREMENT.displayName}" WHERE ${where} GROUP BY "id"`;

function variable(name: string, label: string, query: string, opts: { multi?: boolean } = {}): QueryVariableBuilder {
  const v = new QueryVariableBuilder(name).label(label).datasource(INFLUX).query(query).definition(query)
    .regex(LABEL_REGEX).refresh(VariableRefresh.OnDashboardLoad).sort(VariableSort.AlphabeticalAsc).hide(VariableHide.DontHide);
  if (opts.multi) v.multi(true).includeAll(true).allValue('.*').current({ selected: true, text: ['全部'], value: ['$__all'] });
  else v.multi(false).includeAll(false);
  return v;
}

/** 站点: one site at a time. */
export const siteVariable = () => variable('site', '站点', lookup(`"kind" = 'site'`));

/** 建筑 of the chosen site; `multi` for boards that add buildings up. */
export const buildingVariable = (multi: boolean) =>
  variable('building', '建筑', lookup(`"kind" = 'building' AND "site" =~ /^$site$/`), { multi });

/** 计量表 (meters) of the chosen building(s). */
export const meterVariable = () =>
  variable('meter', '计量表', lookup(`"kind" = 'device' AND "device_kind" = 'meter' AND "building" =~ /^$building$/`), { multi: true });

/** HVAC devices (暖通设备) of the chosen building(s). */
export const hvacVariable = () =>
  variable('device', '暖通设备', lookup(`"kind" = 'device' AND "device_kind" = 'hvac' AND "site" =~ /^$site$/`), { multi: true });

/** 光伏系统 of the site. */
export const pvVariable = () => variable('pv', '光伏系统', lookup(`"kind" = 'pv_system' AND "site" =~ /^$site$/`));

/** 合同 (energy-performance contracts) of the site. */
export const contractVariable = () => variable('contract', '合同', lookup(`"kind" = 'contract' AND "site" =~ /^$site$/`));

/** 网关 of the site. */
export const gatewayVariable = () =>
  variable('gateway', '网关', lookup(`"kind" = 'gateway' AND "site" =~ /^$site$/`), { multi: true });

/** 逆变器 of the chosen PV system. */
export const inverterVariable = () =>
  variable('inverter', '逆变器', lookup(`"kind" = 'device' AND "device_kind" = 'inverter' AND "pv_system" =~ /^$pv$/`), { multi: true });

/** The irradiance sensor of the chosen PV system (hidden: a system has one). */
export const pvSensorVariable = () =>
  variable('pv_sensor', '辐照度传感器', lookup(`"kind" = 'device' AND "device_kind" = 'sensor' AND "pv_system" =~ /^$pv$/`)).hide(VariableHide.HideVariable);
