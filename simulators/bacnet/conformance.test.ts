/**
 * The simulated BACnet device against ASHRAE 135, read through the wire: required properties of the Device
 * object and of each object type, array access by index (clause 15.5.1.1.3), the requester's max APDU (clause
 * 5.4.5.3: abort segmentation-not-supported), command priorities and Relinquish_Default (clause 19.2), and the
 * OVERRIDDEN flag kept for local overrides. bacnet-stack's tools check the same from outside (peer.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BacnetBus, BacnetRequestError } from '../../gateway/protocols/bacnet/bus.ts';
import { ApplicationTag, BacnetClient, MaxApduLengthAccepted, ObjectType, PropertyIdentifier as P } from '../../gateway/protocols/bacnet/library.ts';
import { freeUdpPort } from '../../test/harness/ports.ts';
import { startBacnetSimulators } from './index.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function setup(template = 'hvac-chiller-plant', instance = 1101) {
  const sims = await startBacnetSimulators([{ template, deviceInstance: instance, name: 'sim', port: await freeUdpPort() }]);
  cleanups.push(() => sims.stop());
  const bus = await BacnetBus.open({ interface: '127.0.0.1', port: await freeUdpPort(), broadcastAddress: '127.0.0.1', apduTimeoutMs: 2000 });
  cleanups.push(() => bus.close());
  const sim = sims.devices[0];
  const read = async (type: number, inst: number, property: number, index?: number) => (await bus.readProperty(sim.address, { type, instance: inst }, property, index)).map((v) => v.value);
  return { sim, bus, read };
}

describe('simulated BACnet device, as the standard describes it', () => {
  it('Device object: required properties, Property_List, Object_List whole and by index', async () => {
    const { read } = await setup();
    const dev = (p: number, i?: number) => read(ObjectType.DEVICE, 1101, p, i);
    const list = await dev(P.OBJECT_LIST);
    expect(list).toHaveLength(14); // itself and 13 objects
    expect(await dev(P.OBJECT_LIST, 0)).toEqual([14]);
    expect(await dev(P.OBJECT_LIST, 1)).toEqual([{ type: ObjectType.DEVICE, instance: 1101 }]);
    expect(await dev(P.OBJECT_LIST, 14)).toEqual([list[13]]);
    await expect(dev(P.OBJECT_LIST, 15)).rejects.toMatchObject({ kind: 'error', errorClass: 2, errorCode: 42 }); // invalid-array-index
    await expect(dev(P.VENDOR_NAME, 1)).rejects.toMatchObject({ kind: 'error', errorClass: 2, errorCode: 50 }); // property-is-not-an-array
    const props = (await dev(P.PROPERTY_LIST)) as number[];
    for (const p of [P.DATABASE_REVISION, P.APDU_TIMEOUT, P.NUMBER_OF_APDU_RETRIES, P.PROTOCOL_OBJECT_TYPES_SUPPORTED, P.OBJECT_LIST,
      P.DEVICE_ADDRESS_BINDING, P.FIRMWARE_REVISION, P.APPLICATION_SOFTWARE_VERSION, P.SEGMENTATION_SUPPORTED]) expect(props).toContain(p);
    expect(props).not.toContain(P.OBJECT_NAME); // the identifier, name, type and the list itself are left out
    for (const p of props) await expect(dev(p)).resolves.toBeDefined(); // each listed property answers
    expect(await dev(P.DATABASE_REVISION)).toEqual([1]);
    expect(await dev(P.APDU_TIMEOUT)).toEqual([3000]);
  });

  it('objects: required properties per type, and ALL in ReadPropertyMultiple gives exactly Property_List plus the three', async () => {
    const { bus, sim, read } = await setup('hvac-fcu-zone', 3001);
    const required: Record<string, number[]> = {
      'analog-input:1': [P.UNITS, P.COV_INCREMENT],
      'analog-output:1': [P.UNITS, P.PRIORITY_ARRAY, P.RELINQUISH_DEFAULT, P.CURRENT_COMMAND_PRIORITY],
      'analog-value:1': [P.UNITS, P.PRIORITY_ARRAY, P.RELINQUISH_DEFAULT, P.CURRENT_COMMAND_PRIORITY],
      'binary-input:1': [P.POLARITY],
      'multi-state-value:1': [P.NUMBER_OF_STATES],
    };
    const types: Record<string, number> = { 'analog-input': 0, 'analog-output': 1, 'analog-value': 2, 'binary-input': 3, 'multi-state-value': 19 };
    for (const [id, extra] of Object.entries(required)) {
      const [type, inst] = [types[id.split(':')[0]], Number(id.split(':')[1])];
      const list = (await read(type, inst, P.PROPERTY_LIST)) as number[];
      for (const p of [P.PRESENT_VALUE, P.STATUS_FLAGS, P.EVENT_STATE, P.OUT_OF_SERVICE, ...extra]) expect(list, `${id} lists ${p}`).toContain(p);
      const all = await bus.readPropertyMultiple(sim.address, [{ objectId: { type, instance: inst }, properties: [{ id: P.ALL, index: 0xffffffff }] }]);
      expect(all.map((r) => r.property).sort()).toEqual([...list, P.OBJECT_IDENTIFIER, P.OBJECT_NAME, P.OBJECT_TYPE, P.PROPERTY_LIST].sort());
      expect(all.filter((r) => r.error)).toEqual([]);
    }
    expect(await read(19, 1, P.NUMBER_OF_STATES)).toEqual([4]);
    // A value object the template does not let anyone write has no Priority_Array (it is not commandable).
    await expect(read(0, 1, P.PRIORITY_ARRAY)).rejects.toMatchObject({ errorCode: 32 });
  });

  it("honours the requester's max APDU: aborts what does not fit, answers what does", async () => {
    const { sim } = await setup();
    const client = new BacnetClient({ interface: '127.0.0.1', port: await freeUdpPort(), broadcastAddress: '127.0.0.1', apduTimeout: 2000 });
    cleanups.push(() => client.close());
    const device = { type: ObjectType.DEVICE, instance: 1101 };
    // The library turns OCTETS_50 (0) into its 1476 default (`maxApdu || OCTETS_1476`); 0x10 puts the same 0 in the
    // octet's low nibble, which is all a device reads for the max APDU (clause 20.1.2.5).
    const octets50 = (MaxApduLengthAccepted.OCTETS_50 | 0x10) as MaxApduLengthAccepted;
    // 14 object identifiers take about 80 octets: too long for a 50-octet requester, and we cannot segment.
    const err = await client.readProperty({ address: sim.address }, device, P.OBJECT_LIST, { maxApdu: octets50 }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/BacnetAbort - Reason:4/); // segmentation-not-supported
    expect(sim.counters.aborts).toBe(1);
    const one = await client.readProperty({ address: sim.address }, device, P.OBJECT_LIST, { maxApdu: octets50, arrayIndex: 0 });
    expect(one.values[0].value).toBe(14);
    const whole = await client.readProperty({ address: sim.address }, device, P.OBJECT_LIST, { maxApdu: MaxApduLengthAccepted.OCTETS_128 });
    expect(whole.values).toHaveLength(14);
  });

  it('priority array by index, Current_Command_Priority, Relinquish_Default when every slot is empty; no OVERRIDDEN for commands', async () => {
    const { bus, sim, read } = await setup('hvac-fcu-zone', 3001);
    const sp = { type: ObjectType.ANALOG_VALUE, instance: 1 };
    const write = (value: number | null, priority: number) => bus.writeProperty(sim.address, sp, P.PRESENT_VALUE,
      [value === null ? { type: ApplicationTag.NULL, value: null } : { type: ApplicationTag.REAL, value }], priority);
    const initial = (await read(2, 1, P.RELINQUISH_DEFAULT))[0] as number;
    expect(await read(2, 1, P.PRESENT_VALUE)).toEqual([initial]);
    await write(22, 12);
    await write(24, 8);
    expect(await read(2, 1, P.PRESENT_VALUE)).toEqual([24]);
    expect(await read(2, 1, P.PRIORITY_ARRAY, 0)).toEqual([16]);
    expect(await read(2, 1, P.PRIORITY_ARRAY, 8)).toEqual([24]);
    expect(await read(2, 1, P.PRIORITY_ARRAY, 12)).toEqual([22]);
    expect(await read(2, 1, P.PRIORITY_ARRAY, 1)).toEqual([null]);
    expect(await read(2, 1, P.CURRENT_COMMAND_PRIORITY)).toEqual([8]);
    const flags = (await read(2, 1, P.STATUS_FLAGS))[0] as { value: number[] };
    expect(flags.value[0] ?? 0).toBe(0); // commanded, not overridden
    await write(null, 8);
    expect(await read(2, 1, P.PRESENT_VALUE)).toEqual([22]);
    await write(null, 12);
    expect(await read(2, 1, P.PRESENT_VALUE)).toEqual([initial]);
    expect(await read(2, 1, P.CURRENT_COMMAND_PRIORITY)).toEqual([null]);
    sim.faults.overridden.add('analog-value:1');
    expect(((await read(2, 1, P.STATUS_FLAGS))[0] as { value: number[] }).value[0] & 0b100).toBe(0b100); // bit 2 overridden
    const err = await bus.readProperty(sim.address, sp, P.PRESENT_VALUE, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BacnetRequestError);
  });

  it("the AHU's start/stop binary-output: commandable with Polarity, Priority_Array and Relinquish_Default; the fan follows", async () => {
    const { bus, sim, read } = await setup('hvac-ahu', 1201);
    const bo = { type: ObjectType.BINARY_OUTPUT, instance: 1 };
    const list = (await read(4, 1, P.PROPERTY_LIST)) as number[];
    for (const p of [P.POLARITY, P.PRIORITY_ARRAY, P.RELINQUISH_DEFAULT, P.CURRENT_COMMAND_PRIORITY]) expect(list).toContain(p);
    expect(list).not.toContain(P.UNITS);
    const write = (value: number | null, priority: number) => bus.writeProperty(sim.address, bo, P.PRESENT_VALUE,
      [value === null ? { type: ApplicationTag.NULL, value: null } : { type: ApplicationTag.ENUMERATED, value }], priority);
    await write(1, 12); // start
    expect([await read(4, 1, P.PRESENT_VALUE), await read(3, 1, P.PRESENT_VALUE)]).toEqual([[1], [1]]); // supply_fan_on follows
    await write(0, 8); // a technician's stop outranks the programme
    expect([await read(4, 1, P.PRESENT_VALUE), await read(3, 1, P.PRESENT_VALUE), await read(4, 1, P.CURRENT_COMMAND_PRIORITY)]).toEqual([[0], [0], [8]]);
    expect((await read(0, 5, P.PRESENT_VALUE))[0]).toBeCloseTo(0.05, 6); // fan power (REAL): the controller's standby only
    await write(null, 8);
    await write(null, 12);
    expect(await read(4, 1, P.PRESENT_VALUE)).toEqual(await read(4, 1, P.RELINQUISH_DEFAULT));
    expect(await read(4, 1, P.CURRENT_COMMAND_PRIORITY)).toEqual([null]);
  });
});
