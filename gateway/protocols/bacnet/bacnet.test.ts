/**
 * BACnet/IP over loopback against the simulators: discovery, object walk, ReadPropertyMultiple chunking and the
 * ReadProperty fallback, COV notifications and renewal, polling fallback, set-point writes and refusals, faults.
 * Each side has its own port: both Node stacks drop requests from exactly 127.0.0.1:47808.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestSource } from '../../../test/harness/bacnet-source.ts';
import { freeUdpPort, waitFor } from '../../../test/harness/ports.ts';
import { startBacnetSimulators, type BacnetSimulators } from '../../../simulators/bacnet/index.ts';
import { ChillerPlant, AirHandlingUnit } from '../../../simulators/physics/hvac.ts';
import { BacnetBus, BacnetRequestError } from './bus.ts';
import { ApplicationTag, PropertyIdentifier as P, Reliability } from './library.ts';
import { DeviceReader } from './reader.ts';
import { scanBacnet } from './scan.ts';
import { WriteRefusedError } from './source.ts';
import { loadTemplateOf } from '../../devices/templates.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function sims(spec: Parameters<typeof startBacnetSimulators>[0], covCheckMs = 100): Promise<BacnetSimulators> {
  const s = await startBacnetSimulators(spec, { covCheckMs });
  cleanups.push(() => s.stop());
  return s;
}

/** A device source with a recording context. */
function source(port: number, instance: number, templateId: string, opts: { pollIntervalMs?: number; covLifetimeS?: number; covSilenceMs?: number } = {}) {
  return startTestSource(port, instance, loadTemplateOf('bacnet', templateId), cleanups, opts);
}

