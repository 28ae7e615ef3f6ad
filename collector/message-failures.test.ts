/**
 * What one message can do to the collector (issue 12, defects 1 and 2), through a real broker (aedes) into the
 * embedded store: a message the collector cannot accept is dead-lettered and acknowledged, and the messages behind
 * it are stored; only the state database refusing makes it keep a message and retry it.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReadingBatch } from '../core/contract/v1.ts';
import type { Device } from '../core/site/schema.ts';
import { waitFor } from '../test/harness/ports.ts';
import { devicePointRules } from './point-rules.ts';
import { startCollectorRig, type CollectorRig } from './testing/rig.ts';

let rig: CollectorRig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

const Q = 900_000;
const t0 = () => Math.floor(Date.now() / Q) * Q - Q; // the previous 15-minute interval
function water(site: string, seq: number, ts: number, value: number): ReadingBatch {
  return { v: 1, site, gateway: 'gw2', seq, sent_ts: ts, readings: [{ device: 'water', ts, points: { water_m3: { value, quality: 'good' } } }] };
}
async function waterValues(r: CollectorRig, from: number): Promise<number[]> {
  await r.collector.flush();
  return (await r.storage.raw({ measurement: 'telemetry', from, to: from + Q, where: { device: 'water' } })).map((p) => Number(p.fields.value));
}

describe('one message cannot stop ingestion', () => {
  it('dead-letters a reading at ts 9 000 000 000 000 000 as future_timestamp, acknowledges it and stores what follows', async () => {
    const site = `poison-ts-${process.pid}`;
    rig = await startCollectorRig(site);
    const t = t0();
    await rig.publish('gw2', { ...water(site, 1, t, 100), readings: [{ device: 'water', ts: 9_000_000_000_000_000, points: { water_m3: { value: 1, quality: 'good' } } }] });
    await rig.publish('gw2', water(site, 2, t, 100));
    const r = rig;
    await waitFor('the reading behind it', async () => (await waterValues(r, t)).length === 1, 10_000);
    await waitFor('its dead letter', () => r.dead.length === 1, 5_000);
    expect(rig.dead[0].reason).toBe('future_timestamp');
    expect(rig.dead[0].detail).toContain('9000000000000000');
    // and counted in storage for the technicians' board
    const counted = async () => r.storage.raw({ measurement: 'dead_letter', from: Date.now() - 60_000, to: Date.now() + 1, where: { reason: 'future_timestamp' } });
    await waitFor('its dead-letter count', async () => (await counted()).length === 1, 5_000);
    expect((await counted())[0]).toMatchObject({ tags: { gateway: 'gw2' }, fields: { rejections: 1, messages: 1 } });
  });

  it('dead-letters a message the collector fails on as internal, with the error text, and stores what follows', async () => {
    const site = `poison-bug-${process.pid}`;
    // A bug in the checks, reached by one point name only: the rules of every device throw on `boom_m3`.
    const pointRules = (d: Device) => {
      const rules = devicePointRules(d);
      const points = new Map(rules.points ?? []);
      const get = points.get.bind(points);
      points.get = (name: string) => {
        if (name === 'boom_m3') throw new TypeError('rules exploded');
        return get(name) ?? (name === 'water_m3' ? [0, 1e12] : undefined);
      };
      return { ...rules, points };
    };
    rig = await startCollectorRig(site, { pointRules });
    const t = t0();
    await rig.publish('gw2', water(site, 1, t, 100));
    await rig.publish('gw2', { ...water(site, 2, t + 60_000, 101), readings: [{ device: 'water', ts: t + 60_000, points: { water_m3: { value: 101, quality: 'good' }, boom_m3: { value: 1, quality: 'good' } } }] });
    await rig.publish('gw2', water(site, 3, t + 120_000, 102));
    const r = rig;
    await waitFor('the readings around it', async () => (await waterValues(r, t)).length === 2, 10_000);
    await waitFor('its dead letter', () => r.dead.length === 1, 5_000);
    expect([rig.dead[0].reason, rig.dead[0].detail]).toEqual(['internal', 'TypeError: rules exploded']);
    expect(await waterValues(rig, t)).toEqual([100, 102]);
    // The failed message left no trace in the counter state: 100 → 102 is 2 m³, in the committed interval.
    const energy = await rig.storage.raw({ measurement: 'energy_15m', from: t, to: t + Q, where: { meter: 'water' } });
    expect(energy.map((p) => p.fields.water_m3)).toEqual([2]);
  });

  it('dead-letters as internal whatever else escapes the ingestor (not a storage failure), and stores what follows', async () => {
    const site = `poison-escape-${process.pid}`;
    rig = await startCollectorRig(site);
    const ingestor = rig.collector.ingestors[0];
    const ingestMessage = ingestor.ingestMessage.bind(ingestor);
    let thrown = 0;
    ingestor.ingestMessage = async (topic, payload) => {
      if (payload.toString().includes('"seq":1,') && thrown++ === 0) throw new RangeError('escaped the ingestor');
      return ingestMessage(topic, payload);
    };
    const t = t0();
    await rig.publish('gw2', water(site, 1, t, 100));
    await rig.publish('gw2', water(site, 2, t + 60_000, 101));
    const r = rig;
    await waitFor('the reading behind it', async () => (await waterValues(r, t)).length === 1, 10_000);
    await waitFor('its dead letter', () => r.dead.length === 1, 5_000);
    expect([rig.dead[0].reason, rig.dead[0].detail]).toEqual(['internal', 'RangeError: escaped the ingestor']);
    expect([thrown, ...(await waterValues(rig, t))]).toEqual([1, 101]); // handed over once: not retried
  });

  it('rejects a message over the size limit whole as oversize, and stores what follows', async () => {
    const site = `poison-size-${process.pid}`;
    rig = await startCollectorRig(site, { maxMessageBytes: 2_000 });
    const t = t0();
    const big = water(site, 1, t, 100);
    big.readings[0].points.note_s = { value: 1, quality: 'good', reason: 'x'.repeat(2_000) };
    await rig.publish('gw2', big);
    await rig.publish('gw2', water(site, 2, t + 60_000, 101));
    const r = rig;
    await waitFor('the reading behind it', async () => (await waterValues(r, t)).length === 1, 10_000);
    await waitFor('its dead letter', () => r.dead.length === 1, 5_000);
    expect(rig.dead[0].reason).toBe('oversize');
    expect(await waterValues(rig, t)).toEqual([101]);
  });

  it('keeps a message while the state database refuses it, then stores it once, energy included', async () => {
    const site = `poison-db-${process.pid}`;
    rig = await startCollectorRig(site);
    const ingestor = rig.collector.ingestors[0];
    const failures: string[] = [];
    const ingestMessage = ingestor.ingestMessage.bind(ingestor);
    ingestor.ingestMessage = async (topic, payload) => {
      try {
        return await ingestMessage(topic, payload);
      } catch (err) {
        failures.push(String(err));
        throw err;
      }
    };
    const t = t0();
    await rig.publish('gw2', water(site, 1, t, 100));
    const r = rig;
    await waitFor('the first reading', async () => (await waterValues(r, t)).length === 1, 10_000);
    // Another connection holds the write lock: the collector's commit waits its busy timeout, then fails.
    const lock = new Database(join(rig.dataDir, 'collector-state.sqlite'));
    lock.exec('BEGIN IMMEDIATE');
    try {
      await rig.publish('gw2', water(site, 2, t + 600_000, 103));
      await waitFor('a refused commit', () => failures.length > 0, 20_000);
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
    }
    expect(failures[0]).toContain('StateStoreError');
    await waitFor('the retried reading', async () => (await waterValues(r, t)).length === 2, 20_000);
    expect(await waterValues(rig, t)).toEqual([100, 103]);
    const energy = await rig.storage.raw({ measurement: 'energy_15m', from: t, to: t + Q, where: { meter: 'water' } });
    expect(energy.map((p) => p.fields.water_m3)).toEqual([3]);
    expect(rig.dead).toEqual([]);
  }, 40_000);
});
