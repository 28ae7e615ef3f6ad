/** The automation file's checks: each problem one line naming file, line, setting and what is wrong. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSite } from '../core/site/load.ts';
import { automationCli } from './cli.ts';
import { loadAutomation } from './load.ts';

const site = loadSite('config/demo-site.yaml');
const dir = mkdtempSync(join(tmpdir(), 'jn-automation-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const load = (text: string) => {
  const file = join(dir, 'a.yaml');
  writeFileSync(file, text);
  return () => loadAutomation(file, site);
};
const schedule = (targets: string, extra = '') => `version: 1
schedules:
  - id: s1
    name: 办公
    building: centre-b1
    week:
      mon: [{ from: "08:00", to: "18:00" }]${extra}
    targets:
${targets}
`;

describe('automation file', () => {
  it('loads the demo file', () => {
    const c = loadAutomation('config/demo-automation.yaml', site);
    expect([c.schedules.length, c.demand_limits.length, c.points.size, c.priorities]).toEqual([3, 1, 5, { override: 8, demand: 10, schedule: 12 }]);
    // the template's limits and the file's, the narrower
    expect(c.points.get('centre-b1-ahu-1/supply_air_temp_setpoint_c')).toMatchObject({ min: 12, max: 22, max_step_per_min: 2, bacnet: true, gateway: 'gw-centre' });
    expect(c.points.get('centre-b1-ahu-1/run_command_on')).toMatchObject({ min_on_s: 900, min_off_s: 900, bacnet: true });
  });

  it('jieneng automation check says what the file holds', async () => {
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((text: string) => { out.push(text); return true; }) as typeof process.stdout.write;
    try {
      expect(await automationCli(['check', 'config/demo-automation.yaml', '--site', 'config/demo-site.yaml'])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(out.join('')).toBe('config/demo-automation.yaml: ok — 3 schedules, 1 demand limits, 5 commanded points\n');
  });

  it.each([
    [schedule('      - { device: centre-b1-ahu-1, point: supply_air_temp_c, occupied: 16, unoccupied: release }'),
      /a\.yaml:9: schedules\[0\]\.targets\[0\]\.point: point 'supply_air_temp_c' of centre-b1-ahu-1 is not writable in template hvac-ahu$/],
    [schedule('      - { device: no-such-ahu, point: supply_air_temp_setpoint_c, occupied: 16, unoccupied: release }'),
      /schedules\[0\]\.targets\[0\]\.device: no enabled device 'no-such-ahu' in the site model$/],
    [schedule('      - { device: centre-b1-ahu-1, point: supply_air_temp_setpoint_c, occupied: 30, unoccupied: release }'),
      /schedules\[0\]\.targets\[0\]\.occupied: 30 is outside centre-b1-ahu-1\/supply_air_temp_setpoint_c's limits \[12, 22\]$/],
    [schedule('      - { device: zhongshan-m38-vrf-1, point: indoor_temp_setpoint_c, occupied: 26, unoccupied: release }'),
      /targets\[0\]\.unoccupied: zhongshan-m38-vrf-1 has no command priorities: give the point a release_value under 'points', or a number here$/],
    [schedule('      - { device: centre-b1-ahu-1, point: supply_air_temp_setpoint_c, occupied: 16, unoccupied: release }', '\n      tue: [{ from: "18:00", to: "08:00" }]'),
      /a\.yaml:8: schedules\[0\]\.week\.tue\[0\]\.to: must be after 'from' \(18:00\)$/],
    [schedule('      - { device: centre-b1-ahu-1, point: supply_air_temp_setpoint_c, occupied: 16, unoccupied: release }', '\n      sat: [{ from: "8:00", to: "12:00" }]'),
      /schedules\/0\/week\/sat\/0\/from|schedules\[0\]\.week\.sat\[0\]\.from: must match pattern/],
    ['version: 1\ndemand_limits:\n  - { id: d, name: 需量, building: centre-b1, meter: centre-b1-lighting, contracted_max_kw: 500, loads: [{ device: centre-b1-ahu-1, point: supply_air_temp_setpoint_c, shed: 20, expected_kw: 3 }] }\n',
      /a\.yaml:3: demand_limits\[0\]\.meter: 'centre-b1-lighting' is a sub-meter of 'centre-b1-main': the contracted demand is the main meter's$/],
    ['version: 1\nschedules: []\ntick: 5\n', /a\.yaml:3: tick: unknown setting \(check its spelling\)$/],
  ])('refuses %#: one line', (text, message) => {
    const run = load(text);
    expect(run).toThrow(message);
    try { run(); } catch (err) { expect((err as Error).message).not.toContain('\n'); }
  });
});
