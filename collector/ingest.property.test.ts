/**
 * Property (issue 12, defect 1): whatever schema-shaped batch a gateway sends — extreme numbers, timestamps at and
 * beyond the range of a date, odd strings, deep nesting, broken JSON — the collector acknowledges it and keeps
 * storing the good messages interleaved with it. fast-check generates the hostile batches; every one is followed
 * by a good message, through a real broker (aedes) into the embedded store. Messages are handed to the collector
 * one at a time and acknowledged in order (mqtt.js), so the last good message stored proves every message before
 * it was acknowledged; the received-messages counter proves none was delivered twice.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ReadingBatch } from '../core/contract/v1.ts';
import { waitFor } from '../test/harness/ports.ts';
import { collectorMetrics } from './metrics.ts';
import { startCollectorRig, type CollectorRig } from './testing/rig.ts';

const SITE = `prop-${process.pid}`;
const DAY = 86_400_000;
let rig: CollectorRig;
beforeAll(async () => {
  rig = await startCollectorRig(SITE);
});
afterAll(async () => {
  await rig?.stop();
});

/** Mostly `usual`, sometimes `odd`: most batches get past the schema to the per-reading checks and energy. */
const mostly = <T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) => fc.oneof({ weight: 9, arbitrary: usual }, { weight: 1, arbitrary: odd });
const extremeNumber = fc.oneof(
  fc.double(), // NaN and ±Infinity become null in JSON; -0, subnormals, ±1.8e308
  fc.integer(),
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 5e-324, 1e21, -1e21, 0, -1),
);
/** Integer timestamps (the contract's type): near now (past limit 35 days, future 5 min), and at and beyond the edges of a date. */
const timestamp = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -40 * DAY, max: 10 * 60_000 }).map((d) => Date.now() + d) },
  fc.constantFrom(9_000_000_000_000_000, -9_000_000_000_000_000, 8.64e15, 8.64e15 + 1, -8.64e15, -8.64e15 - 1, 1e20, -1e20, 0, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER),
  fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
).map((ts) => (ts % 1000 === 1 ? ts + 1 : ts)); // never a good message's timestamp (…001 ms)
const oddTimestamp = fc.oneof(timestamp, fc.double());
const oddString = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme', maxLength: 300 }), fc.constant(''), fc.constant('x'.repeat(5_000)));
const knownDevice = fc.constantFrom('main', 'lighting', 'hvac', 'water');
const pointName = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('energy_import_kwh', 'water_m3', 'power_kw', 'temp_c', 'power_factor', 'irradiance_w_m2', 'x_kwh') },
  fc.stringMatching(/^[a-z][a-z0-9_]{0,63}$/),
);
const quality = fc.constantFrom('good', 'uncertain', 'bad');