describe('BACnet/IP on loopback', () => {
  it('discovers by Who-Is broadcast and walks objects, names and units (scan)', async () => {
    const port = await freeUdpPort();
    await sims([{ template: 'hvac-ahu', deviceInstance: 1201, name: 'AHU-1', port, interface: '0.0.0.0' }]);
    const lines: string[] = [];
    const devices = await scanBacnet({ interface: '127.0.0.1', broadcast: '127.255.255.255', port, localPort: await freeUdpPort(), waitMs: 700, print: (l) => lines.push(l) });
    expect(devices.map((d) => d.deviceInstance)).toEqual([1201]);
    const d = devices[0];
    expect(d).toMatchObject({ name: 'AHU-1', maxApdu: 1476, address: `127.0.0.1:${port}` });
    expect(d.objects).toHaveLength(14);
    expect(d.objects.find((o) => o.id === 'analog-input:2')).toMatchObject({ name: 'AHU-SAT', units: 'degrees-celsius', unitSymbol: '°C' });
    expect(typeof d.objects.find((o) => o.id === 'analog-input:2')?.presentValue).toBe('number');
    expect(lines.join('\n')).toMatch(/analog-value:1\s+AHU-SAT-SP/);
  });

  it('scans a device whose max APDU (50) cannot carry its Object_List: element by element, index 0 the count', async () => {
    const port = await freeUdpPort();
    const s = await sims([{ template: 'hvac-chiller-plant', deviceInstance: 1102, name: 'tiny', port, maxApdu: 50 }]);
    const [d] = await scanBacnet({ interface: '127.0.0.1', broadcast: '127.0.0.1', port, localPort: await freeUdpPort(), targets: [`127.0.0.1:${port}`], waitMs: 700, print: () => undefined });
    expect(d.error).toBeUndefined();
    expect(d.objects).toHaveLength(13);
    expect(d.objects.every((o) => o.name && o.unreadable === undefined)).toBe(true);
    expect(s.devices[0].counters.aborts).toBeGreaterThan(0); // the whole list was refused, not truncated
  });

  it('Who-Is with a range only finds devices inside it; a device outside stays silent', async () => {
    const port = await freeUdpPort();
    await sims([{ template: 'hvac-fcu-zone', deviceInstance: 3001, name: 'FCU-1', port, interface: '0.0.0.0' }]);
    const bus = await BacnetBus.open({ interface: '127.0.0.1', port: await freeUdpPort(), broadcastAddress: `127.255.255.255:${port}` });
    cleanups.push(() => bus.close());
    expect((await bus.whoIs({ lowLimit: 3000, highLimit: 3010, waitMs: 400 })).map((d) => d.deviceInstance)).toEqual([3001]);
    expect(await bus.whoIs({ lowLimit: 1, highLimit: 10, waitMs: 400 })).toEqual([]);
  });

  it('reads every template point by RPM and COV, in canonical units, with good quality', async () => {
    const port = await freeUdpPort();
    const model = new ChillerPlant({ id: 'chp', servedAreaM2: 18_600, startMs: Date.UTC(2026, 6, 15, 0) }); // a July morning
    const s = await sims([{ template: 'hvac-chiller-plant', deviceInstance: 1101, name: 'CHP', port, model }]);
    const { src, latest } = await source(port, 1101, 'hvac-chiller-plant');
    await waitFor('all 13 points', () => Object.keys(latest()).length === 13, 10_000);
    const v = latest();
    const truth = model.read(Date.now());
    // l/s on the wire, m³/h in the point (× 3.6); MWh on the wire, kWh in the point; REAL is 32-bit.
    expect(v.chw_flow_m3h.value).toBeCloseTo(truth.chw_flow_m3h, 0);
    expect(v.cooling_kwh.value).toBeCloseTo(truth.cooling_kwh, -1);
    expect(v.chw_supply_temp_setpoint_c).toMatchObject({ value: 7, quality: 'good' });
    expect(v.chiller_on.quality).toBe('good');
    const stats = src.stats();
    expect(stats.rpm).toBe(true);
    expect(stats.subscribed).toBe(11); // the two counters are polled (cov: false)
    expect(stats.covNotifications).toBeGreaterThanOrEqual(11); // the initial notification of each subscription
    expect(s.devices[0].subscriptionCount).toBe(11);
  });

  it('chunks ReadPropertyMultiple to a small device max APDU and falls back to ReadProperty without RPM', async () => {
    const [p1, p2] = [await freeUdpPort(), await freeUdpPort()];
    await sims([
      { template: 'hvac-ahu', deviceInstance: 1201, name: 'small', port: p1, maxApdu: 206, cov: false },
      { template: 'hvac-ahu', deviceInstance: 1202, name: 'no-rpm', port: p2, rpm: false, cov: false },
    ]);
    const small = await source(p1, 1201, 'hvac-ahu');
    const noRpm = await source(p2, 1202, 'hvac-ahu');
    await waitFor('both read', () => Object.keys(small.latest()).length === 14 && Object.keys(noRpm.latest()).length === 14, 10_000);
    const a = small.src.stats();
    expect(a.maxApdu).toBe(206);
    // 14 objects × 3 properties do not fit 206 octets: each poll takes several requests, none aborted.
    expect(a.rpmRequests).toBeGreaterThanOrEqual(3 * a.polls - 3);
    expect(a.subscribed).toBe(0);
    const b = noRpm.src.stats();
    expect(b.rpm).toBe(false);
    expect(b.rpRequests).toBeGreaterThanOrEqual(42);
    expect(noRpm.latest().supply_air_temp_setpoint_c.value).toBe(16);
    // Without knowing the device, a reader tries RPM, gets Reject (unrecognized-service) and switches to RP.
    const bus = await BacnetBus.open({ interface: '127.0.0.1', port: await freeUdpPort(), broadcastAddress: '127.0.0.1' });
    cleanups.push(() => bus.close());
    const reader = new DeviceReader(bus, `127.0.0.1:${p2}`);
    const results = await reader.read([{ objectId: { type: 2, instance: 1 }, properties: [P.PRESENT_VALUE] }]);
    expect(reader.rpm).toBe(false);
    expect(results[0].values?.[0].value).toBe(16);
  });

  it('renews subscriptions before their lifetime ends', async () => {
    const port = await freeUdpPort();
    const s = await sims([{ template: 'hvac-fcu-zone', deviceInstance: 3001, name: 'FCU', port }]);
    const { src } = await source(port, 3001, 'hvac-fcu-zone', { pollIntervalMs: 500, covLifetimeS: 2 });
    const sim = s.devices[0];
    // 6 COV objects; a renewal every 1.5 s (3/4 of 2 s): at least two rounds of SubscribeCOV per object.
    // Renewals of the six objects go out one after another: wait for the whole third round, not just the first object's.
    await waitFor('renewals', () => sim.subscribeLog.filter((e) => e.objectId === 'analog-input:1').length >= 3 && src.stats().subscribeRequests >= 18, 20_000); // 4.5 s when idle; a loaded CI machine delays UDP answers
    expect(sim.subscribeLog.every((e) => e.lifetimeS === 2)).toBe(true);
    expect(new Set(sim.subscribeLog.map((e) => e.processId)).size).toBe(1);
    expect(sim.subscriptionCount).toBe(6);
    expect(src.stats().subscribeRequests).toBeGreaterThanOrEqual(18);
    // Stopping cancels the subscriptions, so the controller's table is freed at once.
    await src.stop();
    expect(sim.subscriptionCount).toBe(0);
  });

  it('acknowledges confirmed COV notifications', async () => {
    const port = await freeUdpPort();
    const s = await sims([{ template: 'hvac-fcu-zone', deviceInstance: 3002, name: 'FCU', port }]);
    const bus = await BacnetBus.open({ interface: '127.0.0.1', port: await freeUdpPort(), broadcastAddress: '127.0.0.1', apduTimeoutMs: 1000 });
    cleanups.push(() => bus.close());
    const got: number[] = [];
    bus.onCov((n) => { if (n.processId === 42) got.push(n.values.find((v) => v.property === P.PRESENT_VALUE)?.values[0].value as number); });
    await bus.subscribeCov(s.devices[0].address, { type: 2, instance: 1 }, 42, 60, true);
    await waitFor('confirmed notification acknowledged', () => s.devices[0].counters.covAcknowledged >= 1, 5000);
    expect(got[0]).toBe(26);
    expect(s.devices[0].counters.covUnacknowledged).toBe(0);
  });

  it('falls back to polling when notifications stop, and when COV is refused', async () => {
    const [p1, p2] = [await freeUdpPort(), await freeUdpPort()];
    const s = await sims([
      { template: 'hvac-ahu', deviceInstance: 1201, name: 'quiet', port: p1 },
      { template: 'hvac-ahu', deviceInstance: 1202, name: 'no-cov', port: p2, cov: false },
    ]);
    const quiet = await source(p1, 1201, 'hvac-ahu', { pollIntervalMs: 300, covSilenceMs: 1000 });
    await waitFor('subscribed', () => quiet.src.stats().subscribed === 12, 10_000);
    s.devices[0].faults.covStopped = true;
    const sent = s.devices[0].counters.covNotifications;
    const polledBefore = quiet.src.stats().polledObjects;
    // After a second of silence each subscribed object is polled again: readings keep coming without COV.
    await waitFor('silent objects polled', () => quiet.src.stats().polledObjects >= polledBefore + 12 * 2, 10_000);
    expect(s.devices[0].counters.covNotifications).toBe(sent);
    const n = quiet.readings.length;
    await waitFor('more readings', () => quiet.readings.length > n + 2, 5000);
    expect(quiet.latest().supply_air_temp_c.quality).toBe('good');

    const refused = await source(p2, 1202, 'hvac-ahu');
    await waitFor('polled', () => Object.keys(refused.latest()).length === 14, 10_000);
    expect(refused.src.stats()).toMatchObject({ subscribed: 0 });
  });

  it('writes a set-point with priority; refuses non-writable points and values out of range without sending', async () => {
    const port = await freeUdpPort();
    const model = new AirHandlingUnit({ id: 'ahu' });
    const s = await sims([{ template: 'hvac-ahu', deviceInstance: 1201, name: 'AHU', port, model }]);
    const { src, latest } = await source(port, 1201, 'hvac-ahu');
    await waitFor('probed', () => src.stats().probed, 10_000);
    await src.write('supply_air_temp_setpoint_c', 14.5, 10);
    expect(model.setpoints.supply_air_temp_setpoint_c).toBe(14.5);
    const sim = s.devices[0];
    expect(sim.presentValue({ type: 2, instance: 1 })).toBe(14.5);
    await waitFor('COV of the new set-point', () => latest().supply_air_temp_setpoint_c?.value === 14.5, 5000);
    // A command at a priority is normal operation (clause 19.2), not an override: the value stays good.
    expect(latest().supply_air_temp_setpoint_c.quality).toBe('good');
    const writes = sim.counters.writeProperty;
    await expect(src.write('supply_air_temp_c', 10)).rejects.toThrow(WriteRefusedError);
    await expect(src.write('supply_air_temp_c', 10)).rejects.toThrow(/not configured writable/);
    await expect(src.write('supply_air_temp_setpoint_c', 40)).rejects.toThrow(/above the maximum 22/);
    await expect(src.write('no_such_c', 1)).rejects.toThrow(/no point/);
    expect(sim.counters.writeProperty).toBe(writes);
    // Relinquishing the last held slot restores Relinquish_Default, the controller's own set-point (clause 19.2.1.4).
    await src.write('supply_air_temp_setpoint_c', null, 10);
    expect(sim.presentValue({ type: 2, instance: 1 })).toBe(16);
    expect(model.setpoints.supply_air_temp_setpoint_c).toBe(16);
    await waitFor('COV of the default', () => latest().supply_air_temp_setpoint_c?.value === 16, 5000);
    // A local hand override (Status_Flags overridden) makes the value uncertain: it no longer tracks the process.
    sim.faults.overridden.add('analog-value:1');
    await waitFor('override seen', () => latest().supply_air_temp_setpoint_c?.quality === 'uncertain', 5000);
    expect(latest().supply_air_temp_setpoint_c.reason).toBe('status flag: overridden (local override)');
    // The device itself refuses writes to an input (write-access-denied), whatever the gateway thinks.
    const bus = await BacnetBus.open({ interface: '127.0.0.1', port: await freeUdpPort(), broadcastAddress: '127.0.0.1' });
    cleanups.push(() => bus.close());
    const err = await bus.writeProperty(sim.address, { type: 0, instance: 2 }, P.PRESENT_VALUE, [{ type: ApplicationTag.REAL, value: 1 }], 8).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BacnetRequestError);
    expect((err as BacnetRequestError).errorCode).toBe(40);
  });

  it('maps unknown objects and unreliable sensors to bad quality, and notices a device going offline and back', async () => {
    const port = await freeUdpPort();
    const s = await sims([{ template: 'hvac-hot-water', deviceInstance: 1301, name: 'DHW', port, cov: false }]);
    const sim = s.devices[0];
    sim.faults.unknownObjects.add('analog-input:4');
    sim.faults.unreliable.set('analog-input:3', Reliability.OPEN_LOOP);
    const { latest, status } = await source(port, 1301, 'hvac-hot-water', { pollIntervalMs: 300 });
    await waitFor('read', () => Object.keys(latest()).length === 11, 10_000);
    expect(latest().hot_water_flow_m3h).toEqual({ value: null, quality: 'bad', reason: 'unknown-object' });
    expect(latest().inlet_water_temp_c).toMatchObject({ quality: 'bad', reason: 'reliability: open-loop' });
    expect(latest().tank_temp_c.quality).toBe('good');
    // MJ on the wire, kWh in the point (÷ 3.6)
    expect(latest().heat_kwh.value).toBeGreaterThan(100_000);
    expect(status[0]).toEqual({ online: true, error: undefined });
    sim.faults.offline = true;
    await waitFor('offline', () => status.at(-1)?.online === false, 10_000);
    expect(status.at(-1)?.error).toMatch(/timeout/);
    sim.faults.offline = false;
    await waitFor('back online', () => status.at(-1)?.online === true, 10_000);
  });
});

