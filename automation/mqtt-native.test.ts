/**
 * An MQTT-native controller commanded by automation: the demo's VRF unit (simulated, JSON over MQTT) behind the
 * gateway, on the embedded broker with the site's accounts. Commands go out as `{ "setTemp": … }` on the unit's
 * topic + /set; the gateway confirms each by the unit's next report. Without priorities, automation resolves the
 * layers itself: an override wins over the schedule and the schedule returns when it is cleared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hvacModelsForSite } from '../simulators/physics/hvac-site.ts';
import { startRig, type Rig } from './testing/rig.ts';

const at = (local: string) => Date.parse(`${local}+08:00`);
const VRF = 'zhongshan-m38-vrf-1';
const FILE = {
  version: 1,
  schedules: [{
    id: 'm38-vrf', name: '中山中路38号院多联机', building: 'zhongshan-m38',
    week: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [{ from: '08:00', to: '18:00' }]])),
    targets: [{ device: VRF, point: 'indoor_temp_setpoint_c', occupied: 26, unoccupied: 29 }],
  }],
};

describe('an MQTT-native VRF unit under a schedule', () => {
  let rig: Rig;
  beforeAll(async () => { rig = await startRig(FILE, at('2025-10-11T07:00'), { building: 'zhongshan-m38', devices: [VRF] }); }, 60_000);
  afterAll(async () => { await rig?.stop(); });
  const setpoint = () => hvacModelsForSite(rig.site, 7).get(VRF)!.setpoints.indoor_temp_setpoint_c;

  it("writes the set-back and the 调休 Saturday's occupied value, each confirmed by the unit's report", async () => {
    await rig.automation.tick();
    expect(setpoint()).toBe(29);
    rig.clock.ms = at('2025-10-11T08:00');
    const [w] = await rig.automation.tick();
    expect(w).toMatchObject({ device: VRF, value: 26, priority: null, outcome: 'written', origin: 'schedule:m38-vrf' });
    expect(setpoint()).toBe(26);
  }, 30_000);

  it('an override wins until cleared; writes the gateway cannot make are refused with the reason', async () => {
    const ov = await rig.automation.addOverride({ device: VRF, point: 'indoor_temp_setpoint_c', value: 24, until_ms: null, by: 'wang (k3)', comment: '' });
    expect(setpoint()).toBe(24);
    rig.clock.ms = at('2025-10-11T09:00');
    expect(await rig.automation.tick()).toEqual([]); // the schedule still asks 26: the override holds
    await rig.automation.clearOverride(ov.id, 'wang (k3)');
    expect(setpoint()).toBe(26);
    const refused = await rig.automation.command({ device: VRF, point: 'power_kw', value: 3, by: 'wang (k3)' });
    expect(refused).toMatchObject({ outcome: 'refused', detail: expect.stringMatching(/not configured writable/) });
    const relinquish = await rig.automation.command({ device: VRF, point: 'indoor_temp_setpoint_c', value: null, by: 'wang (k3)' });
    expect(relinquish).toMatchObject({ outcome: 'refused', detail: expect.stringMatching(/no command priorities/) });
  }, 30_000);
});
