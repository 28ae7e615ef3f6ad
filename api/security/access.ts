/**
 * Who may call what (issue #13, decision 0701): one table from `METHOD /path-template` (express's own template,
 * as the routes declare it) to the least role allowed and, for keys limited to buildings, which buildings a
 * request touches. The API refuses to start when a route has no entry (enforce.ts walks express's routes), and a
 * request that matches no entry is answered 404 before any route sees it.
 */
import type { ApiContext } from '../context.ts';
import type { Query } from '../params.ts';
import { resolveScope } from '../scope.ts';
import type { Role } from './roles.ts';

/** The buildings a request touches, or `site` when it covers the whole site (lists, site-wide figures). */
export type BuildingsOf = (params: Record<string, string>, query: Query, ctx: ApiContext) => string[] | 'site';

/** An entry of the table. */
export interface AccessRule {
  /** least role allowed; `public`: no key needed */
  role: Role | 'public';
  /** buildings touched; absent: the whole site (a key limited to buildings is refused) */
  buildings?: BuildingsOf;
  /** what the route is, for the README's table */
  note?: string;
}

const buildingId: BuildingsOf = (params) => [params.id];
const scoped: BuildingsOf = (_params, query, ctx) => {
  const scope = resolveScope(ctx, query);
  return scope.kind === 'site' ? 'site' : scope.buildings.map((b) => b.id);
};
const deviceBuilding: BuildingsOf = (params, _query, ctx) => [ctx.index.device(params.id).building];
const pvBuilding: BuildingsOf = (params, _query, ctx) => {
  const pv = ctx.index.site.pv_systems?.find((p) => p.id === params.id);
  return pv ? [pv.building] : 'site';
};

/** Route → least role. Every route of the API has one entry; a test fails on a route without one. */
export const ACCESS: Record<string, AccessRule> = {
  'GET /api/v1/openapi.json': { role: 'public', note: 'the API description' },
  'GET /api/v1/health': { role: 'public', note: 'status only; storage and broker details need a key' },
  'GET /api/v1/buildings': { role: 'viewer' },
  'GET /api/v1/buildings/:id/energy': { role: 'viewer', buildings: buildingId },
  'GET /api/v1/buildings/:id/breakdown': { role: 'viewer', buildings: buildingId },
  'GET /api/v1/buildings/:id/cost': { role: 'viewer', buildings: buildingId },
  'GET /api/v1/kpi/comprehensive-energy': { role: 'viewer', buildings: scoped },
  'GET /api/v1/kpi/intensity': { role: 'viewer', buildings: scoped },
  'GET /api/v1/pv-systems': { role: 'viewer' },
  'GET /api/v1/pv-systems/:id/performance': { role: 'viewer', buildings: pvBuilding },
  'GET /api/v1/devices': { role: 'technician' },
  'GET /api/v1/devices/:id/latest': { role: 'technician', buildings: deviceBuilding },
  'GET /api/v1/gateways': { role: 'technician' },
  'GET /metrics': { role: 'technician', note: 'Prometheus scrapes with a technician key (bearer_token)' },
  'POST /api/v1/imports/readings': { role: 'statistics', note: 'history import of readings, interval energy and temperatures (docs/import.md)' },
  'GET /api/v1/exports/annual': { role: 'statistics', note: 'the annual returns (XLSX or CSV) of the whole site or one org unit' },
  'GET /api/v1/exports/monthly': { role: 'statistics', note: "the energy manager's monthly report (XLSX): a month by building and 分类分项" },
  'GET /api/v1/returns/entries': { role: 'statistics', note: 'manual entries of the returns, with their history' },
  'POST /api/v1/returns/entries': { role: 'statistics', note: 'enter or correct manual entries (fuel, costs, headcount, area, bills)' },
  'POST /api/v1/returns/entries/upload': { role: 'statistics', note: 'a filled CSV/XLSX template, all or nothing' },
  'GET /api/v1/returns/entries/template': { role: 'statistics', note: 'the CSV/XLSX template of manual entries' },
  'GET /api/v1/alerts': { role: 'technician', note: 'alerts (docs/alerts.md)' },
  'POST /api/v1/alerts/:id/ack': { role: 'technician', note: 'acknowledge with a comment' },
  'POST /api/v1/alerts/grafana': { role: 'technician', note: "Grafana's webhook contact point, relayed to the channels" },
  'GET /api/v1/silences': { role: 'technician' },
  'POST /api/v1/silences': { role: 'technician', note: 'maintenance windows' },
  'DELETE /api/v1/silences/:id': { role: 'technician' },
  'GET /api/v1/alert-rules': { role: 'technician', note: 'the rules of the alert rules file' },
  'PUT /api/v1/alert-rules/:id': { role: 'manager', note: 'add or replace a rule, validated like the file' },
  'DELETE /api/v1/alert-rules/:id': { role: 'manager' },
  'GET /api/v1/contracts': { role: 'manager' },
  'GET /api/v1/contracts/:id/savings': { role: 'manager' },
  'GET /api/v1/automation/schedules': { role: 'manager', note: 'building automation (docs/automation.md)' },
  'GET /api/v1/automation/overrides': { role: 'manager' },
  'POST /api/v1/automation/overrides': { role: 'manager', note: 'hold a point above the programmes' },
  'DELETE /api/v1/automation/overrides/:id': { role: 'manager' },
  'GET /api/v1/automation/commands': { role: 'manager', note: 'command history with the devices\' answers' },
  'POST /api/v1/automation/commands': { role: 'manager', note: 'write a point now' },
  'GET /api/v1/automation/demand': { role: 'manager', note: 'demand limits and their effect' },
  'GET /api/v1/audit': { role: 'admin' },
  'GET /api/v1/keys': { role: 'admin' },
  'POST /api/v1/keys': { role: 'admin' },
  'DELETE /api/v1/keys/:id': { role: 'admin' },
};

/** A compiled entry: its method, literal segments (lower case: express matches case-insensitively) and params. */
interface Compiled { key: string; method: string; segments: { literal?: string; param?: string }[]; rule: AccessRule }

const compiled: Compiled[] = Object.entries(ACCESS).map(([key, rule]) => {
  const [method, template] = key.split(' ');
  const segments = template.split('/').slice(1).map((s) => (s.startsWith(':') ? { param: s.slice(1) } : { literal: s.toLowerCase() }));
  return { key, method, segments, rule };
});

/**
 * The entry of a request (HEAD is answered by GET routes, as express does) and its raw, undecoded path params;
 * undefined when no entry matches. One trailing slash is ignored (express's non-strict routing).
 */
export function findRule(method: string, path: string): { key: string; rule: AccessRule; params: Record<string, string> } | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  const parts = (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).split('/').slice(1);
  for (const c of compiled) {
    if (c.method !== m || c.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const seg = c.segments[i];
      if (seg.param !== undefined) {
        if (parts[i] === '') ok = false;
        else params[seg.param] = parts[i];
      } else if (parts[i].toLowerCase() !== seg.literal) ok = false;
    }
    if (ok) return { key: c.key, rule: c.rule, params };
  }
  return undefined;
}
