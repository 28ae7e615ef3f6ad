/**
 * The whole path with real parts: simulated meters → Modbus TCP → gateway → MQTT → collector → storage → API,
 * on the embedded store and on InfluxDB 1.x, through aedes and through Mosquitto.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmbeddedBroker } from '../../app/broker.ts';
import { watchBroker } from '../../app/broker-watch.ts';
import { startApi } from '../../api/server.ts';
import { startCollector } from '../../collector/runtime.ts';
import { startGateway } from '../../gateway/runtime.ts';
import { startSiteSimulators } from '../../simulators/fleet.ts';
import { openStorage, storageConfigFromEnv } from '../../storage/index.ts';
import type { Storage } from '../../storage/port.ts';
import { freePort, waitFor } from '../harness/ports.ts';
import { testSite } from '../harness/site.ts';

type BrokerKind = 'aedes' | 'mosquitto';
type StoreKind = 'embedded' | 'influxdb';

const cases: [BrokerKind, StoreKind][] = [
  ['aedes', 'embedded'],
  ['aedes', 'influxdb'],
  ['mosquitto', 'embedded'],
  ['mosquitto', 'influxdb'],
];

interface EnergyResponse {
  building: string;
  interval: string;
  unit: string;
  points: { start: string; energy_kwh: number }[];
}

describe.each(cases)('end to end through %s into the %s store', (brokerKind, storeKind) => {
  const stops: (() => Promise<void>)[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'jieneng-e2e-'));
  let apiUrl = '';
  let storage: Storage;

  beforeAll(async () => {
    // One building, its main meter and one sub-meter: the sub-meter has no CT, so its counter moves every poll.
    const site = await testSite({ buildings: ['centre-b2'], devices: ['centre-b2-main', 'centre-b2-lighting'], pollIntervalS: 1 });
    site.devices = site.devices.map((d) => ({ ...d, ct_ratio: 1 }));

    const env: NodeJS.ProcessEnv = { DATA_DIR: dataDir };
    if (storeKind === 'influxdb') Object.assign(env, { INFLUX_URL: inject('influxUrl'), INFLUX_DB: `e2e_${brokerKind}_${process.pid}` });
    storage = await openStorage(storageConfigFromEnv(env));
    stops.push(() => storage.close());

    let mqttUrl = inject('mosquittoUrl');
    if (brokerKind === 'aedes') {
      const broker = await startEmbeddedBroker(0);
      stops.push(() => broker.stop());
      mqttUrl = broker.url;
    }
    const watch = await watchBroker(mqttUrl, `e2e-watch-${brokerKind}-${storeKind}`);
    stops.push(() => watch.stop());

    const sims = await startSiteSimulators({ site, seed: 7 });
    stops.push(() => sims.stop());
    const api = await startApi({ site, storage, port: await freePort(), brokerHealth: watch.health });
    stops.push(() => api.stop());
    apiUrl = `http://127.0.0.1:${api.port}`;
    const collector = await startCollector({ site, mqttUrl, storage, dataDir: join(dataDir, 'collector'), clientId: `e2e-collector-${brokerKind}-${storeKind}-${process.pid}` });
    stops.push(() => collector.stop());
    const gateway = await startGateway({ site, gatewayId: site.gateways[0].id, mqttUrl, dataDir: join(dataDir, 'gateway') });
    stops.push(() => gateway.stop());
  }, 60_000);

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('lists the building', async () => {
    const res = await fetch(`${apiUrl}/api/v1/buildings`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ id: 'centre-b2', name: '区行政中心2号楼', floor_area_m2: 12400 }]);
  });

  it('answers a non-zero 15-minute interval of the building', async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 900_000).toISOString();
    let body: EnergyResponse | undefined;
    await waitFor('a non-zero 15-minute interval', async () => {
      await storage.flush();
      const res = await fetch(`${apiUrl}/api/v1/buildings/centre-b2/energy?from=${from}&to=${to}&interval=15m`);
      body = (await res.json()) as EnergyResponse;
      return res.status === 200 && body.points.some((p) => p.energy_kwh > 0);
    }, 45_000, 500);
    expect(body).toMatchObject({ building: 'centre-b2', interval: '15m', unit: 'kWh' });
    for (const p of body!.points) expect(new Date(p.start).getTime() % 900_000).toBe(0);
  }, 60_000);

  it('reports broker and storage healthy', async () => {
    const res = await fetch(`${apiUrl}/api/v1/health`);
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(200);
    expect(JSON.stringify(body)).toMatch(/ok/);
  });
});
