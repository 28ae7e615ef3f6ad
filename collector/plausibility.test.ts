/**
 * Phantom energy (issue 12.3) through the whole ingestion path, against the real embedded store: a +1 000 000 kWh
 * jump in one poll on a meter drawing 288 kW adds 0 kWh, is rejected as `implausible` (dead letter reason, metric),
 * leaves a `counter_event` row and the meter's gauge for alerts, and the next real reading is no reset.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../app/broker.ts';
import { topics, type DeadLetter } from '../core/contract/v1.ts';
import { waitFor } from '../test/harness/ports.ts';
import { startCollector } from './runtime.ts';
import type { DeviceReading, ReadingBatch } from '../core/contract/v1.ts';
import { openEmbeddedStorage } from '../storage/embedded/store.ts';
import type { Storage, StoredPoint } from '../storage/port.ts';
import { createIngestor, type Ingestor } from './ingest.ts';
import { collectorMetrics } from './metrics.ts';
import { collectorTestSite } from './testing/site.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 2, 0); // 10:00 in Shanghai, on the 15-minute grid
const site = collectorTestSite();
site.devices.find((d) => d.id === 'main')!.max_power_kw = 288;

let dir: string;
let storage: Storage;
let ingestor: Ingestor;
let seq = 0;

function batch(minute: number, value: number): ReadingBatch {
  const reading: DeviceReading = { device: 'main', ts: T0 + minute * MIN, points: { energy_import_kwh: { value, quality: 'good' }, power_kw: { value: 288, quality: 'good' } } };
  return { v: 1, site: 'test-site', gateway: 'gw1', seq: seq++, sent_ts: reading.ts, readings: [reading] };
}
async function rows(measurement: string, where: Record<string, string>): Promise<StoredPoint[]> {
  await ingestor.flush();
  return storage.raw({ measurement, from: T0 - 86_400_000, to: T0 + 86_400_000, where });
}
const sum = (ps: StoredPoint[]) => Math.round(ps.reduce((a, p) => a + Number(p.fields.energy_kwh), 0) * 1e6) / 1e6;
const metric = async (m: { get(): Promise<{ values: { value: number; labels: Record<string, string | number> }[] }> }, label: string, value: string) =>
  (await m.get()).values.find((v) => Object.values(v.labels).includes(value) && Object.keys(v.labels).includes(label))?.value ?? 0;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jieneng-plausible-'));
  storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
  ingestor = createIngestor({ site, storage, stateDir: join(dir, 'state'), now: () => T0 + 3_600_000 });
});
afterEach(async () => {
  await ingestor.close();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

it('adds 0 kWh for a +1 GWh jump in one poll, rejects it as implausible and counts the next reading normally', async () => {
  const implausibleBefore = await metric(collectorMetrics.rejected, 'reason', 'implausible');
  // 288 kW: 4.8 kWh per minute, polled every minute for 10 minutes; the poll at minute 5 reads +1 000 000 kWh
  for (let minute = 0; minute <= 10; minute++) {
    const value = 1000 + 4.8 * minute + (minute === 5 ? 1_000_000 : 0);
    const result = await ingestor.ingest(batch(minute, value));
    if (minute === 5) {
      expect(result.rejected.map((r) => [r.reason, r.device, r.point])).toEqual([['implausible', 'main', 'energy_import_kwh']]);
      expect(result.rejected[0].detail).toMatch(/claims 1000004\.8 since the last accepted reading, more than the 9\.6/);
      expect(result.accepted).toBe(1); // power_kw still stored
      expect(await metric(collectorMetrics.meterImplausible, 'meter', 'main')).toBe(1);
    } else {
      expect(result.rejected).toEqual([]);
    }
  }
  expect(await metric(collectorMetrics.meterImplausible, 'meter', 'main')).toBe(0); // back on track: a glitch
  expect(sum(await rows('energy_15m', { meter: 'main' }))).toBe(48);
  expect(sum(await rows('energy_1d', { meter: 'main' }))).toBe(48);
  expect((await rows('energy_15m', { meter: 'main' })).every((p) => p.fields.estimated === 0)).toBe(true);
  // the phantom value is not in the telemetry; the event is stored for alerts
  const counter = await rows('telemetry', { device: 'main', point: 'energy_import_kwh' });
  expect(counter.map((p) => (p.time - T0) / MIN)).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10]);
  const events = await rows('counter_event', { meter: 'main' });
  expect(events.map((e) => [e.tags.kind, (e.time - T0) / MIN, e.fields.value, e.fields.claimed_quantity])).toEqual([['implausible', 5, 1_001_024, 1_000_004.8]]);
  expect(await metric(collectorMetrics.rejected, 'reason', 'implausible')).toBe(implausibleBefore + 1);
  expect(await metric(collectorMetrics.counterEvents, 'outcome', 'glitch_ended')).toBeGreaterThan(0);
});

it('accepts a jump that stays as a new track after the gap threshold, the jump itself counted as 0', async () => {
  // an unconfigured meter swap at minute 5: +2 000 000 kWh, then 288 kW on the new register; gap threshold 15 min
  const outcomes: number[] = [];
  for (let minute = 0; minute <= 30; minute++) {
    const result = await ingestor.ingest(batch(minute, 1000 + 4.8 * minute + (minute >= 5 ? 2_000_000 : 0)));
    outcomes.push(result.rejected.length);
  }
  // held (rejected) from minute 5 until the held readings span 15 min; from minute 20 on the new track counts
  expect(outcomes).toEqual([...Array(5).fill(0), ...Array(15).fill(1), ...Array(11).fill(0)]);
  expect(sum(await rows('energy_15m', { meter: 'main' }))).toBe(139.2); // 4 × 4.8 + 0 (the jump) + 25 × 4.8
  const events = await rows('counter_event', { meter: 'main', kind: 'new_track' });
  expect(events.map((e) => [(e.time - T0) / MIN, e.fields.claimed_quantity])).toEqual([[5, 2_000_004.8]]);
  expect(await metric(collectorMetrics.meterImplausible, 'meter', 'main')).toBe(0);
});

it('stores a confirmed reset and a roll-over as counter events too', async () => {
  const reading = (device: string, minute: number, value: number): DeviceReading => ({ device, ts: T0 + minute * MIN, points: { energy_import_kwh: { value, quality: 'good' } } });
  const rows_: [number, number, number][] = [[0, 1000, 99_998], [1, 1004.8, 1], [2, 0.5, 4], [3, 5.3, 7]]; // [minute, main, hvac (wraps at 100 000)]
  for (const [minute, main, hvac] of rows_) {
    await ingestor.ingest({ v: 1, site: 'test-site', gateway: 'gw1', seq: seq++, sent_ts: T0 + minute * MIN, readings: [reading('main', minute, main), reading('hvac', minute, hvac)] });
  }
  const events = (await rows('counter_event', {})).map((e) => [e.tags.meter, e.tags.kind, (e.time - T0) / MIN, e.fields.value, e.fields.claimed_quantity]);
  expect(events).toEqual([['hvac', 'rollover', 1, 1, 3], ['main', 'reset', 2, 0.5, 0.5]]);
  expect(sum(await rows('energy_15m', { meter: 'main' }))).toBe(4.8 + 0.5 + 4.8);
});

it('defaults a meter\'s bound from its template: rated voltage × current × CT × PT', async () => {
  const { devicePointRules } = await import('./point-rules.ts');
  const d = { ...site.devices[0], template: 'acrel-dtsd1352', ct_ratio: 40, max_power_kw: undefined };
  // Acrel DTSD1352: phase voltage rows to 500 V, three current rows to 100 A (× CT 40): 3 × 500 × 4000 / 1000
  expect(devicePointRules(d).counterMaxRatePerH).toBe(6000);
  expect(devicePointRules({ ...d, max_power_kw: 288 }).counterMaxRatePerH).toBe(288);
});

it('dead-letters the implausible reading with reason implausible through a real broker (aedes)', async () => {
  const SITE = `implausible-${process.pid}`;
  const mqttSite = collectorTestSite(SITE);
  mqttSite.devices.find((d) => d.id === 'main')!.max_power_kw = 288;
  const broker = await startEmbeddedBroker(0);
  const collector = await startCollector({ site: mqttSite, mqttUrl: broker.url, storage, dataDir: join(dir, 'collector'), clientId: `implausible-${process.pid}` });
  const pub = await mqtt.connectAsync(broker.url, { clientId: `implausible-pub-${process.pid}` });
  try {
    const dead: DeadLetter[] = [];
    await pub.subscribeAsync(topics.deadLetter(SITE), { qos: 1 });
    pub.on('message', (_t, m) => dead.push(JSON.parse(m.toString()) as DeadLetter));
    const t0 = Math.floor(Date.now() / 900_000) * 900_000 - 900_000;
    for (const [minute, value] of [[0, 1000], [1, 1004.8], [2, 1_001_009.6], [3, 1014.4]]) {
      const b = { ...batch(minute, value), site: SITE, readings: batch(minute, value).readings.map((r) => ({ ...r, ts: t0 + minute * MIN })) };
      await pub.publishAsync(topics.readings(SITE, 'gw1'), JSON.stringify(b), { qos: 1 });
    }
    await waitFor('the dead letter', () => dead.length === 1, 10_000);
    expect(dead[0].reason).toBe('implausible');
    expect(dead[0].detail).toMatch(/^main: energy_import_kwh: energy_import_kwh = 1001009\.6 at \d+ claims 1000004\.8 since/);
    await collector.flush();
    const rows = await storage.raw({ measurement: 'energy_15m', from: t0 - 900_000, to: t0 + 1_800_000, where: { site: SITE, meter: 'main' } });
    expect(sum(rows)).toBe(14.4);
  } finally {
    await pub.endAsync();
    await collector.stop();
    await broker.stop();
  }
});
