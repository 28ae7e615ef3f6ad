/**
 * Faults injected into the running demo's simulators from another shell (issue 14: the demo shows alerts within
 * minutes): `jieneng demo fault DEVICE:KIND[:k=v,…]…` (simulators/fault-spec.ts) or `jieneng demo fault --clear
 * DEVICE`, with the demo's `--data` folder. The command drops one file per request into `<data>/demo-faults/`;
 * the demo reads each once a second, applies it to its simulators and deletes it, logging what it did. A file
 * that cannot be applied is logged and deleted too, so one typo does not repeat every second.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../core/cli/command.ts';
import { logger } from '../core/log.ts';
import { parseFaultSpec, type FaultSpec } from '../simulators/fault-spec.ts';
import type { ModbusFault } from '../simulators/modbus/server.ts';
import type { ValueFault } from '../simulators/physics/faults.ts';

/** What the demo's simulators accept (simulators/fleet.ts). */
export interface FaultTarget {
  setValueFaults(deviceId: string, faults: ValueFault[]): void;
  setProtocolFault(deviceId: string, fault: ModbusFault): void;
}

/** One request: faults to add, or devices to clear. */
interface Request { faults?: string[]; clear?: string[] }

const log = logger('demo');
const folder = (dataDir: string) => resolve(dataDir, 'demo-faults');

/** Apply faults to the simulators now; value faults add to those the device has. */
export function applyFaults(target: FaultTarget, specs: FaultSpec[], current: Map<string, ValueFault[]>): void {
  for (const f of specs) {
    if ('value' in f) {
      const list = [...(current.get(f.device) ?? []), f.value];
      target.setValueFaults(f.device, list);
      current.set(f.device, list);
    } else {
      target.setProtocolFault(f.device, f.protocol);
    }
    log.warn({ device: f.device, fault: 'value' in f ? f.value : f.protocol }, 'fault injected into the simulator');
  }
}

/** Read the requests dropped into `<data>/demo-faults/` every `every_ms`; returns a stop function. */
export function watchDemoFaults(dataDir: string, target: FaultTarget, every_ms = 1000): () => void {
  const dir = folder(dataDir);
  mkdirSync(dir, { recursive: true });
  const current = new Map<string, ValueFault[]>();
  const timer = setInterval(() => {
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
      const file = join(dir, name);
      try {
        const req = JSON.parse(readFileSync(file, 'utf8')) as Request;
        for (const device of req.clear ?? []) {
          target.setValueFaults(device, []);
          try { target.setProtocolFault(device, null); } catch { /* a device without protocol faults (MQTT, BACnet) */ }
          current.delete(device);
          log.warn({ device }, 'simulator faults cleared');
        }
        applyFaults(target, (req.faults ?? []).map(parseFaultSpec), current);
      } catch (err) {
        log.error({ file: name, err: (err as Error).message }, 'fault request not applied');
      }
      rmSync(file, { force: true });
    }
  }, every_ms);
  timer.unref();
  return () => clearInterval(timer);
}

/** `jieneng demo fault …`: check the faults (a UsageError names a malformed one), then drop one request. */
export function requestDemoFaults(dataDir: string, specs: string[], clear: string[]): number {
  if (specs.length === 0 && clear.length === 0) throw new UsageError('name a fault (DEVICE:KIND[:key=value,…]) or --clear DEVICE');
  try {
    specs.forEach(parseFaultSpec); // before anything is dropped
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const dir = folder(dataDir);
  mkdirSync(dir, { recursive: true });
  const request: Request = { faults: specs, clear };
  // written whole, then renamed: the demo never reads half a request
  const name = `${Date.now()}-${process.pid}`;
  writeFileSync(join(dir, `${name}.tmp`), JSON.stringify(request));
  renameSync(join(dir, `${name}.tmp`), join(dir, `${name}.json`));
  process.stdout.write(`fault request left in ${dir}: the running demo applies it within a second (see its log)\n`);
  return 0;
}
