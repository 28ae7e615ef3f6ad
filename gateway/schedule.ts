/** Poll scheduling shared by the device sources and the runtime's batching. */
import type { Device, SiteModel } from '../core/site/schema.ts';

/** Poll interval of a device: its own, else its gateway's, else 15 s. */
export function pollIntervalMs(site: SiteModel, device: Device): number {
  const gw = site.gateways.find((g) => g.id === device.gateway);
  return (device.poll_interval_s ?? gw?.poll_interval_s ?? 15) * 1000;
}

/** Milliseconds from `nowMs` to the next wall-clock multiple of `intervalMs`, so devices of one gateway poll together. */
export function delayToNextTick(nowMs: number, intervalMs: number): number {
  return Math.ceil((nowMs + 1) / intervalMs) * intervalMs - nowMs;
}
