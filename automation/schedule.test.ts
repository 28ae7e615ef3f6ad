/**
 * Schedules end to end on an injected clock: the automation service, the embedded broker with the site's accounts,
 * the gateway and the BACnet simulators of the demo's building 1. One week of October 2025 — the National Day
 * holiday (1–8 October, 国办发明电〔2024〕12号) and its adjusted working Saturday 11 October (调休) — gives writes
 * at 08:00 and 18:00 on Thursday, Friday and that Saturday only; a manual override outranks the schedule; dry-run
 * writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoLocal } from '../api/params.ts';
import { startRig, type Rig } from './testing/rig.ts';

const AV = 2; // analog-value (clause 12.4)
const at = (local: string) => Date.parse(`${local}+08:00`);
const local = (ms: number) => isoLocal(ms, 8 * 3_600_000).slice(0, 16);

export const WEEK_FILE = {
  version: 1,
  schedules: [{
    id: 'b1-office', name: '1号楼办公时间', building: 'centre-b1',
    week: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [{ from: '08:00', to: '18:00' }]])),
    targets: [
      { device: 'centre-b1-ahu-1', point: 'supply_air_temp_setpoint_c', occupied: 17, unoccupied: 'release' },
      { device: 'centre-b1-chiller-plant', point: 'chw_supply_temp_setpoint_c', occupied: 7, unoccupied: 10 },
    ],
  }],
};

describe('a week of schedules through the gateway to BACnet devices', () => {
  let rig: Rig;
  beforeAll(async () => { rig = await startRig(WEEK_FILE, at('2025-10-05T00:00')); }, 60_000);
  afterAll(async () => { await rig?.stop(); });

  it('writes at the right times: 调休 Saturday works, holidays and Sunday do not', async () => {
    for (let t = at('2025-10-05T00:00'); t < at('2025-10-13T00:00'); t += 15 * 60_000) {
      rig.clock.ms = t;
      await rig.automation.tick();
    }
    const written = rig.automation.history({}).reverse().map((c) => [local(c.at_ms), c.device.replace('centre-b1-', ''), c.value, c.priority, c.outcome]);
    const day = (d: string) => [
      [`${d}T08:00`, 'ahu-1', 17, 12, 'written'], [`${d}T08:00`, 'chiller-plant', 7, 12, 'written'],
      [`${d}T18:00`, 'ahu-1', null, 12, 'written'], [`${d}T18:00`, 'chiller-plant', 10, 12, 'written'],
    ];
    // the start: what an earlier run may have left at priorities 10 and 12 is relinquished; the chiller is set back
    expect(written.slice(0, 4).sort()).toEqual([
      ['2025-10-05T00:00', 'ahu-1', null, 10, 'written'], ['2025-10-05T00:00', 'ahu-1', null, 12, 'written'],
      ['2025-10-05T00:00', 'chiller-plant', 10, 12, 'written'], ['2025-10-05T00:00', 'chiller-plant', null, 10, 'written'],
    ].sort());
    expect(written.slice(4).sort()).toEqual([...day('2025-10-09'), ...day('2025-10-10'), ...day('2025-10-11')].sort());
    expect(rig.automation.schedules()[0].today).toMatchObject({ date: '2025-10-12', kind: 'sun', calendar_known: true });
    // what the devices hold: the chiller set back at priority 12, the AHU relinquished
    expect((await rig.priorityArray('centre-b1-chiller-plant', AV, 1))[11]).toBe(10);
    expect((await rig.priorityArray('centre-b1-ahu-1', AV, 1)).every((v) => v === null)).toBe(true);
  }, 60_000);

  it('a manual override at priority 8 wins over the schedule until it is cleared', async () => {
    rig.clock.ms = at('2025-10-13T10:00'); // Monday, occupied
    await rig.automation.tick();
    expect((await rig.priorityArray('centre-b1-ahu-1', AV, 1))[11]).toBe(17);
    const ov = await rig.automation.addOverride({ device: 'centre-b1-ahu-1', point: 'supply_air_temp_setpoint_c', value: 20, until_ms: null, by: 'zhang (k1)', comment: '会议室偏冷' });
    let pa = await rig.priorityArray('centre-b1-ahu-1', AV, 1);
    expect([pa[7], pa[11]]).toEqual([20, 17]);
    rig.clock.ms = at('2025-10-13T18:00'); // the programme ends: it relinquishes its own priority only
    await rig.automation.tick();
    pa = await rig.priorityArray('centre-b1-ahu-1', AV, 1);
    expect([pa[7], pa[11]]).toEqual([20, null]);
    expect(await rig.automation.clearOverride(ov.id, 'zhang (k1)')).toBe(true);
    expect((await rig.priorityArray('centre-b1-ahu-1', AV, 1)).every((v) => v === null)).toBe(true);
    const audit = rig.automation.history({ device: 'centre-b1-ahu-1', limit: 3 }).reverse().map((c) => [c.value, c.priority, c.origin, c.outcome]);
    expect(audit).toEqual([[20, 8, 'override:zhang (k1)', 'written'], [null, 12, 'schedule:b1-office', 'written'], [null, 8, 'override:zhang (k1)', 'written']]);
  }, 30_000);

  it('a write the gateway refuses is audited with its reason; limits refuse before sending', async () => {
    const refused = await rig.automation.command({ device: 'centre-b1-ahu-1', point: 'supply_air_temp_c', value: 15, by: 'li (k2)' });
    expect(refused).toMatchObject({ outcome: 'refused', origin: 'api:li (k2)', priority: 8 });
    expect(refused.detail).toMatch(/not configured writable/);
    await expect(rig.automation.command({ device: 'centre-b1-ahu-1', point: 'supply_air_temp_setpoint_c', value: 30, by: 'li (k2)' })).rejects.toThrow(/outside the limits/);
  }, 30_000);

  it('dry-run audits what it would write and sends nothing', async () => {
    const dry = await rig.startAnother({ ...WEEK_FILE, dry_run: true, schedules: [{ ...WEEK_FILE.schedules[0], targets: [WEEK_FILE.schedules[0].targets[0]] }] });
    rig.clock.ms = at('2025-10-14T09:00');
    const records = await dry.tick();
    expect(records.map((r) => [r.device, r.value, r.priority, r.outcome])).toEqual([['centre-b1-ahu-1', null, 10, 'dry-run'], ['centre-b1-ahu-1', 17, 12, 'dry-run']]);
    expect((await rig.priorityArray('centre-b1-ahu-1', AV, 1)).every((v) => v === null)).toBe(true);
  }, 30_000);

  it("starts the AHU (binary-output:1) at the programme's start and relinquishes the command at its end", async () => {
    const BO = 4; const BI = 3; const PV = 85; const RELINQUISH_DEFAULT = 104;
    const run = await rig.startAnother({ version: 1, schedules: [{
      id: 'b1-ahu-run', name: '1号楼空调箱启停', building: 'centre-b1', week: { sat: [{ from: '09:00', to: '12:00' }] },
      targets: [{ device: 'centre-b1-ahu-1', point: 'run_command_on', occupied: 1, unoccupied: 'release' }],
    }] });
    const step = async (local: string) => { rig.clock.ms = at(local); return (await run.tick()).map((w) => [w.value, w.priority, w.outcome]); };
    expect(await step('2025-10-18T08:30')).toEqual([[null, 10, 'written'], [null, 12, 'written']]); // a plain Saturday
    expect(await step('2025-10-18T09:00')).toEqual([[1, 12, 'written']]);
    const pa = await rig.priorityArray('centre-b1-ahu-1', BO, 1);
    expect([pa[11], pa.filter((v) => v !== null).length]).toEqual([1, 1]);
    expect(await rig.readProperty('centre-b1-ahu-1', BO, 1, PV)).toEqual([1]);
    // the simulated unit runs on the command, whatever its own time programme says
    expect(await rig.readProperty('centre-b1-ahu-1', BI, 1, PV)).toEqual([1]);
    expect(await step('2025-10-18T12:00')).toEqual([[null, 12, 'written']]);
    expect((await rig.priorityArray('centre-b1-ahu-1', BO, 1)).every((v) => v === null)).toBe(true);
    // relinquished: Present_Value is Relinquish_Default, the controller's own programme again
    expect(await rig.readProperty('centre-b1-ahu-1', BO, 1, PV)).toEqual(await rig.readProperty('centre-b1-ahu-1', BO, 1, RELINQUISH_DEFAULT));
    expect(await rig.readProperty('centre-b1-ahu-1', BI, 1, PV)).toEqual(await rig.readProperty('centre-b1-ahu-1', BO, 1, PV));
  }, 30_000);
});
