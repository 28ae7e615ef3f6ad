/**
 * Counter state rebuilt from storage (issue 12.6, decision 0308). A meter the state database knows nothing of —
 * the file was deleted, or the meter's gateway moved to this collector's partition — would otherwise start as
 * new, and its first intervals and its day would be overwritten with partial totals. Before the ingestor opens,
 * each such meter gets back from storage:
 * - the stored 15-minute totals of the days still open (from the local day of now − recompute horizon);
 * - the newest stored interval L: totals before it are kept as stored;
 * - the last counter reading at or before L (the anchor) and the stored readings after it, replayed through the
 *   meter's counter rules: the totals from L on are recomputed (telemetry is written before the energy rows of the
 *   same entries, so it may be ahead of them), never below the stored ones.
 * Recomputed totals that differ from storage are rewritten by the ingestor at start (`StateStore.pendingRewrites`).
 */
import { StartupError } from '../core/errors.ts';
import { logger } from '../core/log.ts';
import { DAY_MS } from '../core/measurements.ts';
import { LocalDays } from '../core/time.ts';
import type { Storage } from '../storage/port.ts';
import { siteIndex } from './batch-judge.ts';
import { createIngestor, type Ingestor, type IngestorOptions } from './ingest.ts';
import type { CounterRules } from './energy/counter.ts';
import { MeterEnergy, type IntervalTotal } from './energy/meter-energy.ts';
import { meterCounterRules } from './energy/meter-rules.ts';
import { devicePointRules } from './point-rules.ts';
import { StateStore, STATE_FILE, type MeterSnapshot } from './state-store.ts';
import { counterReadings, lastCounterReadings, storedIntervals, type StoredMeter } from './stored-counters.ts';

/** Options of `rebuildMissingMeterState`: those of the ingestor that shape counter state. */
export type RebuildOptions = Pick<IngestorOptions,
  'site' | 'storage' | 'stateDir' | 'now' | 'maxFutureMs' | 'maxAgeMs' | 'recomputeHorizonMs' | 'gapMs' | 'pointRules' | 'log'>;

/** What a rebuild did. */
export interface RebuildReport {
  /** meters with a counter that the state database had no state of */
  missing: number;
  /** of those, meters storage knew something of (their state is now in the state database) */
  rebuilt: number;
  /** per rebuilt meter, the interval starts whose recomputed total differs from storage (the ingestor rewrites them at start) */
  rewrite: Map<string, number[]>;
}

interface RebuildMeter {
  stored: StoredMeter;
  rules: CounterRules;
}

/** Give every meter without counter state its state back from storage (see the module doc). */
export async function rebuildMissingMeterState(opts: RebuildOptions): Promise<RebuildReport> {
  const log = opts.log ?? logger('collector');
  const store = new StateStore(opts.stateDir); // an unreadable file: StartupError, one line
  try {
    const have = store.metersWithState();
    const gateways = new Map(opts.site.gateways.map((g) => [g.id, g]));
    const missing: RebuildMeter[] = [];
    for (const { device: d, rules } of siteIndex(opts.site, opts.pointRules ?? devicePointRules).devices.values()) {
      const medium = rules.counterMedium; // a meter's medium, or electricity for an inverter's yield
      if (!rules.counterPoint || !medium || have.has(d.id)) continue;
      missing.push({ stored: { id: d.id, medium, point: rules.counterPoint }, rules: meterCounterRules(d, gateways.get(d.gateway), rules, opts.gapMs) });
    }
    const report: RebuildReport = { missing: missing.length, rebuilt: 0, rewrite: new Map() };
    if (missing.length === 0) return report;
    let snapshots: Map<string, MeterSnapshot>;
    try {
      snapshots = await rebuildFromStorage(opts, missing, report.rewrite);
    } catch (err) {
      throw new StartupError(`the counter state of ${missing.length} meter(s) is missing from ${opts.stateDir}/${STATE_FILE} and storage could not be read to rebuild it (${(err as Error).message}): start storage and start the collector again`, { cause: err });
    }
    store.seedMeters(snapshots, report.rewrite);
    report.rebuilt = snapshots.size;
    if (snapshots.size > 0) {
      log.warn({ state_file: `${opts.stateDir}/${STATE_FILE}`, meters: snapshots.size, rewritten_intervals: [...report.rewrite.values()].reduce((n, s) => n + s.length, 0) },
        'counter state was missing for meters storage knows: rebuilt from storage (last counter reading, today\'s stored intervals)');
    }
    return report;
  } finally {
    store.close();
  }
}

