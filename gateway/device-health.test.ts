/**
 * The gateway decides whether a device is online, degraded or offline and says so in its retained DeviceStatus
 * (issue 12 defect 7): a device that answers with an exception on every read is degraded with the reason.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { topics, type DeviceStatus, type GatewayStatus } from '../core/contract/v1.ts';
import { checkSite } from '../core/site/load.ts';
import { fixedDevice, sampleValues } from '../simulators/modbus/fixed-device.ts';
import { startModbusSimulator, type ModbusSimulator } from '../simulators/modbus/server.ts';
import { waitFor } from '../test/harness/ports.ts';
import { everyPointBad } from './device-health.ts';
import { loadTemplate } from './devices/templates.ts';
import type { ModbusTemplate } from './protocols/modbus/template.ts';
import { startGateway } from './runtime.ts';

describe('everyPointBad', () => {
  it('names the distinct reasons without the values that change from poll to poll', () => {
    expect(everyPointBad({
      a: { value: null, quality: 'bad', reason: 'ILLEGAL DATA ADDRESS' },
      b: { value: 512, quality: 'bad', reason: 'out of range [0, 100]: 512' },
      c: { value: null, quality: 'bad', reason: 'ILLEGAL DATA ADDRESS' },
    })).toBe('every point bad (3 of 3): ILLEGAL DATA ADDRESS; out of range [0, 100]');
    expect(everyPointBad({ a: { value: null, quality: 'bad' }, b: { value: 1, quality: 'good' } })).toBeUndefined();
    expect(everyPointBad({})).toBeUndefined();
  });
});

describe('device status published by the gateway', () => {
  const chint = loadTemplate('chint-dtsu666') as ModbusTemplate;
  const water = loadTemplate('water-meter-modbus') as ModbusTemplate;
  let sim: ModbusSimulator;
  let dataDir: string;
  beforeAll(async () => {
    sim = await startModbusSimulator({ units: new Map([
      [1, { template: chint, device: fixedDevice('ok', sampleValues(chint)) }],
      // a water meter configured with an electricity meter's template: every read of its map is ILLEGAL DATA ADDRESS
      [2, { template: water, device: fixedDevice('wrong', sampleValues(water)) }],
      [3, { template: chint, device: fixedDevice('flaky', sampleValues(chint)) }],
    ]) });
    dataDir = mkdtempSync(join(tmpdir(), 'jieneng-gw-health-'));
  });
  afterAll(async () => {
    await sim?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('online, degraded (wrong template; exception on every read) with the reason, offline; and a heartbeat', async () => {
    const url = inject('mosquittoUrl');
    const siteId = 'health';
    const meter = (id: string, unit: number) => ({ id, name: id, kind: 'meter', medium: 'electricity', building: 'b1', gateway: 'gw1',
      template: chint.id, address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unit_id: unit } });
    const site = checkSite({
      version: 1, site: { id: siteId, name: 't' }, buildings: [{ id: 'b1', name: 'B', floor_area_m2: 1 }],
      gateways: [{ id: 'gw1', poll_interval_s: 1 }], devices: [meter('ok', 1), meter('wrong', 2), meter('flaky', 3)],
    });
    const status = new Map<string, DeviceStatus | GatewayStatus>();
    const sub = await mqtt.connectAsync(url, { clientId: `sub-${siteId}` });
    sub.on('message', (topic, payload) => status.set(topic, JSON.parse(payload.toString()) as DeviceStatus));
    await sub.subscribeAsync(topics.allStatus(siteId), { qos: 1 });
    const dev = (id: string) => status.get(topics.deviceStatus(siteId, 'gw1', id)) as DeviceStatus | undefined;

    sim.setFault(3, { kind: 'exception', code: 4 });
    const gw = await startGateway({ site, gatewayId: 'gw1', mqttUrl: url, dataDir, statusEveryMs: 1000 });
    try {
      await waitFor('three statuses', () => dev('ok') !== undefined && dev('wrong') !== undefined && dev('flaky')?.state === 'degraded', 15_000);
      expect(dev('ok')).toMatchObject({ online: true, state: 'online' });
      expect(dev('ok')).not.toHaveProperty('error');
      expect(dev('wrong')).toMatchObject({ online: true, state: 'degraded' });
      expect(dev('wrong')!.error).toMatch(/^every point bad \(\d+ of \d+\): ILLEGAL DATA ADDRESS$/);
      expect(dev('flaky')!.error).toMatch(/^every point bad \(\d+ of \d+\): SERVER DEVICE FAILURE$/);

      // the device recovers: online again; then it stops answering: offline
      sim.setFault(3, null);
      await waitFor('flaky online', () => dev('flaky')?.state === 'online', 10_000);
      sim.setFault(3, { kind: 'offline' });
      await waitFor('flaky offline', () => dev('flaky')?.state === 'offline', 15_000);
      expect(dev('flaky')!.online).toBe(false);

      // the heartbeat: the retained gateway status is refreshed and says how often
      const gwTopic = topics.gatewayStatus(siteId, 'gw1');
      const first = (status.get(gwTopic) as GatewayStatus).ts;
      await waitFor('a heartbeat', () => (status.get(gwTopic) as GatewayStatus).ts > first, 5000);
      expect(status.get(gwTopic)).toMatchObject({ online: true, heartbeat_s: 1 });
    } finally {
      sim.setFault(3, null);
      await gw.stop();
      await sub.endAsync();
    }
  });
});
