/**
 * What every board shares: the board itself (uid, Chinese title, folder tag, Asia/Shanghai), the default range of
 * daily boards — the last seven complete local days, so a daily bar is never a partial "today" — and the filters
 * of the measurements the boards read.
 */
import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { MEASUREMENT } from '../../core/measurements.ts';
import { Board } from './panels.ts';

/** The last seven complete local days (Grafana rounds `from` down and `to` up to the day). */
export const LAST_7_DAYS = { from: 'now-7d/d', to: 'now-1d/d' };

export function board(uid: string, title: string, folderTag: string, time = LAST_7_DAYS): Board {
  const b = new DashboardBuilder(title).uid(uid).tags(['jieneng', folderTag]).timezone('Asia/Shanghai')
    .refresh('5m').time(time).weekStart('monday').readonly();
  return new Board(b);
}

export const KPI = `"${MEASUREMENT.kpi1d}"`;
export const BUILDING_1D = `"${MEASUREMENT.buildingEnergy1d}"`;
export const BUILDING_15M = `"${MEASUREMENT.buildingEnergy15m}"`;
export const TELEMETRY = `"${MEASUREMENT.telemetry}"`;
export const NAMES = `"${MEASUREMENT.displayName}"`;

/** kpi_1d rows of the chosen buildings, of the site, of one PV system or contract. */
export const KPI_BUILDINGS = `"scope" = 'building' AND "site" =~ /^$site$/ AND "id" =~ /^$building$/`;
export const KPI_SITE = `"scope" = 'site' AND "id" =~ /^$site$/`;

/**
 * Join a table grouped by an id tag with the names lookup (a second, table-format query) and show the name:
 * Grafana's organize (rename the id column to `id`), join-by-field on `id`, organize (hide ids and times).
 */
export function joinNames(idColumn: string, hide: string[] = []) {
  return [
    { id: 'organize', options: { renameByName: { [idColumn]: 'id' } } },
    { id: 'joinByField', options: { byField: 'id', mode: 'inner' } },
    { id: 'organize', options: { excludeByName: Object.fromEntries(['id', 'Time', 'Time 1', 'Time 2', ...hide].map((k) => [k, true])), renameByName: { name: '名称' } } },
  ];
}

/** The names of one kind of entity, as a table to join. */
export const namesQuery = (kind: string) => `SELECT last("name") AS "name" FROM ${NAMES} WHERE "kind" = '${kind}' AND "site" =~ /^$site$/ GROUP BY "id"`;
