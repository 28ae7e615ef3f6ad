import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alertTestSite } from '../testing/site.ts';
import { loadAlertRules } from './load.ts';

const dir = mkdtempSync(join(tmpdir(), 'alert-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const site = alertTestSite();
let n = 0;
function load(text: string, env: NodeJS.ProcessEnv = {}) {
  const file = join(dir, `rules-${n++}.yaml`);
  writeFileSync(file, text);
  return { file, load: () => loadAlertRules(file, site, env) };
}

const GOOD = `version: 1
default_channels: [ops]
channels:
  - id: ops
    type: dingtalk
    url: \${DINGTALK_URL}
    secret: \${DINGTALK_SECRET}
rules:
  - id: hvac-power
    kind: threshold
    name: 空调功率过高
    severity: major
    scope: { tag: [hvac-plant] }
    point: power_kw
    above: 500
    recover: 450
    for: 5m
    message: "{building_name}{device_name} 功率 {value} {unit}，超过 {threshold} {unit}"
  - id: night-energy
    kind: threshold
    name: 一号楼夜间能耗
    severity: minor
    scope: { building: [b1], category: ['01000'] }
    interval_energy: 15m
    above: 20
  - id: meters-stale
    kind: stale
    name: 表计无数据
    severity: major
    after: 15m
  - id: offline
    kind: device_state
    name: 设备离线
    severity: critical
    states: [offline, degraded]
    for: 2m
  - id: counters
    kind: counter
    name: 计数器异常
    severity: minor
    scope: { template: [chint-dtsu666] }
    events: [reset, rollover, implausible]
`;

describe('alert rules file', () => {
  it('loads rules, resolves scopes and reads secrets from the environment', () => {
    const cfg = load(GOOD, { DINGTALK_URL: 'http://127.0.0.1:1/robot/send?access_token=t', DINGTALK_SECRET: 'SECabc' }).load();
    const byId = new Map(cfg.rules.map((r) => [r.rule.id, r]));
    expect(byId.get('hvac-power')!.devices.map((d) => d.id)).toEqual(['hvac']);
    expect(byId.get('hvac-power')!.for_ms).toBe(300_000);
    expect(byId.get('night-energy')!.devices.map((d) => d.id)).toEqual(['main']);
    expect(byId.get('meters-stale')!.devices).toHaveLength(4);
    expect(byId.get('counters')!.devices.map((d) => d.id)).toEqual(['main', 'lighting', 'hvac']);
    expect(byId.get('offline')!.channels).toEqual(['ops']);
    expect(cfg.channels.get('ops')).toMatchObject({ type: 'dingtalk', secret: 'SECabc' });
  });

  const cases: [string, string, (text: string) => string, RegExp][] = [
    ['an unset environment variable', '', (t) => t, /rules-\d+\.yaml:6: channels\[0\]\.url: environment variable DINGTALK_URL is not set$/],
    ['a misspelt setting', 'env', (t) => t.replace('recover: 450', 'recovr: 450'), /:16: rules\[0\]\.recovr: unknown setting \(check its spelling\)$/],
    ['a recovery threshold above the threshold', 'env', (t) => t.replace('recover: 450', 'recover: 550'), /:16: rules\[0\]\.recover: must not be above 'above' \(500\)/],
    ['both point and interval energy', 'env', (t) => t.replace('interval_energy: 15m', 'interval_energy: 15m\n    point: power_kw'), /:25: rules\[1\]\.point: give exactly one of 'point' and 'interval_energy'$/],
    ['an unknown building', 'env', (t) => t.replace('building: [b1]', 'building: [b9]'), /:23: rules\[1\]\.scope\.building\[0\]: unknown building 'b9'$/],
    ['a tag no device has', 'env', (t) => t.replace('tag: [hvac-plant]', 'tag: [hvac-plnat]'), /:13: rules\[0\]\.scope\.tag\[0\]: no enabled device of the site has tag 'hvac-plnat'$/],
    ['an unknown placeholder', 'env', (t) => t.replace('{device_name}', '{devce_name}'), /:18: rules\[0\]\.message: unknown placeholder \{devce_name\}/],
    ['an unknown channel', 'env', (t) => t.replace('default_channels: [ops]', 'default_channels: [opz]'), /:2: default_channels\[0\]: unknown channel 'opz'$/],
    ['an unknown rule kind', 'env', (t) => t.replace('kind: stale', 'kind: stail'), /rules\[2\]: 'kind' must be one of "threshold", "stale", "device_state", "counter", "daily_energy", .*"estimated_share"$/],
    ['a bad severity', 'env', (t) => t.replace('severity: critical', 'severity: urgent'), /:34: rules\[3\]\.severity: must be one of "critical", "major", "minor", "info"$/],
    ['a bad duration', 'env', (t) => t.replace('for: 2m', 'for: 2 min'), /:36: rules\[3\]\.for: must match pattern .* \(a duration such as 30s, 5m, 2h or 1d\)$/],
    ['a point no device in scope publishes', 'env', (t) => t.replace('point: power_kw', 'point: power_kwh'), /:14: rules\[0\]\.point: no device in scope publishes point 'power_kwh'/],
    ['a rate of change of interval energy', 'env', (t) => t.replace('interval_energy: 15m', 'interval_energy: 15m\n    rate_per: 1h'), /:25: rules\[1\]\.rate_per: a rate of change needs 'point'$/],
    ['quiet hours that begin when they end', 'env', (t) => t.replace('default_channels: [ops]', 'default_channels: [ops]\nquiet_hours: { from: "22:00", to: "22:00" }'), /:3: quiet_hours\.to: must differ from 'from'$/],
    ['a quiet hour that is no time of day', 'env', (t) => t.replace('default_channels: [ops]', 'default_channels: [ops]\nquiet_hours: { from: "24:00", to: "07:00" }'), /:3: quiet_hours\.from: must match pattern/],
    ['a duplicate rule id', 'env', (t) => t.replace('id: counters', 'id: offline'), /:37: rules\[4\]\.id: duplicate rule id 'offline'$/],
    ['a scope of water meters on a counter rule of electricity templates', 'env', (t) => t.replace('template: [chint-dtsu666]', 'template: [chint-dtsu666], building: [b2]'), /rules\[4\]\.scope: matches no enabled device/],
  ];
  for (const [what, env, edit, expected] of cases) {
    it(`names file, line, path and problem in one line: ${what}`, () => {
      const { load: run } = load(edit(GOOD), env ? { DINGTALK_URL: 'http://x', DINGTALK_SECRET: 's' } : {});
      let message = '';
      try { run(); } catch (err) { message = (err as Error).message; }
      expect(message).toMatch(expected);
      expect(message).not.toContain('\n');
    });
  }
});

describe('the shipped sample rules', () => {
  it('config/alert-rules.yaml loads against the demo site', async () => {
    const { loadSite } = await import('../../core/site/load.ts');
    const demo = loadSite('config/demo-site.yaml');
    const env = { JIENENG_DINGTALK_URL: 'http://127.0.0.1:1/robot/send?access_token=x', JIENENG_DINGTALK_SECRET: 'SECx', JIENENG_SMTP_URL: 'smtp://127.0.0.1:25' };
    const cfg = loadAlertRules('config/alert-rules.yaml', demo, env);
    expect(cfg.rules.map((r) => r.rule.id)).toEqual(['main-power-high', 'hvac-quarter-energy', 'hot-water-tank-cold', 'meter-no-data', 'device-offline', 'counter-anomaly']);
    expect(cfg.rules.every((r) => r.devices.length > 0)).toBe(true);
  });

  it('config/demo-alerts.yaml (npm start) loads against the demo site without any environment', async () => {
    const { loadSite } = await import('../../core/site/load.ts');
    const cfg = loadAlertRules('config/demo-alerts.yaml', loadSite('config/demo-site.yaml'), {});
    expect(cfg.rules.map((r) => r.rule.kind)).toEqual(['device_state', 'stale', 'threshold', 'threshold', 'counter',
      'base_load', 'peak_demand', 'daily_energy', 'pv_performance', 'inverter_fault', 'sequence_gap', 'estimated_share']);
    const subjects = new Map(cfg.rules.map((r) => [r.rule.id, r.subjects.map((s) => s.id)]));
    expect(subjects.get('inverter-fault')).toEqual(['zhongshan-e290-pv-inv1']); // the SunSpec one: the Huawei map has no state point
    expect(subjects.get('pv-under-performance')).toEqual(['zhongshan-e290-pv']);
    expect(subjects.get('gateway-batches-missing')!.length).toBe(loadSite('config/demo-site.yaml').gateways.length);
    expect(cfg.rules.every((r) => r.channels.length === 0)).toBe(true);
  });
});
