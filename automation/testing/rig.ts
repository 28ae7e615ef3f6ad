/**
 * A real automation chain for tests: the embedded aedes broker with the site's accounts, the demo site's building 1
 * (main meter and HVAC plant) on free loopback ports, its simulators, the gateway, and automation on an injected
 * clock. `priorityArray` reads a BACnet object's Priority_Array over the wire through a bus of its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../app/broker.ts';
import { ensureSiteCredentials } from '../../app/mqtt-credentials.ts';
import { logger } from '../../core/log.ts';
import type { SiteModel } from '../../core/site/schema.ts';
import { BacnetBus } from '../../gateway/protocols/bacnet/bus.ts';
import { startGateway, type RunningGateway } from '../../gateway/runtime.ts';
import { startSiteSimulators, type SiteSimulators } from '../../simulators/fleet.ts';
import { freeUdpPort } from '../../test/harness/ports.ts';
import { testSite } from '../../test/harness/site.ts';
import { checkAutomation } from '../load.ts';
import { startAutomation, type Automation } from '../runtime.ts';

/** BACnet PRIORITY_ARRAY (clause 12, property 87) and object types used by the tests. */
const PRIORITY_ARRAY = 87;

/** The running chain. */
export interface Rig {
  site: SiteModel;
  sims: SiteSimulators;
  automation: Automation;
  /** the injected clock: set it, then `automation.tick()` */
  clock: { ms: number };
  /** Priority_Array of a device's object (`analog-value:1`), slot 1 first, null where empty */
  priorityArray(device: string, objectType: number, instance: number): Promise<(number | null)[]>;
  /** another automation on the same chain (dry-run variants), stopped with the rig */
  startAnother(file: object): Promise<Automation>;
  stop(): Promise<void>;
}

/** Buildings and devices the rig keeps. */
export const RIG_DEVICES = ['centre-b1-main', 'centre-b1-lighting', 'centre-b1-hvac', 'centre-b1-power', 'centre-b1-ahu-1', 'centre-b1-chiller-plant'];

/** Start the chain with an automation file (as parsed YAML) at `startMs`; `devices` of `building` (default building 1). */
export async function startRig(file: object, startMs: number, where: { building: string; devices: string[] } = { building: 'centre-b1', devices: RIG_DEVICES }): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'jn-automation-'));
  const stops: (() => Promise<unknown> | unknown)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => { for (const s of stops.splice(0).reverse()) await s(); };
  try {
    const all = await testSite({ buildings: [where.building], pollIntervalS: 1 });
    const site = { ...all, site: { ...all.site, id: `auto-${process.pid}` }, devices: all.devices.filter((d) => where.devices.includes(d.id)) };
    const log = logger('test');
    const creds = ensureSiteCredentials(site, join(dir, 'mqtt'));
    const broker: EmbeddedBroker = await startEmbeddedBroker(0, '127.0.0.1', {
      auth: { site: site.site.id, accounts: creds.accounts, passwordHashes: creds.hashes, log },
    });
    stops.push(() => broker.stop());
    const account = (name: string) => ({ username: name, password: creds.passwords.get(name)! });
    const sims = await startSiteSimulators({
      site, seed: 7, only: site.devices.filter((d) => d.kind === 'hvac').map((d) => d.id), mqttUrl: broker.url, mqttOptions: (device) => account(`device-${device}`),
    });
    stops.push(() => sims.stop());
    for (const g of site.gateways) {
      const gw: RunningGateway = await startGateway({ site, gatewayId: g.id, mqttUrl: broker.url, dataDir: join(dir, g.id), mqttOptions: account(`gateway-${g.id}`) });
      stops.push(() => gw.stop());
    }
    const clock = { ms: startMs };
    const start = async (f: object) => {
      const a = await startAutomation({
        site, config: checkAutomation(f, site), mqttUrl: broker.url, mqttOptions: account('automation'),
        dataDir: ':memory:', now: () => clock.ms, autoTick: false, commandTimeoutMs: 5000,
      });
      stops.push(() => a.stop());
      return a;
    };
    const automation = await start(file);
    const bus = await BacnetBus.open({ interface: '127.0.0.1', port: await freeUdpPort(), broadcastAddress: '127.0.0.1' });
    stops.push(() => bus.close());
    return {
      site, sims, automation, clock, stop, startAnother: start,
      async priorityArray(device, objectType, instance) {
        const d = site.devices.find((x) => x.id === device)!;
        if (d.address.protocol !== 'bacnet-ip') throw new Error(`${device} is not a BACnet device`);
        const values = await bus.readProperty(`127.0.0.1:${d.address.port}`, { type: objectType, instance }, PRIORITY_ARRAY);
        return values.map((v) => (v.value === null || v.value === undefined ? null : Number(v.value)));
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
