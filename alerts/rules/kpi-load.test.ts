/** The loader's checks of the KPI and pipeline rule kinds: each problem one line naming the setting. */
import { describe, expect, it } from 'vitest';
import { kpiTestSite } from '../testing/kpi-site.ts';
import { alertTestSite } from '../testing/site.ts';
import { checkAlertRules } from './load.ts';

const site = kpiTestSite();
const load = (rule: object, s = site) => checkAlertRules({ version: 1, rules: [{ id: 'r', name: '规则', severity: 'minor', ...rule }] }, s, 'rules.yaml');
const problem = (rule: object, s = site) => {
  try {
    load(rule, s);
    return '';
  } catch (err) {
    return (err as Error).message;
  }
};

describe('KPI and pipeline rules in the rules file', () => {
  it('resolves each kind to its subjects: buildings, meters, PV systems, contracts, gateways, inverters', () => {
    const subjects = (rule: object) => load(rule).rules[0].subjects.map((s) => s.id);
    expect(subjects({ kind: 'base_load', above_kw: 10 })).toEqual(['b1']);
    expect(subjects({ kind: 'daily_energy', above_pct: 20, medium: 'water' })).toEqual(['b2']);
    expect(subjects({ kind: 'peak_demand', contracted_kw: 300, scope: { building: ['b1'] } })).toEqual(['main', 'lighting', 'hvac']);
    expect(subjects({ kind: 'pv_performance', below: 0.7 })).toEqual(['pv1']);
    expect(subjects({ kind: 'contract_savings' })).toEqual(['emc1']);
    expect(subjects({ kind: 'sequence_gap', scope: { building: ['b2'] } })).toEqual(['gw2']);
    expect(subjects({ kind: 'inverter_fault' })).toEqual(['pv-inv']);
    expect(subjects({ kind: 'estimated_share', above_pct: 10, scope: { building: ['b2'] } })).toEqual(['water']);
    const kpi = load({ kind: 'base_load', above_kw: 10 }).rules[0];
    expect([kpi.for_ms, kpi.keep_firing_for_ms]).toEqual([0, 0]); // a daily verdict stands until the next
    expect(load({ kind: 'sequence_gap' }).rules[0].open_for_ms).toBe(120_000);
  });

  it('names what is wrong', () => {
    expect(problem({ kind: 'pv_performance', below: 0.7, systems: ['pv9'] })).toBe("rules.yaml: rules[0].systems[0]: unknown PV system 'pv9'");
    expect(problem({ kind: 'pv_performance', below: 0.7 }, alertTestSite())).toBe('rules.yaml: rules[0].systems: the site has no PV system (pv_systems)');
    expect(problem({ kind: 'contract_savings', contracts: ['x'] })).toBe("rules.yaml: rules[0].contracts[0]: unknown contract 'x'");
    expect(problem({ kind: 'contract_savings' }, alertTestSite())).toBe('rules.yaml: rules[0].contracts: no guaranteed-savings contract with guaranteed_kwh among the contracts');
    expect(problem({ kind: 'sequence_gap', gateways: ['gw9'] })).toBe("rules.yaml: rules[0].gateways[0]: unknown gateway 'gw9'");
    expect(problem({ kind: 'base_load', above_kw: 1, scope: { building: ['b2'] } })).toBe('rules.yaml: rules[0].scope: no electricity meter in scope: the rule judges buildings by their meters');
    expect(problem({ kind: 'peak_demand', contracted_kw: 1, scope: { device: ['water'] } })).toBe('rules.yaml: rules[0].scope: no electricity meter in scope');
    expect(problem({ kind: 'estimated_share', above_pct: 1, scope: { device: ['pv-sun'] } })).toMatch(/rules\[0\]\.scope: no meter in scope/);
    expect(problem({ kind: 'inverter_fault', scope: { device: ['main'] } })).toBe("rules.yaml: rules[0].point: no device in scope publishes point 'inverter_state' (see its device model)");
    expect(problem({ kind: 'daily_energy', above_pct: 20, weeks: 1 })).toMatch(/rules\[0\]\.weeks: must be >= 2/);
    expect(problem({ kind: 'base_load', above_kw: 1, night: { from: '22:00', to: '6:00' } })).toMatch(/rules\[0\]\.night\.to: must match pattern/);
  });
});