describe('a controller that restarts forgets its subscriptions; the gateway resubscribes at once', () => {
  it('on its start-up I-Am', async () => {
    const port = await freeUdpPort();
    let s = await sims([{ template: 'hvac-fcu-zone', deviceInstance: 3011, name: 'FCU', port }]);
    // Polling and renewal far away (60 s, 300 s): only the I-Am can bring the subscriptions back within the wait.
    const { src, localPort } = await source(port, 3011, 'hvac-fcu-zone', { pollIntervalMs: 60_000, covLifetimeS: 300 });
    await waitFor('subscribed', () => s.devices[0].subscriptionCount === 6, 10_000);
    await s.stop();
    s = await sims([{ template: 'hvac-fcu-zone', deviceInstance: 3011, name: 'FCU', port, announceTo: `127.0.0.1:${localPort}` }]);
    await waitFor('resubscribed after the restart', () => s.devices[0].subscriptionCount === 6, 10_000);
    expect(src.stats().restarts).toBe(1);
  });

  it('on a changed Database_Revision in the heartbeat', async () => {
    const port = await freeUdpPort();
    const s = await sims([{ template: 'hvac-fcu-zone', deviceInstance: 3012, name: 'FCU', port, databaseRevision: 7 }]);
    const { src } = await source(port, 3012, 'hvac-fcu-zone', { pollIntervalMs: 400, covLifetimeS: 300 });
    await waitFor('subscribed', () => s.devices[0].subscriptionCount === 6, 10_000);
    // An instant restart (no gap in which a heartbeat could time out): subscriptions gone, a new revision.
    s.devices[0].restart({ databaseRevision: 8 });
    expect(s.devices[0].subscriptionCount).toBe(0);
    await waitFor('resubscribed after the restart', () => s.devices[0].subscriptionCount === 6, 10_000);
    expect(src.stats().restarts).toBe(1);
  });
});
