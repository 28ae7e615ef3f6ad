/**
 * What the collector writes and the API reads: measurement, tag and field names in storage.
 * InfluxQL users and Grafana boards query these names directly, so they are part of the public surface.
 *
 *  telemetry      tags: site, building, gateway, device, point, quality   field: value
 *                 every reading as received (after quality checks), one row per point
 *  energy_15m     tags: site, building, meter, medium, category
 *                 fields: <quantity>, estimated, estimated_<unit>, intervals, intervals_estimated
 *  energy_1d      same, per calendar day in the site's time zone (row time = local midnight)
 *                 <quantity> is the medium's interval field (energy_kwh, water_m3, gas_m3 …);
 *                 estimated = 1 when any of it was spread over a gap or follows a reset (D3), else 0;
 *                 provenance (issue 12): intervals = the 15-minute meter-intervals the row adds up,
 *                 intervals_estimated = how many of them hold an estimate, estimated_<unit> (ESTIMATED_FIELD)
 *                 = the quantity of those estimated intervals
 *                 virtual meters (site model) are rows here too, with meter = the virtual meter's id;
 *                 rows of parent and child meters overlap, so never sum this measurement across meters
 *  energy_building_15m / energy_building_1d   tags: site, building, medium, category   fields: as energy_15m
 *                 per building × category: category = MEDIUM_TOTAL_CATEGORY (e.g. 01000) is the building
 *                 total (its root meters); any other code sums the meters carrying it (see docs/collector.md)
 *  energy_site_15m / energy_site_1d   tags: site, medium, category, partition   fields: as energy_15m
 *                 per site × medium: the sum of the building totals (every building's root meters), written by
 *                 the collector that owns their energy (partition `k/N` of `--partition`, `0/1` without it);
 *                 a site or portfolio read adds up one series per partition instead of one per building
 *  energy_site_since   tags: site, partition   field: written_at — its time is the instant from which that
 *                 partition's site rows are complete (decision 0407): earlier windows read the building totals
 *  gateway_accounting   tags: site, gateway   fields: last_seq, gap_batches, recovered, lost, duplicates, stored,
 *                 restarts, queued, online — the collector's per-gateway seq accounting (decision 0309), one row
 *                 when it changes and at least every minute; `queued` and `online` from the gateway's status
 */
import type { Medium } from './site/schema.ts';

export const MEASUREMENT = {
  telemetry: 'telemetry',
  energy15m: 'energy_15m',
  energy1d: 'energy_1d',
  /** building rollups (collector): tags site, building, medium, category; fields <quantity>, estimated */
  buildingEnergy15m: 'energy_building_15m',
  buildingEnergy1d: 'energy_building_1d',
  /** site rollups (collector, decision 0407): tags site, medium, category, partition; fields as the building rollups */
  siteEnergy15m: 'energy_site_15m',
  siteEnergy1d: 'energy_site_1d',
  /** from when a partition's site rollups are complete (the row's time): tags site, partition; field written_at */
  siteEnergySince: 'energy_site_since',
  /**
   * counter events (collector/energy/counter-events.ts): tags site, building, meter, medium, kind (implausible |
   * new_track | reset | rollover); fields value (the reading), claimed_quantity (what the readings imply flowed:
   * not counted for implausible and new_track), plausible_quantity
   */
  counterEvent: 'counter_event',
  /**
   * derived daily KPIs (KPI write-back job, docs/dashboards.md): tags site, scope (building|site|pv_system|contract),
   * id; fields energy_kgce, *_per_m2, *_per_person, cost_cny, kwh_h00…23, pr, cumulative_savings_kwh …
   */
  kpi1d: 'kpi_1d',
  /**
   * names for the boards (KPI write-back, decision 0408): tags site, kind (site|building|device|gateway|pv_system|
   * contract), id, and for devices building, device_kind, pv_system; fields name, label (`<id>=<name>`)
   */
  displayName: 'display_name',
  /** dead letters (collector, collector/dead-letters.ts): tags site, gateway, reason; fields rejections, messages */
  deadLetter: 'dead_letter',
  /**
   * history imports (importer/, docs/import.md): one row per device and stored file, at the device's first reading;
   * tags site, building, device; fields to (last reading, UTC ms), readings, kind (counter|interval|telemetry),
   * file_sha256, by (who imported), imported_at (UTC ms) — what a value's `imported` provenance is read from
   */
  importLog: 'import_log',
  /** per-gateway seq accounting (collector): tags site, gateway; fields last_seq, gap_batches, recovered, lost … */
  gatewayAccounting: 'gateway_accounting',
  /**
   * device state transitions as the gateways publish them (collector/status-history.ts, decision 0409): tags site,
   * gateway, building, device; fields state_code (2 online, 1 degraded, 0 offline), state, label (Chinese), reason
   */
  deviceStatus: 'device_status',
  /** gateway online/offline transitions (same module): tags site, gateway; fields as device_status */
  gatewayStatus: 'gateway_status',
  /**
   * alert lifecycle transitions (alerts/board-events.ts, decision 0409): tags site, rule, severity, building, device;
   * fields state (firing | resolved | acknowledged), state_code (condition after the row: 2 firing, 1 acknowledged, 0 resolved), summary (the Chinese message), value, event_id
   */
  alertEvent: 'alert_event',
} as const;

