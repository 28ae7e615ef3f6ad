/**
 * The record of a stored import (`import_log`, core/measurements.ts): per device, the span and count of its
 * readings, their kind, the file's SHA-256 and who imported it — what tells an imported value from a measured one
 * (issue 15: per-value provenance of the returns).
 */
import { createHash } from 'node:crypto';
import { MEASUREMENT } from '../core/measurements.ts';
import type { SiteModel } from '../core/site/schema.ts';
import type { StoredPoint } from '../storage/port.ts';
import { energyCounter } from '../collector/point-rules.ts';
import type { ImportReading } from './rows.ts';

/** The rows of `import_log` for a stored file: one per device, at its first reading. */
export function importRecord(site: SiteModel, readings: readonly ImportReading[], bytes: Uint8Array, by: string, now: number): StoredPoint[] {
  const sha = createHash('sha256').update(bytes).digest('hex');
  const byDevice = new Map<string, { first: ImportReading; last: number; count: number; kind: string }>();
  for (const r of readings) {
    const kind = energyCounter(r.device)?.point !== r.point ? 'telemetry' : r.quality === 'uncertain' ? 'interval' : 'counter';
    const d = byDevice.get(r.device.id);
    if (!d) byDevice.set(r.device.id, { first: r, last: r.ts, count: 1, kind });
    else {
      d.last = Math.max(d.last, r.ts);
      d.count++;
      if (kind !== 'telemetry') d.kind = kind; // a meter's counter or interval rows name it, beside other points
    }
  }
  return [...byDevice.values()].map(({ first, last, count, kind }) => ({
    measurement: MEASUREMENT.importLog,
    tags: { site: site.site.id, building: first.device.building, device: first.device.id },
    fields: { to: last, readings: count, kind, file_sha256: sha, by, imported_at: now },
    time: first.ts,
  }));
}
