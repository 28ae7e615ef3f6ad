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

/**
 * Runs `poll` on wall-clock multiples of `intervalMs`, so the devices of one gateway land in one batch.
 * A tick whose previous poll is still running (a slow line) is skipped, never doubled up.
 */
export class TickLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(private readonly intervalMs: number, private readonly poll: () => Promise<void>) {}

  start(): void {
    this.stopped = false;
    this.arm();
  }

  /** No further ticks from now on; resolves when the poll under way, if any, has finished. */
  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    return this.running ?? Promise.resolve();
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      if (!this.running) this.running = this.poll().finally(() => { this.running = undefined; });
      this.arm();
    }, delayToNextTick(Date.now(), this.intervalMs));
  }
}
