/**
 * The history imports behind a year (issue 15): the `import_log` rows of the history import (importer/record.ts,
 * docs/import.md) whose span meets the year, and which meters' energy in the year came from a file. A value of
 * the returns whose meters include one of them is marked `imported`, and the data-quality sheet lists the imports.
 */
import { MEASUREMENT } from '../../core/measurements.ts';
import type { Storage } from '../../storage/port.ts';
import type { SiteIndex } from '../site-index.ts';

/** One device's part of a stored import file. */
export interface ImportRecord {
  device: string;
  building: string;
  /** counter (register readings), interval (energy per interval) or telemetry (other points) */
  kind: string;
  /** first and last reading, UTC epoch ms */
  from: number;
  to: number;
  readings: number;
  file_sha256: string;
  by: string;
  /** UTC epoch ms */
  imported_at: number;
}

/** The site's imports whose span [first, last reading] meets [from, to), in time order. */
export async function importsOf(index: SiteIndex, storage: Storage, from: number, to: number): Promise<ImportRecord[]> {
  // a row's time is the device's first reading: an import that began before the year is found from the epoch on
  const rows = await storage.raw({ measurement: MEASUREMENT.importLog, from: 0, to, where: { site: index.site.site.id } });
  return rows
    .map((r) => ({
      device: r.tags.device ?? '', building: r.tags.building ?? '', kind: String(r.fields.kind ?? ''),
      from: r.time, to: Number(r.fields.to ?? r.time), readings: Number(r.fields.readings ?? 0),
      file_sha256: String(r.fields.file_sha256 ?? ''), by: String(r.fields.by ?? ''), imported_at: Number(r.fields.imported_at ?? 0),
    }))
    .filter((r) => r.to >= from && r.from < to)
    .sort((a, b) => a.from - b.from || a.device.localeCompare(b.device));
}

/** The devices whose energy in the period came (at least partly) from a file: counter and interval imports. */
export function importedMeters(records: readonly ImportRecord[]): Set<string> {
  return new Set(records.filter((r) => r.kind === 'counter' || r.kind === 'interval').map((r) => r.device));
}
