/**
 * Schedule-driven writes at an independent BACnet device: bacnet-stack's demo server `bacserv` behind the gateway,
 * described by an integrator's template, driven by automation on an injected clock through the embedded broker.
 * Over 10–12 October 2025 (Friday, the adjusted working Saturday 调休, Sunday) the schedule's priority (12) holds
 * the damper at 80 % from 08:00 to 18:00 on Friday and Saturday only, read back with bacnet-stack's `bacrp`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bacnetStackBin, bacnetStackMissing, bacrp, startBacserv, type Bacserv } from '../test/harness/bacnet-stack.ts';
import { freeUdpPort } from '../test/harness/ports.ts';
import type { Automation } from './runtime.ts';
import { integratorSite, startChain, type Chain } from './testing/rig.ts';

const INSTANCE = 4107;
/** bacserv's objects as an integrator maps them (its analog-output 1 is in no-units). */
const TEMPLATE = `id: bacserv-damper
protocol: bacnet
name: bacnet-stack demo device as a damper controller
kind: hvac
cov: false
points:
  - { point: damper_pct, object: "analog-output:1", label: 风阀开度, writable: true, priority: 16, min: 0, max: 100 }
`;
const at = (local: string) => Date.parse(`${local}+08:00`);

describe.skipIf(bacnetStackMissing)(`schedules at bacnet-stack's server${bacnetStackMissing ? ` (${bacnetStackMissing})` : ''}`, () => {
  let serv: Bacserv | undefined;
  let chain: Chain | undefined;
  let cleanup = () => {};
  let automation: Automation;

  beforeAll(async () => {
    bacnetStackBin();
    serv = await startBacserv(INSTANCE, 'jieneng-automation-peer');
    const made = integratorSite('bacserv-damper', TEMPLATE, {
      id: 'b1-damper', name: '1号楼新风阀',
      address: { protocol: 'bacnet-ip', host: '127.0.0.1', port: serv.port, device_instance: INSTANCE, local_interface: '127.0.0.1', local_port: await freeUdpPort() },
    }, 5);
    cleanup = made.cleanup;
    chain = await startChain(made.site, {
      version: 1,
      schedules: [{
        id: 'b1-fresh-air', name: '1号楼新风', building: 'centre-b1',
        week: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [{ from: '08:00', to: '18:00' }]])),
        targets: [{ device: 'b1-damper', point: 'damper_pct', occupied: 80, unoccupied: 'release' }],
      }],
    }, at('2025-10-10T07:00'));
    automation = chain.automation;
  }, 600_000);

  afterAll(async () => {
    await chain?.stop();
    await serv?.stop();
    cleanup();
  });

  it('holds priority 12 in the occupied hours of Friday and the 调休 Saturday, and relinquishes it after', async () => {
    const slot12 = async () => (await bacrp(serv!.address, INSTANCE, 'analog-output', 1, 'priority-array', 12)).stdout;
    const seen: string[] = [];
    // the start relinquishes what an earlier run may have left at the demand and schedule priorities
    expect((await automation.tick()).map((w) => [w.value, w.priority, w.outcome])).toEqual([[null, 10, 'written'], [null, 12, 'written']]);
    for (let t = at('2025-10-10T07:30'); t <= at('2025-10-12T20:00'); t += 30 * 60_000) {
      chain!.clock.ms = t;
      const written = await automation.tick();
      if (written.length === 0) continue;
      expect(written.map((w) => w.outcome)).toEqual(['written']);
      seen.push(`${new Date(t + 8 * 3_600_000).toISOString().slice(0, 16)} ${(await slot12()).toLowerCase()}`);
    }
    expect(seen).toEqual([
      '2025-10-10T08:00 80.000000', '2025-10-10T18:00 null',
      '2025-10-11T08:00 80.000000', '2025-10-11T18:00 null',
    ]);
    // nothing else of ours is left at the device
    const array = (await bacrp(serv!.address, INSTANCE, 'analog-output', 1, 'priority-array')).stdout;
    expect(array.toLowerCase()).not.toMatch(/80\.0/);
  }, 120_000);
});
