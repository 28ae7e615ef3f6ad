/**
 * The gateway against an independent BACnet/IP implementation: bacnet-stack's demo device `bacserv` and its
 * tools (test/harness/bacnet-stack.ts). Scan, read, COV, write with priority and relinquish, restart.
 * Skipped, with the reason in the title, only where the peer's source folder is absent.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestSource } from '../../../test/harness/bacnet-source.ts';
import { bacnetStackBin, bacnetStackMissing, bacnetTool, bacrp, startBacserv, type Bacserv } from '../../../test/harness/bacnet-stack.ts';
import { freeUdpPort, waitFor } from '../../../test/harness/ports.ts';
import { loadTemplateFile } from '../../devices/templates.ts';
import { scanBacnet } from './scan.ts';
import type { BacnetTemplate } from './template.ts';

/** The demo device's objects as an integrator would map them (bacserv: analog-output 1 is in no-units). */
const TEMPLATE = `id: bacnet-stack-demo
protocol: bacnet
name: bacnet-stack demo device
kind: hvac
cov: true
cov_lifetime_s: 300
points:
  - { point: valve_pct, object: "analog-input:1", label: 阀门开度, units: percent }
  - { point: damper_pct, object: "analog-output:1", label: 风阀开度, writable: true, priority: 8, min: 0, max: 100 }
  - { point: pump_on, object: "binary-output:1", label: 水泵, writable: true, priority: 8 }
  - { point: fan_speed_state, object: "multi-state-value:1", label: 风速档位 }
  - { point: reader_state, object: "credential-data-input:0", label: 读卡器, cov: false }
`;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe.skipIf(bacnetStackMissing)(`the gateway against bacnet-stack${bacnetStackMissing ? ` (${bacnetStackMissing})` : ''}`, () => {
  let serv: Bacserv;
  let template: BacnetTemplate;
  const dir = mkdtempSync(join(tmpdir(), 'jn-bacnet-peer-'));

  beforeAll(async () => {
    bacnetStackBin();
    serv = await startBacserv(4001, 'jieneng-peer');
    writeFileSync(join(dir, 'bacnet-stack-demo.yaml'), TEMPLATE);
    template = loadTemplateFile(join(dir, 'bacnet-stack-demo.yaml')) as BacnetTemplate;
  }, 600_000);

  afterAll(async () => {
    await serv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scan lists the objects, and names the properties our codec cannot decode instead of failing', async () => {
    const lines: string[] = [];
    const [d] = await scanBacnet({ interface: '127.0.0.1', broadcast: '127.0.0.1', port: serv.port, localPort: await freeUdpPort(), targets: [serv.address], waitMs: 1500, print: (l) => lines.push(l) });
    expect(d).toMatchObject({ deviceInstance: 4001, name: 'jieneng-peer', vendor: 'BACnet Stack at SourceForge' });
    // Object_List less the Device object itself
    const count = Number((await bacrp(serv.address, 4001, 'device', 4001, 'object-list', 0)).stdout);
    expect(d.objects.length).toBe(count - 1);
    expect(d.objects.find((o) => o.id === 'analog-input:1')).toMatchObject({ name: 'ANALOG INPUT 1', units: 'percent', presentValue: 0 });
    expect(d.objects.find((o) => o.id === 'multi-state-value:1')).toMatchObject({ presentValue: 1 });
    // BACnetAuthenticationFactor: not decodable here, named per object and property; the objects' names still read
    const cdi = d.objects.filter((o) => o.id.startsWith('credential-data-input:'));
    expect(cdi.length).toBeGreaterThan(0);
    for (const o of cdi) expect(o).toMatchObject({ name: expect.stringMatching(/^CREDENTIAL DATA INPUT/), unreadable: ['present-value: answer could not be decoded'] });
    expect(d.objects.filter((o) => o.unreadable && !o.id.startsWith('credential-data-input:'))).toEqual([]);
    expect(lines.join('\n')).toMatch(/not readable \(\d+ object\(s\)\):\n\s+credential-data-input:0: present-value: answer could not be decoded/);
  });

  it('reads by RPM, subscribes COV, writes with priority and relinquishes to Relinquish_Default', async () => {
    const { src, latest } = await startTestSource(serv.port, 4001, template, cleanups, { pollIntervalMs: 500 });
    await waitFor('all points', () => Object.keys(latest()).length === 5, 15_000);
    expect(latest().valve_pct).toEqual({ value: 0, quality: 'good' });
    // A datatype our codec cannot decode spoils only its own point.
    expect(latest().reader_state).toEqual({ value: null, quality: 'bad', reason: 'answer could not be decoded' });
    expect(latest().fan_speed_state).toEqual({ value: 0, quality: 'good' }); // state 1 on the wire
    await waitFor('subscribed', () => src.stats().subscribed === 4, 15_000);
    expect(src.stats().rpm).toBe(true);

    await src.write('damper_pct', 42.5); // the point's priority, 8
    expect((await bacrp(serv.address, 4001, 'analog-output', 1, 'priority-array', 8)).stdout).toBe('42.500000');
    expect((await bacrp(serv.address, 4001, 'analog-output', 1, 'present-value')).stdout).toBe('42.500000');
    await waitFor('COV of the written value', () => latest().damper_pct?.value === 42.5, 10_000);
    // A command at a priority is normal operation, not an override: the value stays good.
    expect(latest().damper_pct.quality).toBe('good');
    await src.write('damper_pct', 60, 5); // a higher priority wins
    expect((await bacrp(serv.address, 4001, 'analog-output', 1, 'present-value')).stdout).toBe('60.000000');
    await src.write('damper_pct', null, 5);
    expect((await bacrp(serv.address, 4001, 'analog-output', 1, 'present-value')).stdout).toBe('42.500000');
    await src.write('damper_pct', null); // every slot empty: Relinquish_Default
    expect((await bacrp(serv.address, 4001, 'analog-output', 1, 'priority-array', 8)).stdout).toMatch(/null/i);
    const relinquishDefault = (await bacrp(serv.address, 4001, 'analog-output', 1, 'relinquish-default')).stdout;
    expect((await bacrp(serv.address, 4001, 'analog-output', 1, 'present-value')).stdout).toBe(relinquishDefault);
    await waitFor('COV back to the default', () => latest().damper_pct?.value === Number(relinquishDefault), 10_000);

    await src.write('pump_on', 1);
    expect((await bacrp(serv.address, 4001, 'binary-output', 1, 'present-value')).stdout).toBe('active');
    await waitFor('COV of the pump', () => latest().pump_on?.value === 1, 10_000);
    await src.write('pump_on', null);
    expect((await bacrp(serv.address, 4001, 'binary-output', 1, 'present-value')).stdout).toBe('inactive');
  });

  it('notices a restart by its I-Am and resubscribes COV at once, not at the next renewal', async () => {
    // The gateway's bus binds 0.0.0.0 to hear broadcasts; bacserv sends its start-up I-Am to the gateway's port.
    const localPort = await freeUdpPort();
    const dev = await startBacserv(4002, 'jieneng-restart', { broadcastPort: localPort });
    cleanups.push(() => dev.stop());
    // Polling and renewal far away (60 s, 300 s): after the restart only a resubscription brings COV back.
    const { src, latest } = await startTestSource(dev.port, 4002, template, cleanups, { pollIntervalMs: 60_000, localInterface: '0.0.0.0', localPort });
    await waitFor('subscribed', () => src.stats().subscribed === 4 && Object.keys(latest()).length === 5, 15_000);
    const before = src.stats().subscribeRequests;
    await dev.restart();
    await waitFor('resubscribed', () => src.stats().restarts === 1 && src.stats().subscribeRequests >= before + 4 && src.stats().subscribed === 4, 15_000);
    // A change made by someone else now arrives by COV from the restarted device.
    const wp = await bacnetTool('bacwp', ['--mac', dev.address, '--dnet', '0', '4002', 'analog-output', '1', 'present-value', '12', '-1', '4', '33']);
    expect(wp.stdout).toMatch(/Acknowledged/);
    await waitFor('COV after the restart', () => latest().damper_pct?.value === 33, 10_000);
  });
});
