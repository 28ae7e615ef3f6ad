/**
 * The gateway end to end on real sockets: simulated meters over Modbus TCP → gateway → real Mosquitto.
 * Sequence numbers prove that a broker outage and a gateway restart lose nothing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ReadingBatch, topics, type DeviceStatus, type GatewayStatus } from '../core/contract/v1.ts';
import { checkSite, loadSite } from '../core/site/load.ts';
import type { SiteModel } from '../core/site/schema.ts';
import { fixedDevice, sampleValues } from '../simulators/modbus/fixed-device.ts';
import { startModbusSimulator, type ModbusSimulator, type SimUnit } from '../simulators/modbus/server.ts';
import { freePort, waitFor } from '../test/harness/ports.ts';
import { startMosquitto, type MosquittoServer } from '../test/harness/mosquitto.ts';
import { loadTemplate } from './devices/templates.ts';
import type { ModbusTemplate } from './protocols/modbus/template.ts';
import { startGateway } from './runtime.ts';
import { Value } from '@sinclair/typebox/value';

const templates = ['acrel-dtsd1352', 'chint-dtsu666', 'acrel-adl400'].map((id) => loadTemplate(id) as ModbusTemplate);

function testSite(siteId: string, port: number, units = 3): SiteModel {
  return checkSite({
    version: 1,
    site: { id: siteId, name: 'test' },
    buildings: [{ id: 'b1', name: 'B1', floor_area_m2: 1000 }],
    gateways: [{ id: 'gw1', poll_interval_s: 1 }],
    devices: Array.from({ length: units }, (_, i) => ({
      id: `m${i + 1}`, name: `meter ${i + 1}`, kind: 'meter', medium: 'electricity', building: 'b1', gateway: 'gw1',
      template: templates[i % templates.length].id, ct_ratio: i === 0 ? 200 : 1,
      address: { protocol: 'modbus-tcp', host: '127.0.0.1', port, unit_id: i + 1 },
    })),
  });
}

function simUnits(units = 3): Map<number, SimUnit> {
  return new Map(Array.from({ length: units }, (_, i) => {
    const t = templates[i % templates.length];
    return [i + 1, { template: t, device: fixedDevice(`m${i + 1}`, sampleValues(t), { energy_import_kwh: { start: 1000, per_hour: 3600 } }), ctRatio: i === 0 ? 200 : 1 }];
  }));
}

/** Subscriber with a persistent session, so the broker keeps QoS 1 messages for it across its own restart. */
async function collect(url: string, siteId: string): Promise<{ client: MqttClient; batches: ReadingBatch[]; status: Map<string, unknown> }> {
  const batches: ReadingBatch[] = [];
  const status = new Map<string, unknown>();
  const client = await mqtt.connectAsync(url, { clientId: `test-sub-${siteId}`, clean: false, reconnectPeriod: 200 });
  client.on('message', (topic, payload) => {
    const msg: unknown = JSON.parse(payload.toString());
    if (topic.endsWith('/readings')) batches.push(msg as ReadingBatch);
    else status.set(topic, msg);
  });
  await client.subscribeAsync([topics.readings(siteId, 'gw1'), ...topics.allStatus(siteId)], { qos: 1 });
  return { client, batches, status };
}

function seqs(batches: ReadingBatch[]): number[] {
  return [...new Set(batches.map((b) => b.seq))].sort((a, b) => a - b);
}

