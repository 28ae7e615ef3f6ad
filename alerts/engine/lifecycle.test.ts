import { describe, expect, it } from 'vitest';
import { normalState, observe, tick, type Condition, type Transition } from './lifecycle.ts';

const S = 1000;
const MIN = 60 * S;

/** Feed [seconds, condition] and tick each second in between; the transitions with their second. */
function run(steps: [number, Condition][], timing: { for_ms: number; keep_firing_for_ms: number }, until_s: number): [number, Transition][] {
  const s = normalState();
  const out: [number, Transition][] = [];
  let i = 0;
  for (let sec = 0; sec <= until_s; sec++) {
    while (i < steps.length && steps[i][0] === sec) {
      const tr = observe(s, steps[i][1], sec * S, timing);
      if (tr) out.push([sec, tr]);
      i++;
    }
    const tr = tick(s, sec * S, timing);
    if (tr) out.push([sec, tr]);
  }
  return out;
}

describe('alert lifecycle', () => {
  it('is pending for `for`, then fires; resolves after keep_firing_for clear', () => {
    const steps: [number, Condition][] = [[0, 'breach'], [30, 'breach'], [70, 'breach'], [100, 'clear']];
    expect(run(steps, { for_ms: MIN, keep_firing_for_ms: 2 * MIN }, 400)).toEqual([[60, 'firing'], [220, 'resolved']]);
  });

  it('a breach shorter than `for` never notifies', () => {
    expect(run([[0, 'breach'], [40, 'clear'], [50, 'breach'], [90, 'clear']], { for_ms: MIN, keep_firing_for_ms: 0 }, 300)).toEqual([]);
  });

  it('the hysteresis band keeps a firing alert firing', () => {
    const steps: [number, Condition][] = [[0, 'breach'], [10, 'hold'], [200, 'hold'], [300, 'clear']];
    expect(run(steps, { for_ms: 0, keep_firing_for_ms: MIN }, 500)).toEqual([[0, 'firing'], [360, 'resolved']]);
  });

  it('a signal crossing its threshold 50 times in 10 minutes notifies once (and resolves once when it settles)', () => {
    const steps: [number, Condition][] = [];
    for (let k = 0; k < 50; k++) steps.push([k * 12, 'breach'], [k * 12 + 6, 'clear']);
    const out = run(steps, { for_ms: 0, keep_firing_for_ms: 2 * MIN }, 3600);
    expect(out.filter(([, t]) => t === 'firing')).toHaveLength(1);
    // flapping while 3 onsets lie within 10 minutes: the last clear (594 s) must last until the onset at 564 s leaves
    // the window (1164 s), not just keep_firing_for (714 s)
    expect(out).toEqual([[0, 'firing'], [1164, 'resolved']]);
  });

  it('slow flapping notifies at most three times before it is damped', () => {
    const steps: [number, Condition][] = [];
    for (let k = 0; k < 8; k++) steps.push([k * 150, 'breach'], [k * 150 + 10, 'clear']); // resolves after 60 s each time
    const out = run(steps, { for_ms: 0, keep_firing_for_ms: MIN }, 3600);
    expect(out.filter(([, t]) => t === 'firing').length).toBeLessThanOrEqual(3);
    expect(out.at(-1)![1]).toBe('resolved');
  });
});
