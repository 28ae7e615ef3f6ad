/**
 * What the instances of a rule are about. Device rules watch the devices in scope; the scheduled KPI rules watch
 * buildings (their root meters' totals), meters, PV systems or contracts, and sequence-gap rules watch gateways.
 * A rule whose subjects come out empty is a configuration error naming why.
 */
import type { Device, Medium, SiteModel } from '../../core/site/schema.ts';
import type { AlertRule } from './schema.ts';

/** What an alert instance is about: a device, or a building, PV system, contract or gateway. */
export interface Subject {
  id: string;
  name: string;
  building: string;
  medium?: Medium;
}

type Fail = (path: (string | number)[], problem: string) => never;

/** The subjects of a rule, given the enabled devices its scope (and point) selected. */
export function ruleSubjects(rule: AlertRule, inScope: Device[], site: SiteModel, fail: Fail): Subject[] {
  const meters = (medium?: Medium) => inScope.filter((d) => d.kind === 'meter' && (medium === undefined || (d.medium ?? 'electricity') === medium));
  switch (rule.kind) {
    case 'daily_energy':
    case 'base_load': {
      const medium = rule.kind === 'daily_energy' ? rule.medium ?? 'electricity' : 'electricity';
      const ids = new Set(meters(medium).map((d) => d.building));
      const out = site.buildings.filter((b) => ids.has(b.id)).map((b) => ({ id: b.id, name: b.name, building: b.id, medium }));
      if (out.length === 0) fail(['scope'], `no ${medium} meter in scope: the rule judges buildings by their meters`);
      return out;
    }
    case 'peak_demand': {
      const out = meters('electricity');
      if (out.length === 0) fail(['scope'], 'no electricity meter in scope');
      return out;
    }
    case 'pv_performance': {
      const systems = site.pv_systems ?? [];
      rule.systems?.forEach((id, j) => { if (!systems.some((s) => s.id === id)) fail(['systems', j], `unknown PV system '${id}'`); });
      const out = systems.filter((s) => !rule.systems || rule.systems.includes(s.id)).map((s) => ({ id: s.id, name: s.name, building: s.building }));
      if (out.length === 0) fail(['systems'], 'the site has no PV system (pv_systems)');
      return out;
    }
    case 'contract_savings': {
      const contracts = site.contracts ?? [];
      rule.contracts?.forEach((id, j) => { if (!contracts.some((c) => c.id === id)) fail(['contracts', j], `unknown contract '${id}'`); });
      const buildingOf = (meter: string) => site.devices.find((d) => d.id === meter)?.building ?? site.buildings[0]?.id ?? '';
      const out = contracts
        .filter((c) => (!rule.contracts || rule.contracts.includes(c.id)) && c.type === 'guaranteed-savings' && c.guaranteed_kwh !== undefined)
        .map((c) => ({ id: c.id, name: c.name, building: buildingOf(c.meters[0]) }));
      if (out.length === 0) fail(['contracts'], 'no guaranteed-savings contract with guaranteed_kwh among the contracts');
      return out;
    }
    case 'sequence_gap': {
      const known = new Set(site.gateways.map((g) => g.id));
      rule.gateways?.forEach((id, j) => { if (!known.has(id)) fail(['gateways', j], `unknown gateway '${id}'`); });
      const ids = rule.gateways ?? [...new Set(inScope.map((d) => d.gateway))];
      return site.gateways.filter((g) => ids.includes(g.id)).map((g) => ({
        id: g.id, name: g.name ?? g.id, building: site.devices.find((d) => d.gateway === g.id)?.building ?? site.buildings[0]?.id ?? '',
      }));
    }
    case 'estimated_share':
      return inScope.filter((d) => d.kind === 'meter' || d.kind === 'inverter');
    default:
      return inScope;
  }
}