/** A batch the contract's schema accepts, with extreme values where it allows them. */
const validBatch = fc.record({
  v: fc.constant(1),
  site: mostly(fc.constant(SITE), fc.string({ minLength: 1 })),
  gateway: mostly(fc.constant('gw2'), fc.oneof(fc.constant('gw9'), fc.string({ minLength: 1 }))),
  seq: fc.oneof(fc.nat(), fc.constantFrom(2 ** 53, 1e300)),
  sent_ts: timestamp,
  readings: fc.array(fc.record({
    device: mostly(knownDevice, fc.oneof(fc.constantFrom('ghost', 'MAIN'), fc.string({ minLength: 1, unit: 'binary' }))),
    ts: timestamp,
    points: fc.dictionary(pointName, fc.record({ value: fc.oneof(extremeNumber, fc.constant(null)), quality }), { maxKeys: 12 }),
  }), { minLength: 1, maxLength: 8 }),
});
/** Anything of roughly that shape: wrong types, odd strings, missing or empty parts. */
const oddBatch = fc.record({
  v: mostly(fc.constant(1), extremeNumber),
  site: mostly(fc.constant(SITE), oddString),
  gateway: mostly(fc.constant('gw2'), oddString),
  seq: mostly(fc.nat(), extremeNumber),
  sent_ts: oddTimestamp,
  readings: fc.array(fc.record({
    device: fc.oneof(knownDevice, oddString),
    ts: oddTimestamp,
    points: fc.dictionary(fc.oneof(pointName, oddString), fc.record({ value: fc.oneof(extremeNumber, fc.constant(null)), quality: fc.oneof(quality, oddString) }), { maxKeys: 12 }),
  }), { minLength: 0, maxLength: 8 }),
});
const batch = fc.oneof({ weight: 3, arbitrary: validBatch }, oddBatch);
/** JSON nested this deep, as text (deeper than any recursion would survive). */
const deepNesting = (depth: number, at: 'value' | 'extra') => (b: object) => {
  const deep = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const text = JSON.stringify(b);
  return at === 'extra' ? `${text.slice(0, -1)},"x":${deep}}` : text.replace(/"value":[^,}]*/, `"value":${deep}`);
};
/** One hostile message, as the text sent. */
const hostile = fc.oneof(
  { weight: 6, arbitrary: batch.map((b) => JSON.stringify(b)) },
  { weight: 2, arbitrary: fc.tuple(batch, fc.jsonValue({ maxDepth: 8 }), fc.constantFrom('top', 'reading', 'point')).map(([b, junk, where]) => {
    const copy = JSON.parse(JSON.stringify(b)) as { readings: { points: Record<string, unknown> }[] } & Record<string, unknown>;
    if (where === 'top' || copy.readings.length === 0) copy.extra = junk;
    else if (where === 'reading') (copy.readings[0] as Record<string, unknown>).extra = junk;
    else copy.readings[0].points.junk_kwh = junk;
    return JSON.stringify(copy);
  }) },
  { weight: 1, arbitrary: fc.tuple(batch, fc.constantFrom(1_000, 100_000), fc.constantFrom('value', 'extra') as fc.Arbitrary<'value' | 'extra'>).map(([b, depth, at]) => deepNesting(depth, at)(b)) },
  { weight: 1, arbitrary: fc.tuple(batch, fc.nat()).map(([b, cut]) => { const t = JSON.stringify(b); return t.slice(0, cut % (t.length + 1)); }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')) },
);

let goodCount = 0;
/**
 * A good message: the main meter's power from gateway gw1, numbered and timed as a real gateway does. The hostile
 * batches come from gw2 (or name gateways that do not exist): a batch of gw1 with any seq would be seq accounting's
 * business (a forged seq makes the real batches after it look like duplicates), not this property's.
 */
function good(): { batch: ReadingBatch; ts: number; value: number } {
  const k = goodCount++;
  const ts = Math.floor(Date.now() / 1000) * 1000 - 3_600_000 + 1 + k * 1000;
  return { ts, value: k % 90, batch: { v: 1, site: SITE, gateway: 'gw1', seq: k, sent_ts: Date.now(), readings: [{ device: 'main', ts, points: { power_kw: { value: k % 90, quality: 'good' } } }] } };
}

it('acknowledges every hostile message and stores every good message interleaved with them', async () => {
  await fc.assert(fc.asyncProperty(fc.array(hostile, { minLength: 10, maxLength: 40 }), async (messages) => {
    const before = (await collectorMetrics.messagesIn.get()).values[0]?.value ?? 0;
    const goods: { ts: number; value: number }[] = [];
    for (const text of messages) {
      await rig.publish('gw2', text);
      const g = good();
      goods.push(g);
      await rig.publish('gw1', g.batch);
    }
    const from = goods[0].ts;
    const to = goods[goods.length - 1].ts + 1;
    const stored = async () => {
      await rig.collector.flush();
      const rows = await rig.storage.raw({ measurement: 'telemetry', from, to, where: { device: 'main', point: 'power_kw' } });
      return new Map(rows.map((p) => [p.time, Number(p.fields.value)]));
    };
    await waitFor('the last good message', async () => (await stored()).has(goods[goods.length - 1].ts), 15_000);
    const byTs = await stored();
    expect(goods.filter((g) => byTs.get(g.ts) !== g.value)).toEqual([]);
    const after = (await collectorMetrics.messagesIn.get()).values[0]?.value ?? 0;
    expect(after - before).toBe(2 * messages.length); // each handed over once: none redelivered for want of an ack
  }), { numRuns: 20, endOnFailure: true }); // no shrinking: each failing try would wait out its timeout
  const reasons = (await collectorMetrics.rejected.get()).values.filter((v) => v.value > 0).map((v) => `${String(v.labels.reason)}=${v.value}`);
  const accepted = (await collectorMetrics.pointsIn.get()).values[0]?.value ?? 0;
  const counter = (await collectorMetrics.counterEvents.get()).values.filter((v) => v.value > 0).map((v) => `${String(v.labels.outcome)}=${v.value}`);
  console.log(`points accepted ${accepted}; rejections by reason: ${reasons.join(' ')}; counter readings: ${counter.join(' ')}`);
}, 300_000);
