/**
 * How fast the gateway reads BACnet/IP controllers on this machine: N simulated AHUs on loopback, each polled
 * for its 13 objects × (Present_Value, Status_Flags, Reliability) by ReadPropertyMultiple and by ReadProperty.
 * Prints medians over the rounds, beside the floor measured in the same run (one ReadProperty round trip).
 *   npm run bench:bacnet [-- DEVICES ROUNDS]
 */
import { BacnetBus } from '../gateway/protocols/bacnet/bus.ts';
import { PropertyIdentifier as P, ObjectType } from '../gateway/protocols/bacnet/library.ts';
import { DeviceReader, type ReadRequest } from '../gateway/protocols/bacnet/reader.ts';
import { loadTemplateOf } from '../gateway/devices/templates.ts';
import { resolvePoints } from '../gateway/protocols/bacnet/template.ts';
import { startBacnetSimulators } from '../simulators/bacnet/index.ts';
import { freeUdpPort } from '../test/harness/ports.ts';

const devices = Number(process.argv[2] ?? 20);
const rounds = Number(process.argv[3] ?? 15);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const ports: number[] = [];
for (let i = 0; i < devices; i++) ports.push(await freeUdpPort());
const sims = await startBacnetSimulators(ports.map((port, i) => ({ template: 'hvac-ahu', deviceInstance: 5000 + i, name: `AHU-${i}`, port, cov: false })));
const bus = await BacnetBus.open({ interface: '127.0.0.1', port: await freeUdpPort(), broadcastAddress: '127.0.0.1', apduTimeoutMs: 3000 });
const requests: ReadRequest[] = resolvePoints(loadTemplateOf('bacnet', 'hvac-ahu')).map((p) => ({ objectId: p.objectId, properties: [P.PRESENT_VALUE, P.STATUS_FLAGS, P.RELIABILITY] }));
const values = requests.length * 3;

const floor: number[] = [];
const rpm: number[] = [];
const rp: number[] = [];
for (let r = 0; r < rounds; r++) {
  let t = performance.now();
  await bus.readProperty(`127.0.0.1:${ports[0]}`, { type: ObjectType.DEVICE, instance: 5000 }, P.SYSTEM_STATUS);
  floor.push(performance.now() - t);
  t = performance.now();
  for (const port of ports) await new DeviceReader(bus, `127.0.0.1:${port}`, { rpm: true }).read(requests);
  rpm.push(performance.now() - t);
  t = performance.now();
  for (const port of ports) await new DeviceReader(bus, `127.0.0.1:${port}`, { rpm: false }).read(requests);
  rp.push(performance.now() - t);
}
bus.close();
await sims.stop();

const f = median(floor), a = median(rpm), b = median(rp);
console.log(`${devices} devices × ${values} property values, ${rounds} rounds, devices read one after another`);
console.log(`floor: one ReadProperty round trip        median ${f.toFixed(2)} ms`);
console.log(`ReadPropertyMultiple: all devices         median ${a.toFixed(1)} ms  (${(a / devices).toFixed(2)} ms a device, ${(devices * values / a * 1000).toFixed(0)} values/s)`);
console.log(`ReadProperty fallback: all devices        median ${b.toFixed(1)} ms  (${(b / devices).toFixed(2)} ms a device, ${(devices * values / b * 1000).toFixed(0)} values/s)`);
