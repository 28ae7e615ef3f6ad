/**
 * The demo site's HVAC devices end to end: the fleet's BACnet/IP and MQTT-native simulators, the gateway
 * runtime with the `bacnet` and `mqtt` sources, contract readings on the real Mosquitto. Addresses are moved
 * to free ports so the test needs none of the demo's fixed ones.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { topics, type ReadingBatch } from '../core/contract/v1.ts';
import { checkSite, loadSite } from '../core/site/load.ts';
import type { Device, SiteModel } from '../core/site/schema.ts';
import { startGateway, type RunningGateway } from '../gateway/runtime.ts';
import { startSiteSimulators, type SiteSimulators } from '../simulators/fleet.ts';
import { freeUdpPort, waitFor } from './harness/ports.ts';

const HVAC = ['centre-b1-ahu-1', 'centre-b1-chiller-plant', 'jiwei-hot-water', 'zhongshan-m38-vrf-1'];

describe('HVAC devices of the demo site through the gateway', () => {
  const brokerUrl = inject('mosquittoUrl');
  let site: SiteModel;
  let fleet: SiteSimulators;
  const gateways: RunningGateway[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'jn-hvac-gw-'));
  const latest = new Map<string, ReadingBatch['readings'][number]['points']>();
  const status = new Map<string, boolean>();
  let sub: mqtt.MqttClient;

  beforeAll(async () => {
    const demo = loadSite('config/demo-site.yaml');
    const localPorts = new Map<string, number>();
    const devices: Device[] = [];
    for (const d of demo.devices.filter((x) => HVAC.includes(x.id))) {
      if (d.address.protocol === 'bacnet-ip') {
        if (!localPorts.has(d.gateway)) localPorts.set(d.gateway, await freeUdpPort());
        devices.push({ ...d, address: { ...d.address, port: await freeUdpPort(), local_port: localPorts.get(d.gateway) } });
      } else if (d.address.protocol === 'mqtt') {
        devices.push({ ...d, address: { ...d.address, topic: `${d.address.topic}/${process.pid}`, broker_url: brokerUrl } });
      }
    }
    site = checkSite(JSON.parse(JSON.stringify({
      ...demo, site: { ...demo.site, id: `hvac-${process.pid}` }, devices, virtual_meters: undefined, pv_systems: undefined, contracts: undefined, machine_rooms: undefined,
      buildings: demo.buildings.map((b) => ({ ...b, heating: undefined })),
      gateways: demo.gateways.filter((g) => devices.some((d) => d.gateway === g.id)).map((g) => ({ ...g, poll_interval_s: 1 })),
    })));
    sub = await mqtt.connectAsync(brokerUrl);
    sub.on('message', (topic, payload) => {
      if (topic.endsWith('/readings')) {
        const batch = JSON.parse(payload.toString()) as ReadingBatch;
        for (const r of batch.readings) latest.set(r.device, { ...latest.get(r.device), ...r.points });
      } else {
        const device = /devices\/([^/]+)\/status$/.exec(topic)?.[1];
        if (device) status.set(device, (JSON.parse(payload.toString()) as { online: boolean }).online);
      }
    });
    await sub.subscribeAsync([topics.allReadings(site.site.id), ...topics.allStatus(site.site.id)]);
    fleet = await startSiteSimulators({ site, seed: 7 });
    for (const g of site.gateways) {
      gateways.push(await startGateway({ site, gatewayId: g.id, mqttUrl: brokerUrl, dataDir: join(dataDir, g.id) }));
    }
  }, 60_000);

  afterAll(async () => {
    for (const g of gateways) await g.stop();
    await fleet?.stop();
    await sub?.endAsync(true);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('publishes readings and online status of every HVAC device, in canonical points', async () => {
    await waitFor('all HVAC devices online with readings', () => HVAC.every((id) => status.get(id) === true && latest.has(id)), 30_000);
    await waitFor('full point sets', () => Object.keys(latest.get('centre-b1-chiller-plant') ?? {}).length === 13
      && Object.keys(latest.get('jiwei-hot-water') ?? {}).length === 11, 20_000);
    const chp = latest.get('centre-b1-chiller-plant')!;
    expect(chp.chw_supply_temp_setpoint_c).toEqual({ value: 7, quality: 'good' });
    expect(chp.energy_kwh.value).toBeGreaterThan(1_000_000);
    const dhw = latest.get('jiwei-hot-water')!;
    expect(dhw.tank_temp_c.quality).toBe('good');
    expect(dhw.tank_temp_c.value).toBeGreaterThan(30);
    expect(latest.get('centre-b1-ahu-1')!.supply_air_temp_setpoint_c.value).toBe(16);
    const vrf = latest.get('zhongshan-m38-vrf-1')!;
    expect(vrf.energy_kwh.quality).toBe('good');
    expect(typeof vrf.power_kw.value).toBe('number');
  }, 60_000);
});
