/** Child process of bench/gateway.ts: serves the 200-meter fleet, prints `{"ports":[…]}` and runs until killed. */
import { fixedDevice, sampleValues } from '../simulators/modbus/fixed-device.ts';
import { startModbusSimulator, type ModbusSimulator, type SimUnit } from '../simulators/modbus/server.ts';
import { FLEET_PORTS, METERS_PER_PORT, fleetTemplate } from './gateway-fleet.ts';

const sims: ModbusSimulator[] = [];
for (let p = 0; p < FLEET_PORTS; p++) {
  const units = new Map<number, SimUnit>();
  for (let u = 0; u < METERS_PER_PORT; u++) {
    const i = p * METERS_PER_PORT + u;
    const t = fleetTemplate(i);
    units.set(u + 1, { template: t, device: fixedDevice(`m${i}`, sampleValues(t), { energy_import_kwh: { start: 1000 + i, per_hour: 20 } }) });
  }
  sims.push(await startModbusSimulator({ units, imageCacheMs: 500 }));
}
process.stdout.write(`${JSON.stringify({ ports: sims.map((s) => s.port) })}\n`);
const stop = async () => { await Promise.all(sims.map((s) => s.stop())); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
