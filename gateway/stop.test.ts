/**
 * A clean stop ends with the fresh offline status retained and no last will (issue 12 defect 10), on both
 * brokers the project ships with: a real Mosquitto and the embedded aedes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../app/broker.ts';
import { topics, type GatewayStatus } from '../core/contract/v1.ts';
import { checkSite } from '../core/site/load.ts';
import { fixedDevice, sampleValues } from '../simulators/modbus/fixed-device.ts';
import { startModbusSimulator, type ModbusSimulator } from '../simulators/modbus/server.ts';
import { waitFor } from '../test/harness/ports.ts';
import { loadTemplate } from './devices/templates.ts';
import type { ModbusTemplate } from './protocols/modbus/template.ts';
import { startGateway } from './runtime.ts';

const template = loadTemplate('chint-dtsu666') as ModbusTemplate;

interface Seen { status: GatewayStatus; at: number }

/** Start a gateway, stop it, and return every status message seen after the stop began, and the retained one. */
async function stopAndWatch(url: string, siteId: string, simPort: number, dataDir: string): Promise<{ stopAt: number; after: Seen[]; retained: GatewayStatus }> {
  const site = checkSite({
    version: 1, site: { id: siteId, name: 't' }, buildings: [{ id: 'b1', name: 'B', floor_area_m2: 10 }],
    gateways: [{ id: 'gw1', poll_interval_s: 1 }],
    devices: [{ id: 'm1', name: 'M', kind: 'meter', medium: 'electricity', building: 'b1', gateway: 'gw1', template: template.id,
      address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: simPort, unit_id: 1 } }],
  });
  const statusTopic = topics.gatewayStatus(siteId, 'gw1');
  const seen: Seen[] = [];
  const watcher = await mqtt.connectAsync(url, { clientId: `watch-${siteId}`, reconnectPeriod: 0 });
  watcher.on('message', (topic, payload) => {
    if (topic === statusTopic) seen.push({ status: JSON.parse(payload.toString()) as GatewayStatus, at: Date.now() });
  });
  await watcher.subscribeAsync(statusTopic, { qos: 1 });
  const gw = await startGateway({ site, gatewayId: 'gw1', mqttUrl: url, dataDir });
  await waitFor('birth', () => seen.some((s) => s.status.online));
  await waitFor('a batch', () => gw.stats().published >= 1);
  const stopAt = Date.now();
  await gw.stop();
  // a will is published as soon as the broker sees the socket close: give it ample time to show up
  await new Promise((r) => setTimeout(r, 1500));
  await watcher.endAsync();

  const fresh = await mqtt.connectAsync(url, { clientId: `retained-${siteId}`, reconnectPeriod: 0 });
  let retained: GatewayStatus | undefined;
  fresh.on('message', (topic, payload) => { if (topic === statusTopic) retained = JSON.parse(payload.toString()) as GatewayStatus; });
  await fresh.subscribeAsync(statusTopic, { qos: 1 });
  await waitFor('retained status', () => retained !== undefined, 5000);
  await fresh.endAsync();
  return { stopAt, after: seen.filter((s) => s.at >= stopAt), retained: retained! };
}

describe('gateway clean stop', () => {
  let sim: ModbusSimulator;
  let aedes: EmbeddedBroker;
  let dataDir: string;
  beforeAll(async () => {
    sim = await startModbusSimulator({ units: new Map([[1, { template, device: fixedDevice('m1', sampleValues(template)) }]]) });
    aedes = await startEmbeddedBroker(0);
    dataDir = mkdtempSync(join(tmpdir(), 'jieneng-gw-stop-'));
  });
  afterAll(async () => {
    await sim?.stop();
    await aedes?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  for (const broker of ['mosquitto', 'aedes'] as const) {
    it(`${broker}: after a stop the retained status is the fresh offline one and no will is published`, async () => {
      const url = broker === 'mosquitto' ? inject('mosquittoUrl') : aedes.url;
      const { stopAt, after, retained } = await stopAndWatch(url, `stop-${broker}`, sim.port, join(dataDir, broker));
      // exactly one status after the stop began: the gateway's own offline message, stamped at the stop
      expect(after.map((s) => s.status.online)).toEqual([false]);
      expect(after[0].status.ts).toBeGreaterThanOrEqual(stopAt);
      expect(retained.online).toBe(false);
      expect(retained.ts).toBeGreaterThanOrEqual(stopAt);
    });
  }
});
