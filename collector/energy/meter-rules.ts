/**
 * The counter rules of one meter (collector/energy/counter.ts) from the site model and its point rules: one
 * place, so the ingestion and a state rebuild from storage judge a register alike.
 */
import type { Device, Gateway } from '../../core/site/schema.ts';
import type { DevicePointRules } from '../point-rules.ts';
import type { CounterRules } from './counter.ts';

const MIN_MS = 60_000;

/** The counter rules of `device`; `gapMs` overrides the default gap threshold max(3 × poll interval, 15 min). */
export function meterCounterRules(device: Device, gateway: Gateway | undefined, rules: DevicePointRules, gapMs?: number): CounterRules {
  const pollS = device.poll_interval_s ?? gateway?.poll_interval_s ?? 15;
  return {
    rollover: rules.counterRollover,
    replacements: (device.replacements ?? []).map((r) => ({ at_ms: Date.parse(r.at), old_final: r.old_final, new_initial: r.new_initial }))
      .sort((a, b) => a.at_ms - b.at_ms),
    gap_ms: gapMs ?? Math.max(3 * pollS * 1000, 15 * MIN_MS),
    max_rate_per_h: rules.counterMaxRatePerH,
  };
}
