/**
 * MQTT-native mapping: path expressions, unit and scale conversion, value maps, and the source against the
 * harness's real Mosquitto with the simulated VRF unit publishing vendor JSON.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { DeviceReading } from '../../../core/contract/v1.ts';
import { ConfigError } from '../../../core/config/yaml-file.ts';
import { logger } from '../../../core/log.ts';
import type { Device, SiteModel } from '../../../core/site/schema.ts';
import { waitFor } from '../../../test/harness/ports.ts';
import { startMqttVrfSimulator } from '../../../simulators/mqtt/vrf.ts';
import { parsePath, valueAt } from './path.ts';
import { mapPayload, MqttNativeSource } from './source.ts';
import { loadTemplateOf } from '../../devices/templates.ts';
import { compilePoints } from './template.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('path expressions', () => {
  it('parses names, indexes and quoted names', () => {
    expect(parsePath('odu.power')).toEqual(['odu', 'power']);
    expect(parsePath('$.idu[1].setTemp')).toEqual(['idu', 1, 'setTemp']);
    expect(parsePath("data['outdoor temp']")).toEqual(['data', 'outdoor temp']);
    expect(valueAt({ idu: [{ t: 1 }, { t: 2 }] }, parsePath('idu[1].t'))).toBe(2);
    expect(valueAt({ idu: [] }, parsePath('idu[1].t'))).toBeUndefined();
    expect(valueAt({ a: { toString: 1 } }, parsePath('a.constructor'))).toBeUndefined();
  });

  it('says where a path is broken', () => {
    expect(() => parsePath('odu..power')).toThrow(/expected a name at character 5/);
    expect(() => parsePath('idu[x]')).toThrow(/expected \[index\]/);
  });
});

describe('payload mapping', () => {
  const points = compilePoints(loadTemplateOf('mqtt', 'hvac-vrf-mqtt'));

  it('converts units, maps text and booleans, and marks missing or non-numeric fields bad', () => {
    const v = mapPayload({ odu: { running: false, mode: 'heat', outdoorTemp: '4.5', power: 5400, energy: 12.5, capacity: 'n/a' }, idu: [] }, points);
    expect(v.power_kw).toEqual({ value: 5.4, quality: 'good' });
    expect(v.unit_on).toEqual({ value: 0, quality: 'good' });
    expect(v.operating_mode).toEqual({ value: 2, quality: 'good' });
    expect(v.outdoor_air_temp_c).toEqual({ value: 4.5, quality: 'good' });
    expect(v.capacity_pct).toMatchObject({ value: null, quality: 'bad', reason: expect.stringMatching(/not a number/) });
    expect(v.zone1_temp_c).toEqual({ value: null, quality: 'bad', reason: 'missing idu[0].roomTemp' });
  });

  it('applies scale and offset before converting °F', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jn-mqtt-tpl-'));
    writeFileSync(join(dir, 't.yaml'), 'id: t\nprotocol: mqtt\nname: t\npoints:\n  - { point: room_temp_c, path: t, label: 室温, unit: °F, scale: 0.1 }\n');
    const [p] = compilePoints(loadTemplateOf('mqtt', 't', dir));
    expect(mapPayload({ t: 770 }, [p]).room_temp_c.value).toBeCloseTo(25, 6);
  });

  it('rejects a template whose unit does not fit the point, naming file, line and path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jn-mqtt-tpl-'));
    writeFileSync(join(dir, 'bad.yaml'), 'id: bad\nprotocol: mqtt\nname: bad\npoints:\n  - { point: power_kw, path: p, label: P, unit: °C }\n');
    expect(() => loadTemplateOf('mqtt', 'bad', dir)).toThrow(ConfigError);
    expect(() => loadTemplateOf('mqtt', 'bad', dir)).toThrow(/bad\.yaml:5: points\[0\]\.unit: device reports °C \(temperature\) for a power point/);
    writeFileSync(join(dir, 'bad.yaml'), 'id: bad\nprotocol: mqtt\nname: bad\npoints:\n  - { point: power, path: p, label: P }\n');
    expect(() => loadTemplateOf('mqtt', 'bad', dir)).toThrow(/points\[0\]\.point: point name 'power' must end in a unit suffix/);
  });
});

describe('MQTT-native source against Mosquitto', () => {
  it('maps the simulated VRF unit, counts malformed payloads and reports silence as offline', async () => {
    const brokerUrl = inject('mosquittoUrl');
    const topic = `vendor/vrf/${process.pid}/${Date.now()}/odu1`;
    const sim = await startMqttVrfSimulator({ brokerUrl, topic, intervalMs: 200, serial: 'ODU-1' });
    cleanups.push(() => sim.stop());
    const template = { ...loadTemplateOf('mqtt', 'hvac-vrf-mqtt'), stale_s: 5 };
    const device: Device = { id: 'vrf-1', name: 'VRF', kind: 'hvac', building: 'b', gateway: 'gw', template: template.id, address: { protocol: 'mqtt', topic, broker_url: brokerUrl } };
    const readings: DeviceReading[] = [];
    const status: Array<{ online: boolean; error?: string }> = [];
    const src = new MqttNativeSource({ site: {} as SiteModel, device, log: logger('test'), mqttUrl: brokerUrl, emit: (r) => readings.push(r), setOnline: (online, error) => status.push({ online, error }) }, template);
    await src.start();
    cleanups.push(() => src.stop());
    await waitFor('readings', () => readings.length >= 3, 10_000);
    // the model integrates forward only: pause the simulator so that the last reading is of its latest state
    sim.faults.offline = true;
    await new Promise((r) => setTimeout(r, 400));
    sim.faults.offline = false;
    const r = readings.at(-1) as DeviceReading;
    const truth = sim.model.read(r.ts);
    expect(r.device).toBe('vrf-1');
    expect(Math.abs(r.ts - Date.now())).toBeLessThan(5000); // source timestamp from the payload
    expect(r.points.power_kw.value).toBeCloseTo(truth.power_kw, 2);
    expect(r.points.energy_kwh.value).toBeCloseTo(truth.energy_kwh, 3);
    expect(r.points.operating_mode.value).toBe(truth.operating_mode);
    expect(Object.values(r.points).every((p) => p.quality === 'good')).toBe(true);
    expect(status[0]).toEqual({ online: true, error: undefined });

    // A third party publishes garbage on the topic: counted, dropped, no crash.
    const other = await mqtt.connectAsync(brokerUrl);
    cleanups.push(() => other.endAsync(true));
    await other.publishAsync(topic, 'not json');
    await other.publishAsync(topic, '42');
    await waitFor('malformed counted', () => src.stats().malformed === 2, 5000);

    sim.faults.offline = true;
    await waitFor('offline after stale_s', () => status.at(-1)?.online === false, 15_000);
    expect(status.at(-1)?.error).toMatch(/no message on .* for 5 s/);
    sim.faults.offline = false;
    await waitFor('online again', () => status.at(-1)?.online === true, 5000);
  });
});
