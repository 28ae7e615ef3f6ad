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
import { testKeys } from '../../api/testing/fixture.ts';
import { startCollector } from '../../collector/runtime.ts';
import { startGateway } from '../../gateway/runtime.ts';
import { startSiteSimulators } from '../../simulators/fleet.ts';
import type { SimulatedDevice } from '../../simulators/device.ts';
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

/** The energy register's resolution: Acrel DTSD1352 counts active energy in 0.01 kWh steps (CT and PT set to 1 here). */
const MAIN_METER_QUANTUM_KWH = 0.01;

/**
 * The simulators' clock, under the test's control: held still (every read returns the same counter), or running
 * `speed` times faster than real time from where it was held. Counters are exact integrals of power
 * (decision 0500), so the energy the pipeline must report between two held instants is their counter
 * difference, independent of poll timing; running fast makes that difference hundreds of register steps, so
 * an error of one percent shows.
 */
function testClock(start: number) {
  let base = start;
  let runningSince: number | undefined;
  let speed = 1;
  return {
    now: () => (runningSince === undefined ? base : base + (Date.now() - runningSince) * speed),
    hold(at: number) { base = at; runningSince = undefined; },
    run(times: number) { speed = times; runningSince = Date.now(); },
  };
}

describe.each(cases)('end to end through %s into the %s store', (brokerKind, storeKind) => {
  const stops: (() => Promise<void>)[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'jieneng-e2e-'));
  // Simulated time starts at a working-day morning (Wednesday 2 December 2026, 10:00 Shanghai), where the main
  // meter draws about 150 kW (seed 7), whatever the hour the test runs at.
  const clock = testClock(Date.UTC(2026, 11, 2, 2));
  const startedAt = Date.now();
  let apiUrl = '';
  const keys = testKeys();
  const auth = { headers: keys.headers('technician') };
  let storage: Storage;
  let mainMeter: SimulatedDevice;

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

    const sims = await startSiteSimulators({ site, seed: 7, now: clock.now });
    stops.push(() => sims.stop());
    mainMeter = sims.devices.get('centre-b2-main')!;
    const api = await startApi({ site, storage, port: await freePort(), brokerHealth: watch.health, security: keys.security });
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

  /** When the main meter's counter was last stored, as the API reports it (epoch ms), or undefined. */
  async function lastCounterReading(): Promise<number | undefined> {
    const res = await fetch(`${apiUrl}/api/v1/devices/centre-b2-main/latest`, auth);
    const body = (await res.json()) as { points: { point: string; timestamp: string }[] };
    const counter = body.points.find((p) => p.point === 'energy_import_kwh');
    return counter ? Date.parse(counter.timestamp) : undefined;
  }

  it('lists the building', async () => {
    const res = await fetch(`${apiUrl}/api/v1/buildings`, auth);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ id: 'centre-b2', name: '区行政中心2号楼', floor_area_m2: 12400 }]);
  });

  it("answers 15-minute energy that adds up to the simulated meter's counter difference, within one register step", async () => {
    const counterKwh = (t: number) => mainMeter.read(t).energy_import_kwh;
    const held0 = clock.now();
    // 1. Clock held: every reading so far is the counter at held0, the collector's starting point.
    await waitFor('the first stored reading of the main meter', async () => (await lastCounterReading()) !== undefined, 30_000, 250);
    // 2. Ten times real speed until the meter has counted 300 register steps (3 kWh: about 7 s at 150 kW).
    clock.run(10);
    await waitFor('300 register steps counted', () => counterKwh(clock.now()) - counterKwh(held0) > 300 * MAIN_METER_QUANTUM_KWH, 30_000, 250);
    // 3. Held again a second ahead (past the simulator's 200 ms register cache), until a poll begun after it is stored.
    const held1 = clock.now() + 1000;
    clock.hold(held1);
    const heldAt = Date.now();
    await waitFor('a reading polled after the clock was held', async () => ((await lastCounterReading()) ?? 0) >= heldAt + 1500, 30_000, 250);

    // Each end of the difference is rounded to a register step, so the stored energy may differ by at most one.
    const expectedKwh = counterKwh(held1) - counterKwh(held0);
    const from = new Date(startedAt - 3_600_000).toISOString();
    const to = new Date(Date.now() + 900_000).toISOString();
    let body: EnergyResponse | undefined;
    let totalKwh = Number.NaN;
    await waitFor('the stored energy to reach the counter difference', async () => {
      await storage.flush();
      const res = await fetch(`${apiUrl}/api/v1/buildings/centre-b2/energy?from=${from}&to=${to}&interval=15m`, auth);
      body = (await res.json()) as EnergyResponse;
      totalKwh = body.points.reduce((s, p) => s + p.energy_kwh, 0);
      return res.status === 200 && Math.abs(totalKwh - expectedKwh) <= MAIN_METER_QUANTUM_KWH + 1e-9;
    }, 20_000, 500).catch(() => undefined);
    expect(Math.abs(totalKwh - expectedKwh), `API ${totalKwh} kWh, counter difference ${expectedKwh} kWh`).toBeLessThanOrEqual(MAIN_METER_QUANTUM_KWH + 1e-9);
    expect(body).toMatchObject({ building: 'centre-b2', interval: '15m', unit: 'kWh' });
    for (const p of body!.points) expect(new Date(p.start).getTime() % 900_000).toBe(0);
  }, 120_000);

  it('reports broker and storage healthy', async () => {
    const res = await fetch(`${apiUrl}/api/v1/health`, auth);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', storage: { ok: true, kind: storeKind }, broker: { ok: true } });
  });
});
