/** `jieneng demo fault …` → a request file → the running demo's simulators (here: a recording target). */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCommand } from '../core/cli/command.ts';
import { watchDemoFaults, type FaultTarget } from './demo-faults.ts';
import { demoCommand } from './demo.ts';

const demo = (...argv: string[]) => runCommand(demoCommand, 'jieneng demo', argv);

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('demo faults from the command line', () => {
  it('drops a request the demo applies within a second and deletes; --clear takes the faults away', async () => {
    const data = mkdtempSync(join(tmpdir(), 'jieneng-demo-faults-'));
    dirs.push(data);
    const calls: string[] = [];
    const target: FaultTarget = {
      setValueFaults: (d, f) => calls.push(`value ${d} ${f.map((x) => x.kind).join('+') || 'none'}`),
      setProtocolFault: (d, f) => calls.push(`protocol ${d} ${f?.kind ?? 'none'}`),
    };
    const stop = watchDemoFaults(data, target, 50);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await demo('fault', '--data', data, 'inv1:set:points=inverter_state,value=7', 'm1:offline')).toBe(0);
    await vi.waitFor(() => expect(calls).toEqual(['value inv1 set', 'protocol m1 offline']), { timeout: 2000 });
    expect(await demo('fault', '--data', data, '--clear', 'inv1')).toBe(0);
    await vi.waitFor(() => expect(calls.slice(2)).toEqual(['value inv1 none', 'protocol inv1 none']), { timeout: 2000 });
    out.mockRestore();
    stop();
    expect(readdirSync(join(data, 'demo-faults'))).toEqual([]);
  });

  it('refuses a malformed fault with one line, before anything is written', async () => {
    const data = mkdtempSync(join(tmpdir(), 'jieneng-demo-faults-'));
    dirs.push(data);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await demo('fault', '--data', data, 'inv1:set:value=7')).toBe(2);
    expect(String(err.mock.calls[0][0])).toMatch(/^jieneng demo: 'inv1:set:value=7': set needs points=name\[\+name…\]/);
    err.mockRestore();
    expect(existsSync(join(data, 'demo-faults'))).toBe(false);
  });
});
