/** The arbiter of one point: layers and priorities, limits, ramps and minimum on/off times (pure). */
import { describe, expect, it } from 'vitest';
import { PointArbiter } from './arbiter.ts';

const PRIO = { override: 8, demand: 10, schedule: 12 };
const MIN = 60_000;
const values = (r: ReturnType<PointArbiter['plan']>) => r.writes.map((w) => [w.value, w.priority ?? null, w.layer]);
/** An arbiter past its first plan (which relinquishes what a previous run may have left). */
function settled(a: PointArbiter): PointArbiter {
  a.plan(-MIN).writes.forEach((w) => a.confirm(w, -MIN));
  return a;
}

describe('BACnet points', () => {
  it('relinquish the demand and schedule priorities once after a start, not the operator\'s', () => {
    const a = new PointArbiter({ device: 'd', point: 'sp_c', bacnet: true }, PRIO);
    a.ask('schedule', 16, 'schedule:s');
    const p = a.plan(0);
    expect(values(p)).toEqual([[null, 10, 'demand'], [16, 12, 'schedule']]);
    p.writes.forEach((w) => a.confirm(w, 0));
    expect(a.plan(MIN).writes).toEqual([]);
  });

  it('write each layer at its priority and relinquish when it lets go', () => {
    const a = settled(new PointArbiter({ device: 'd', point: 'sp_c', bacnet: true, min: 12, max: 22 }, PRIO));
    a.ask('schedule', 16, 'schedule:s');
    a.ask('override', 20, 'override:u');
    let p = a.plan(0);
    expect(values(p)).toEqual([[20, 8, 'override'], [16, 12, 'schedule']]);
    p.writes.forEach((w) => a.confirm(w, 0));
    expect(a.effective()).toBe(20);
    expect(a.plan(MIN).writes).toEqual([]); // nothing new
    a.ask('schedule', null, 'schedule:s');
    p = a.plan(2 * MIN);
    expect(values(p)).toEqual([[null, 12, 'schedule']]);
  });

  it('refuse a value outside min/max once, without sending', () => {
    const a = settled(new PointArbiter({ device: 'd', point: 'sp_c', bacnet: true, min: 12, max: 22 }, PRIO));
    a.ask('demand', 25, 'demand:l');
    const p = a.plan(0);
    expect(p.writes).toEqual([]);
    expect(p.held).toMatchObject([{ outcome: 'refused', value: 25, priority: 10, detail: '25 is above the point\'s maximum 22' }]);
    expect(a.plan(MIN).held).toEqual([]); // told once
  });

  it('ramp at max_step_per_min from the measured value', () => {
    const a = settled(new PointArbiter({ device: 'd', point: 'sp_c', bacnet: true, max_step_per_min: 1 }, PRIO));
    a.ask('schedule', 19, 's');
    const steps: (number | null)[] = [];
    for (let t = 0; t < 5 * MIN; t += MIN) {
      const p = a.plan(t, 16);
      p.writes.forEach((w) => { steps.push(w.value); a.confirm(w, t); });
    }
    expect(steps).toEqual([17, 18, 19]);
  });

  it('a layer under a holding one is written without interlocks (it changes nothing at the device now)', () => {
    const a = settled(new PointArbiter({ device: 'd', point: 'sp_c', bacnet: true, max_step_per_min: 1 }, PRIO));
    a.ask('override', 20, 'o');
    a.plan(0).writes.forEach((w) => a.confirm(w, 0));
    a.ask('schedule', 12, 's');
    expect(values(a.plan(MIN, 20))).toEqual([[12, 12, 'schedule']]);
  });
});

describe('points without priorities (Modbus, MQTT)', () => {
  it('write the winning layer, and the release value when none holds', () => {
    const a = new PointArbiter({ device: 'd', point: 'sp_c', bacnet: false, release_value: 26 }, PRIO);
    a.ask('schedule', 24, 's');
    a.ask('override', 27, 'o');
    let p = a.plan(0);
    expect(values(p)).toEqual([[27, null, 'override']]);
    p.writes.forEach((w) => a.confirm(w, 0));
    a.ask('override', null, 'o');
    p = a.plan(MIN);
    expect(values(p)).toEqual([[24, null, 'schedule']]);
    p.writes.forEach((w) => a.confirm(w, MIN));
    a.ask('schedule', null, 's');
    expect(values(a.plan(2 * MIN))).toEqual([[26, null, 'schedule']]);
  });

  it('defer a switch inside the minimum on and off times', () => {
    const a = new PointArbiter({ device: 'd', point: 'unit_on', bacnet: false, min_on_s: 600, min_off_s: 300 }, PRIO);
    a.ask('schedule', 1, 's');
    a.plan(0, 0).writes.forEach((w) => a.confirm(w, 0));
    a.ask('demand', 0, 'demand:l');
    const early = a.plan(5 * MIN);
    expect(early.writes).toEqual([]);
    expect(early.held).toMatchObject([{ outcome: 'deferred', detail: 'minimum on time 600 s: on for 300 s' }]);
    const due = a.plan(10 * MIN);
    expect(values(due)).toEqual([[0, null, 'demand']]);
    due.writes.forEach((w) => a.confirm(w, 10 * MIN));
    a.ask('demand', null, 'demand:l');
    expect(a.plan(12 * MIN).held).toMatchObject([{ outcome: 'deferred', value: 1 }]);
    expect(values(a.plan(15 * MIN))).toEqual([[1, null, 'schedule']]);
  });
});
