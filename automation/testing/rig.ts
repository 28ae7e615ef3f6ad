/**
 * A real automation chain for tests: the embedded aedes broker with the site's accounts, the site's gateways and
 * automation on an injected clock (`startChain`); the rig adds the demo site's building 1 (main meter and HVAC
 * plant) on free loopback ports with its simulators, and `priorityArray` reads a BACnet object's Priority_Array over
 * the wire through a bus of its own. `integratorSite` is building 1 with one device of an integrator's template.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../app/broker.ts';
import { ensureSiteCredentials } from '../../app/mqtt-credentials.ts';
import { logger } from '../../core/log.ts';
import { checkSite, loadSite } from '../../core/site/load.ts';
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
  /** one property of a device's object as numbers (null for NULL), e.g. Present_Value (85) */
  readProperty(device: string, objectType: number, instance: number, property: number): Promise<(number | null)[]>;
  /** another automation on the same chain (dry-run variants), stopped with the rig */
  startAnother(file: object): Promise<Automation>;
  stop(): Promise<void>;
}

/** A broker, the site's gateways and automation, stopped together. */
export interface Chain {
  automation: Automation;
  /** the injected clock: set it, then `automation.tick()` */
  clock: { ms: number };
  brokerUrl: string;
  /** the broker credentials of an account of the site */
  account(name: string): { username: string; password: string };
  /** another automation on the same chain (dry-run variants), stopped with it */
  startAnother(file: object): Promise<Automation>;
  /** what stops with the chain, last first; callers may add theirs */
  stops: (() => Promise<unknown> | unknown)[];
  stop(): Promise<void>;
}

/**
 * Start the embedded broker with the site's accounts, `beforeGateways` (simulators that need the broker), every
 * gateway of the site and automation with `file` (as parsed YAML) at `startMs`.
 */
export async function startChain(site: SiteModel, file: object, startMs: number, beforeGateways?: (c: Pick<Chain, 'brokerUrl' | 'account' | 'stops'>) => Promise<void>): Promise<Chain> {
  const dir = mkdtempSync(join(tmpdir(), 'jn-automation-'));
  const stops: Chain['stops'] = [() => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => { for (const s of stops.splice(0).reverse()) await s(); };
  try {
    const creds = ensureSiteCredentials(site, join(dir, 'mqtt'));
    const broker: EmbeddedBroker = await startEmbeddedBroker(0, '127.0.0.1', {
      auth: { site: site.site.id, accounts: creds.accounts, passwordHashes: creds.hashes, log: logger('test') },
    });
    stops.push(() => broker.stop());
    const account = (name: string) => ({ username: name, password: creds.passwords.get(name)! });
    await beforeGateways?.({ brokerUrl: broker.url, account, stops });
    for (const g of site.gateways) {
      const gw: RunningGateway = await startGateway({ site, gatewayId: g.id, mqttUrl: broker.url, dataDir: join(dir, g.id), mqttOptions: account(`gateway-${g.id}`) });
      stops.push(() => gw.stop());
    }
    const clock = { ms: startMs };
    const startAnother = async (f: object) => {
      const a = await startAutomation({
        site, config: checkAutomation(f, site), mqttUrl: broker.url, mqttOptions: account('automation'),
        dataDir: ':memory:', now: () => clock.ms, autoTick: false, commandTimeoutMs: 5000,
      });
      stops.push(() => a.stop());
      return a;
    };
    return { automation: await startAnother(file), clock, brokerUrl: broker.url, account, startAnother, stops, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The demo's building 1 with one gateway `gw-centre` and one device of an integrator's template (its YAML text,
 * written to a templates folder of its own that `site.templates_dir` names); `cleanup` removes the folder.
 */
export function integratorSite(templateId: string, templateText: string, device: Record<string, unknown>, pollIntervalS = 1): { site: SiteModel; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'jn-integrator-'));
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'templates', `${templateId}.yaml`), templateText);
  const demo = loadSite('config/demo-site.yaml');
  const site = checkSite({
    version: 1, site: { ...demo.site, id: `${templateId}-${process.pid}`, templates_dir: join(dir, 'templates') }, buildings: [{ ...demo.buildings[0], heating: undefined }],
    gateways: [{ id: 'gw-centre', name: '网关', poll_interval_s: pollIntervalS }],
    devices: [{ name: device.id, kind: 'hvac', building: 'centre-b1', gateway: 'gw-centre', template: templateId, simulated: false, ...device }],
  });
  return { site, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Buildings and devices the rig keeps. */
export const RIG_DEVICES = ['centre-b1-main', 'centre-b1-lighting', 'centre-b1-hvac', 'centre-b1-power', 'centre-b1-ahu-1', 'centre-b1-chiller-plant'];

/** Start the chain with an automation file (as parsed YAML) at `startMs`; `devices` of `building` (default building 1). */
export async function startRig(file: object, startMs: number, where: { building: string; devices: string[] } = { building: 'centre-b1', devices: RIG_DEVICES }): Promise<Rig> {
  const all = await testSite({ buildings: [where.building], pollIntervalS: 1 });
  const site = { ...all, site: { ...all.site, id: `auto-${process.pid}` }, devices: all.devices.filter((d) => where.devices.includes(d.id)) };
  let sims: SiteSimulators | undefined;
  const chain = await startChain(site, file, startMs, async ({ brokerUrl, account, stops }) => {
    const started = await startSiteSimulators({
      site, seed: 7, only: site.devices.filter((d) => d.kind === 'hvac').map((d) => d.id), mqttUrl: brokerUrl, mqttOptions: (device) => account(`device-${device}`),
    });
    stops.push(() => started.stop());
    sims = started;
  });
  try {
    const bus = await BacnetBus.open({ interface: '127.0.0.1', port: await freeUdpPort(), broadcastAddress: '127.0.0.1' });
    chain.stops.push(() => bus.close());
    const readProperty: Rig['readProperty'] = async (device, objectType, instance, property) => {
      const d = site.devices.find((x) => x.id === device)!;
      if (d.address.protocol !== 'bacnet-ip') throw new Error(`${device} is not a BACnet device`);
      const values = await bus.readProperty(`127.0.0.1:${d.address.port}`, { type: objectType, instance }, property);
      return values.map((v) => (v.value === null || v.value === undefined ? null : Number(v.value)));
    };
    return {
      site, sims: sims!, automation: chain.automation, clock: chain.clock, stop: chain.stop, startAnother: chain.startAnother,
      readProperty,
      priorityArray: (device, objectType, instance) => readProperty(device, objectType, instance, PRIORITY_ARRAY),
    };
  } catch (err) {
    await chain.stop();
    throw err;
  }
}
