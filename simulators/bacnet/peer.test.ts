/**
 * The simulators seen by an independent BACnet implementation, bacnet-stack (test/harness/bacnet-stack.ts):
 * its `bacepics` walks each simulated controller the way building-management tools discover a device, and its
 * `bacrp`/`bacwp` read arrays by index and command and relinquish a set-point. Skipped, with the reason in the
 * title, only where the peer's source folder is absent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bacnetStackBin, bacnetStackMissing, bacnetTool, bacrp } from '../../test/harness/bacnet-stack.ts';
import { freeUdpPort } from '../../test/harness/ports.ts';
import { listTemplates, loadTemplate } from '../../gateway/devices/templates.ts';
import { formatObjectId } from '../../gateway/protocols/bacnet/objects.ts';
import type { BacnetTemplate } from '../../gateway/protocols/bacnet/template.ts';
import { simulatorObjects, startBacnetSimulators, type BacnetSimulators } from './index.ts';

/** Every shipped BACnet template that has a simulator (a physics model). */
const simulated = listTemplates().map((id) => loadTemplate(id)).filter((t): t is BacnetTemplate => t.protocol === 'bacnet' && t.physics !== undefined);

describe.skipIf(bacnetStackMissing)(`the simulators seen by bacnet-stack${bacnetStackMissing ? ` (${bacnetStackMissing})` : ''}`, () => {
  let sims: BacnetSimulators;

  beforeAll(async () => {
    bacnetStackBin();
    const specs = [];
    for (const [i, t] of simulated.entries()) specs.push({ template: t, deviceInstance: 5001 + i, name: `${t.id}-sim`, port: await freeUdpPort() });
    sims = await startBacnetSimulators(specs);
  }, 600_000);

  afterAll(async () => {
    await sims?.stop();
  });

  it('bacepics walks each simulated controller and finds every object with its required properties', async () => {
    expect(simulated.length).toBeGreaterThanOrEqual(5);
    for (const [i, t] of simulated.entries()) {
      const sim = sims.devices[i];
      const r = await bacnetTool('bacepics', ['-v', '-t', sim.address, String(5001 + i)]);
      expect(r.code, `${t.id}: ${r.stderr}`).toBe(0);
      const objects = simulatorObjects(t);
      expect(r.stdout, t.id).toContain(`-- Found ${objects.length + 1} Objects`);
      for (const o of objects) {
        const [type, instance] = formatObjectId(o.objectId).split(':');
        expect(r.stdout, `${t.id} ${type}:${instance}`).toContain(`object-identifier: (${type}, ${instance})`);
      }
      expect(r.stdout).toMatch(/database-revision: 1/);
      expect(r.stdout).toMatch(/property-list: \{/);
      // bacepics falls back to reading property by property when something fails; nothing here should.
      expect(r.stdout).not.toMatch(/unknown-property|Error/i);
    }
  });

  it('bacrp reads arrays by index; bacwp commands at a priority and relinquishes to Relinquish_Default', async () => {
    const i = simulated.findIndex((t) => t.id === 'hvac-fcu-zone');
    const sim = sims.devices[i];
    const dev = 5001 + i;
    expect((await bacrp(sim.address, dev, 'device', dev, 'object-list', 0)).stdout).toBe(String(simulatorObjects(simulated[i]).length + 1));
    expect((await bacrp(sim.address, dev, 'device', dev, 'object-list', 1)).stdout).toBe(`(device, ${dev})`);
    const wp = (args: string[]) => bacnetTool('bacwp', ['--mac', sim.address, '--dnet', '0', String(dev), 'analog-value', '1', 'present-value', ...args]);
    const pv = async () => (await bacrp(sim.address, dev, 'analog-value', 1, 'present-value')).stdout;
    const relinquishDefault = (await bacrp(sim.address, dev, 'analog-value', 1, 'relinquish-default')).stdout;
    expect((await wp(['9', '-1', '4', '24.5'])).stdout).toMatch(/Acknowledged/); // REAL 24.5 at priority 9
    expect(await pv()).toBe('24.500000');
    expect((await bacrp(sim.address, dev, 'analog-value', 1, 'priority-array', 9)).stdout).toBe('24.500000');
    expect((await bacrp(sim.address, dev, 'analog-value', 1, 'current-command-priority')).stdout).toBe('9');
    expect((await bacrp(sim.address, dev, 'analog-value', 1, 'status-flags')).stdout).toBe('{false,false,false,false}');
    expect((await wp(['9', '-1', '0', '0'])).stdout).toMatch(/Acknowledged/); // NULL relinquishes
    expect(await pv()).toBe(relinquishDefault);
    expect((await bacrp(sim.address, dev, 'analog-value', 1, 'priority-array', 9)).stdout).toMatch(/null/i);
  });
});