describe('gateway runtime', () => {
  let sim: ModbusSimulator;
  let dataDir: string;
  beforeAll(async () => {
    sim = await startModbusSimulator({ units: simUnits() });
    dataDir = mkdtempSync(join(tmpdir(), 'jieneng-gw-'));
  });
  afterAll(async () => {
    await sim?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('publishes contract batches with consecutive seq, good quality, CT applied, and retained statuses', async () => {
    const url = inject('mosquittoUrl');
    const site = testSite('rt-basic', sim.port);
    const sub = await collect(url, 'rt-basic');
    const gw = await startGateway({ site, gatewayId: 'gw1', mqttUrl: url, dataDir: join(dataDir, 'basic') });
    try {
      await waitFor('3 batches', () => sub.batches.length >= 3, 15_000);
      for (const b of sub.batches) expect(Value.Check(ReadingBatch, b), JSON.stringify(Value.Errors(ReadingBatch, b).First())).toBe(true);
      const s = seqs(sub.batches);
      expect(s).toEqual(s.map((_, i) => s[0] + i));
      // one poll cycle of all three meters lands in one batch (a cycle slowed past the batch window may split one)
      const whole = [...sub.batches].reverse().find((b) => b.readings.map((r) => r.device).sort().join() === 'm1,m2,m3');
      expect(whole, JSON.stringify(sub.batches.map((b) => b.readings.map((r) => r.device)))).toBeDefined();
      const m1 = whole!.readings.find((r) => r.device === 'm1')!;
      expect(m1.points.energy_import_kwh.quality).toBe('good');
      expect(m1.points.energy_import_kwh.value as number).toBeGreaterThan(1000);
      expect(Math.abs((m1.points.current_l1_a.value as number) - sampleValues(templates[0]).current_l1_a)).toBeLessThanOrEqual(0.01 * 200);
      await waitFor('statuses', () => sub.status.size >= 4);
      expect(sub.status.get(topics.gatewayStatus('rt-basic', 'gw1'))).toMatchObject({ v: 1, online: true } satisfies Partial<GatewayStatus>);
      expect(sub.status.get(topics.deviceStatus('rt-basic', 'gw1', 'm2'))).toMatchObject({ v: 1, online: true } satisfies Partial<DeviceStatus>);
      expect(gw.stats().devices).toEqual({ total: 3, online: 3, offline: 0 });
    } finally {
      await gw.stop();
    }
    await waitFor('offline status', () => (sub.status.get(topics.gatewayStatus('rt-basic', 'gw1')) as GatewayStatus).online === false);
    await sub.client.endAsync();
  });

  it('marks a dead device offline (retained, with the reason) while the others keep publishing', async () => {
    const url = inject('mosquittoUrl');
    const site = testSite('rt-dead', sim.port);
    const sub = await collect(url, 'rt-dead');
    sim.setFault(2, { kind: 'offline' });
    const gw = await startGateway({ site, gatewayId: 'gw1', mqttUrl: url, dataDir: join(dataDir, 'dead') });
    try {
      const m2 = topics.deviceStatus('rt-dead', 'gw1', 'm2');
      await waitFor('m2 offline', () => (sub.status.get(m2) as DeviceStatus | undefined)?.online === false, 15_000);
      expect((sub.status.get(m2) as DeviceStatus).error).toMatch(/no answer|not answering/);
      const before = sub.batches.length;
      await waitFor('more batches', () => sub.batches.length >= before + 2, 15_000);
      // the others in every batch since, the dead one in none (however the cycles fell into batches)
      const since = new Set(sub.batches.slice(before).flatMap((b) => b.readings.map((r) => r.device)));
      expect([...since].sort()).toEqual(['m1', 'm3']);
    } finally {
      sim.setFault(2, null);
      await gw.stop();
      await sub.client.endAsync();
    }
  });
});

describe('gateway configuration errors (before any I/O)', () => {
  const dataDir = join(tmpdir(), 'jieneng-gw-never-created');
  const base = (devices: unknown[]) => checkSite({
    version: 1, site: { id: 'cfg', name: 't' }, buildings: [{ id: 'b1', name: 'B', floor_area_m2: 1 }],
    gateways: [{ id: 'gw1' }], devices,
  });
  const meter = (id: string, extra: Record<string, unknown>) => ({
    id, name: id, kind: 'meter', medium: 'electricity', building: 'b1', gateway: 'gw1', template: 'chint-dtsu666', ...extra,
  });

  it('unknown gateway, unknown template, a Modbus template on a BACnet address', async () => {
    const ok = base([meter('m1', { address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: 1, unit_id: 1 } })]);
    await expect(startGateway({ site: ok, gatewayId: 'gw9', mqttUrl: 'mqtt://127.0.0.1:1', dataDir })).rejects.toThrow(/no gateway 'gw9'/);
    const badTemplate = base([meter('m1', { template: 'no-such', address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: 1, unit_id: 1 } })]);
    await expect(startGateway({ site: badTemplate, gatewayId: 'gw1', mqttUrl: 'mqtt://127.0.0.1:1', dataDir })).rejects.toThrow(/no-such\.yaml: file not found/);
    const bacnet = base([meter('m1', { address: { protocol: 'bacnet-ip', host: '127.0.0.1', port: 47809, device_instance: 1 } })]);
    await expect(startGateway({ site: bacnet, gatewayId: 'gw1', mqttUrl: 'mqtt://127.0.0.1:1', dataDir })).rejects.toThrow(/device m1: address\.protocol: a Modbus template needs/);
  });

  it('two devices on one serial line with different baud rates', async () => {
    const site = base([
      meter('m1', { address: { protocol: 'modbus-rtu', path: '/dev/ttyNONE0', baud_rate: 9600, parity: 'none', unit_id: 1 } }),
      meter('m2', { address: { protocol: 'modbus-rtu', path: '/dev/ttyNONE0', baud_rate: 19200, parity: 'none', unit_id: 2 } }),
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'jieneng-gw-cfg-'));
    try {
      await expect(startGateway({ site, gatewayId: 'gw1', mqttUrl: 'mqtt://127.0.0.1:1', dataDir: dir })).rejects.toThrow(/disagree on line settings/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('store-and-forward', () => {
  let sim: ModbusSimulator;
  let broker: MosquittoServer;
  let dataDir: string;
  beforeAll(async () => {
    sim = await startModbusSimulator({ units: simUnits() });
    broker = await startMosquitto({ persistence: true });
    dataDir = mkdtempSync(join(tmpdir(), 'jieneng-gw-sf-'));
  });
  afterAll(async () => {
    await sim?.stop();
    await broker?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a broker outage under polling loses no batch (by seq)', async () => {
    const site = testSite('sf-outage', sim.port);
    const sub = await collect(broker.url, 'sf-outage');
    const gw = await startGateway({ site, gatewayId: 'gw1', mqttUrl: broker.url, dataDir: join(dataDir, 'outage') });
    try {
      await waitFor('first batches', () => sub.batches.length >= 2, 15_000);
      await broker.stop();
      const seqAtStop = gw.stats().nextSeq;
      await waitFor('batches queued during the outage', () => gw.stats().queued >= 3, 15_000);
      expect(gw.stats().connected).toBe(false);
      await broker.start();
      const target = gw.stats().nextSeq + 1;
      await waitFor('replay and fresh batches', () => seqs(sub.batches).includes(target), 30_000);
      const s = seqs(sub.batches);
      expect(s[0]).toBe(0);
      // every seq from 0 to the latest, the outage included
      expect(s).toEqual(s.map((_, i) => i));
      expect(s.at(-1)!).toBeGreaterThan(seqAtStop + 2);
      await waitFor('queue drained', () => gw.stats().queued <= 1);
    } finally {
      await gw.stop();
      await sub.client.endAsync();
    }
  });

  it('a gateway killed with SIGKILL loses nothing it had queued', async () => {
    const deadPort = await freePort();
    const dir = join(dataDir, 'killed');
    const siteFile = join(dataDir, 'killed-site.yaml');
    writeFileSync(siteFile, [
      'version: 1', 'site: { id: sf-kill, name: t }', 'buildings: [{ id: b1, name: B, floor_area_m2: 10 }]',
      'gateways: [{ id: gw1, poll_interval_s: 1 }]', 'devices:',
      `  - { id: m1, name: M, kind: meter, medium: electricity, building: b1, gateway: gw1, template: chint-dtsu666, address: { protocol: modbus-tcp, host: 127.0.0.1, port: ${sim.port}, unit_id: 2 } }`,
    ].join('\n'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/jieneng.ts', 'gateway', 'run', '--site', siteFile, '--gateway', 'gw1',
      '--mqtt', `mqtt://127.0.0.1:${deadPort}`, '--data', dir], { stdio: 'ignore' });
    const queued = () => {
      const db = new Database(join(dir, 'gateway-sf-kill-gw1.queue.sqlite'), { readonly: true, fileMustExist: true });
      try { return (db.prepare('SELECT COUNT(*) AS n FROM batch').get() as { n: number }).n; } finally { db.close(); }
    };
    try {
      await waitFor('three queued batches', () => queued() >= 3, 30_000);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    const n = queued();

    const sub = await collect(broker.url, 'sf-kill');
    const again = await startGateway({ site: loadSite(siteFile), gatewayId: 'gw1', mqttUrl: broker.url, dataDir: dir });
    try {
      await waitFor('the queued batches and a new one', () => seqs(sub.batches).includes(n), 20_000);
      expect(seqs(sub.batches).slice(0, n + 1)).toEqual(Array.from({ length: n + 1 }, (_, i) => i));
    } finally {
      await again.stop();
      await sub.client.endAsync();
    }
  });

  it('a gateway restarted with a full queue loses nothing but the counted drops, and continues the sequence', async () => {
    const deadPort = await freePort();
    const site = testSite('sf-restart', sim.port);
    const dir = join(dataDir, 'restart');
    // first life: the broker is unreachable, everything goes to the disk queue, which fills up and drops the oldest
    const first = await startGateway({ site, gatewayId: 'gw1', mqttUrl: `mqtt://127.0.0.1:${deadPort}`, dataDir: dir, maxQueueBytes: 6000 });
    await waitFor('a full queue', () => first.stats().dropped >= 2 && first.stats().queued >= 2, 30_000);
    await first.stop();
    const before = first.stats();
    expect(before.published).toBe(0);
    expect(before.queued + before.dropped).toBe(before.nextSeq);

    const sub = await collect(broker.url, 'sf-restart');
    const second = await startGateway({ site, gatewayId: 'gw1', mqttUrl: broker.url, dataDir: dir, maxQueueBytes: 6000 });
    try {
      await waitFor('replay plus new batches', () => seqs(sub.batches).includes(before.nextSeq + 1), 20_000);
      const s = seqs(sub.batches);
      // everything still queued at the restart arrives, in order, then the new batches continue the sequence
      expect(s.slice(0, before.queued + 2)).toEqual(Array.from({ length: before.queued + 2 }, (_, i) => before.dropped + i));
      expect(second.stats().dropped).toBe(before.dropped);
    } finally {
      await second.stop();
      await sub.client.endAsync();
    }
  });
});