async function rebuildFromStorage(opts: RebuildOptions, meters: readonly RebuildMeter[], rewrite: Map<string, number[]>): Promise<Map<string, MeterSnapshot>> {
  const { storage } = opts;
  const siteId = opts.site.site.id;
  const now = (opts.now ?? Date.now)();
  const horizon = opts.recomputeHorizonMs ?? 6 * 3_600_000;
  const days = new LocalDays(opts.site.site.timezone ?? 'Asia/Shanghai');
  const from = days.dayOf(now - horizon)[0];
  const to = now + (opts.maxFutureMs ?? 5 * 60_000) + 1;
  const floor = now - (opts.maxAgeMs ?? 35 * DAY_MS);

  const stored = await storedIntervals(storage, siteId, meters.map((m) => m.stored), from, to);
  const newestStored = (id: string) => Math.max(from, ...(stored.get(id)?.keys() ?? []));
  const anchors = await lastCounterReadings(storage, siteId, meters.map((m) => ({ meter: m.stored, at_ms: newestStored(m.stored.id) })), floor);
  // The next reading's segment starts at the anchor: every interval from the anchor's local day on must be known.
  const older = meters.filter((m) => (anchors.get(m.stored.id)?.ts ?? from) < from);
  if (older.length > 0) {
    const since = days.dayOf(Math.min(...older.map((m) => anchors.get(m.stored.id)!.ts)))[0];
    for (const [id, totals] of await storedIntervals(storage, siteId, older.map((m) => m.stored), since, from)) {
      const all = new Map([...totals, ...(stored.get(id) ?? [])]);
      stored.set(id, all);
    }
  }
  const replay = await counterReadings(storage, siteId, meters.map((m) => m.stored), Math.min(...meters.map((m) => newestStored(m.stored.id))), to);

  const out = new Map<string, MeterSnapshot>();
  for (const { stored: sm, rules } of meters) {
    const id = sm.id;
    const settled = newestStored(id); // L: totals before it stay as stored
    const anchor = anchors.get(id);
    const energy = new MeterEnergy(rules, horizon, undefined, (ms) => days.dayOf(ms)[0]);
    const touched = new Set<number>();
    if (anchor) energy.add(anchor, touched);
    for (const r of replay.get(id) ?? []) if (!anchor || r.ts > anchor.ts) energy.add(r, touched);
    const kept = stored.get(id) ?? new Map<number, IntervalTotal>();
    if (energy.readings.length === 0 && kept.size === 0) continue; // storage knows nothing of it: a new meter
    const intervals = new Map<number, IntervalTotal>();
    for (const [start, t] of kept) intervals.set(start, t);
    const changed: number[] = [];
    for (const [start, t] of energy.intervals) {
      if (start < settled) continue;
      const before = kept.get(start);
      // Never below what storage holds: a replay missing readings storage had counted must not shrink a total.
      if (before && before.quantity >= t.quantity - 1e-9) continue;
      intervals.set(start, { quantity: t.quantity, estimated: t.estimated });
      changed.push(start);
    }
    if (changed.length > 0) rewrite.set(id, changed);
    out.set(id, { readings: [...energy.readings], intervals: [...intervals].sort((a, b) => a[0] - b[0]), evicted: true });
  }
  return out;
}

/** The ingestor of `opts`, after the counter state of meters missing from its state database is rebuilt from storage. */
export async function openIngestor(opts: IngestorOptions): Promise<Ingestor> {
  if (opts.roles?.energy === false) return createIngestor(opts);
  await rebuildMissingMeterState(opts);
  return createIngestor(opts);
}
