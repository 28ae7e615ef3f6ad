/**
 * A BACnet/IP device source (gateway/protocols/bacnet/source.ts) for tests: bound to its own loopback port,
 * recording what it emits and its online status, stopped by the caller's cleanup list.
 */
import type { DeviceReading } from '../../core/contract/v1.ts';
import { logger } from '../../core/log.ts';
import type { Device, SiteModel } from '../../core/site/schema.ts';
import { BacnetSource, type BacnetSourceOptions } from '../../gateway/protocols/bacnet/source.ts';
import type { BacnetTemplate } from '../../gateway/protocols/bacnet/template.ts';
import { freeUdpPort } from './ports.ts';

/** Latest value of each point over all readings. */
export type LatestPoints = Record<string, { value: number | null; quality: string; reason?: string }>;

/** Start a source for the device `instance` at 127.0.0.1:`port`; `cleanups` gets its stop. */
export async function startTestSource(
  port: number, instance: number, template: BacnetTemplate, cleanups: Array<() => Promise<void> | void>,
  opts: Partial<BacnetSourceOptions> & { localInterface?: string; localPort?: number; broadcast?: string } = {},
) {
  const localPort = opts.localPort ?? await freeUdpPort();
  const device: Device = {
    id: `dev-${instance}`, name: 'test', kind: 'hvac', building: 'b', gateway: 'gw', template: template.id,
    address: {
      protocol: 'bacnet-ip', host: '127.0.0.1', port, device_instance: instance, local_interface: opts.localInterface ?? '127.0.0.1',
      local_port: localPort, ...(opts.broadcast ? { broadcast: opts.broadcast } : {}),
    },
  };
  const readings: DeviceReading[] = [];
  const status: Array<{ online: boolean; error?: string }> = [];
  const src = new BacnetSource({
    site: {} as SiteModel, device, log: logger('test'), mqttUrl: 'mqtt://127.0.0.1:1',
    emit: (r) => readings.push(r),
    setOnline: (online, error) => status.push({ online, error }),
  }, template, { pollIntervalMs: 300, apduTimeoutMs: 800, ...opts });
  await src.start();
  cleanups.push(() => src.stop());
  const latest = (): LatestPoints => {
    const out: LatestPoints = {};
    for (const r of readings) Object.assign(out, r.points);
    return out;
  };
  return { src, readings, status, latest, localPort };
}
