/**
 * A deterministic stream of readings batches for the collector test site (gateways gw1 and gw2), with the
 * counter totals it implies, so tests can check storage by count and by kWh.
 */
import type { DeviceReading, ReadingBatch } from '../../core/contract/v1.ts';

/** Meter counters per gateway of `collectorTestSite()`, with their counter point. */
const METERS: Record<string, [device: string, point: string][]> = {
  gw1: [['main', 'energy_import_kwh'], ['lighting', 'energy_import_kwh'], ['hvac', 'energy_import_kwh']],
  gw2: [['water', 'water_m3']],
};

/** A stream of batches, one per gateway and step, `step_ms` apart from `start_ms`. */
export class ReadingStream {
  private readonly counters = new Map<string, number>();
  private readonly first = new Map<string, number>();
  /** next seq per gateway (contract v1: +1 per batch of each gateway) */
  private readonly seqs = new Map<string, number>();
  /** telemetry points published so far */
  points = 0;

  constructor(readonly start_ms: number, readonly step_ms: number, readonly site = 'test-site') {}

  /** The batches of step `i` (one per gateway); each meter advances by a deterministic amount. */
  step(i: number): ReadingBatch[] {
    const ts = this.start_ms + i * this.step_ms;
    return Object.entries(METERS).map(([gateway, meters]) => {
      const readings: DeviceReading[] = meters.map(([device, point], k) => {
        const prev = this.counters.get(device) ?? 1000 * (k + 1);
        const value = Math.round((prev + 0.25 + ((i * 7 + k * 3) % 10) / 8) * 1000) / 1000;
        if (!this.first.has(device)) this.first.set(device, value);
        this.counters.set(device, value);
        this.points += 2;
        return { device, ts, points: { [point]: { value, quality: 'good' }, [gateway === 'gw2' ? 'flow_m3h' : 'power_kw']: { value: (i % 50) + k, quality: 'good' } } };
      });
      const seq = this.seqs.get(gateway) ?? 0;
      this.seqs.set(gateway, seq + 1);
      return { v: 1, site: this.site, gateway, seq, sent_ts: ts, readings } satisfies ReadingBatch;
    });
  }

  /** Counter advance of a device from its first to its last published reading: its expected energy. */
  total(device: string): number {
    return (this.counters.get(device) ?? 0) - (this.first.get(device) ?? 0);
  }
}