/**
 * The category code a building rollup uses for the whole medium (MOHURD 2008 分类 codes): the building total
 * is the sum of the building's root meters of that medium; other codes sum the meters carrying them.
 */
export const MEDIUM_TOTAL_CATEGORY: Record<Medium, string> = {
  electricity: '01000',
  water: '02000',
  gas: '03000',
  heat: '04000',
  cooling: '05000',
};

export const INTERVAL_15M_MS = 15 * 60_000;
export const DAY_MS = 86_400_000;

/** The storage field holding a medium's interval quantity; the unit is in the name. */
export const QUANTITY_FIELD: Record<Medium, string> = {
  electricity: 'energy_kwh',
  water: 'water_m3',
  gas: 'gas_m3',
  heat: 'heat_kwh',
  cooling: 'cooling_kwh',
};

/**
 * The field holding the estimated part of a row's quantity: the quantity of its 15-minute meter-intervals that
 * hold an estimate (gap spread, reset), in the unit of QUANTITY_FIELD.
 */
export const ESTIMATED_FIELD: Record<Medium, string> = {
  electricity: 'estimated_kwh',
  water: 'estimated_m3',
  gas: 'estimated_m3',
  heat: 'estimated_kwh',
  cooling: 'estimated_kwh',
};

/** The provenance counts of an energy row: 15-minute meter-intervals present, and how many are estimated. */
export const INTERVALS_FIELD = 'intervals';
export const INTERVALS_ESTIMATED_FIELD = 'intervals_estimated';

/** The cumulative point a meter of this medium publishes, from which interval quantities are derived. */
export const COUNTER_POINT: Record<Medium, string> = {
  electricity: 'energy_import_kwh',
  water: 'water_m3',
  gas: 'gas_m3',
  heat: 'heat_kwh',
  cooling: 'cooling_kwh',
};

/**
 * The cumulative AC energy an inverter publishes (SunSpec model 10x `WH`, vendors' accumulated yield). The
 * collector derives an inverter's interval energy from it like a meter's, as medium electricity: the inverter's
 * rows (energy_15m / energy_1d, meter = the inverter's id) hold the energy it *generated*, positive — the one
 * place where a positive kWh is not an import — and never enter a building's consumption totals.
 */
export const GENERATION_COUNTER_POINT = 'energy_yield_kwh';

/** The unit shown to people for a medium's interval quantity. */
export const QUANTITY_UNIT: Record<Medium, string> = {
  electricity: 'kWh',
  water: 'm³',
  gas: 'm³',
  heat: 'kWh',
  cooling: 'kWh',
};
