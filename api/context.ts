/** What every route handler needs: the indexed site model, the store, reference data, broker health. */
import type { Storage } from '../storage/port.ts';
import type { SiteIndex } from './site-index.ts';
import type { ReferenceData } from './reference.ts';
import type { StatusFeed } from './status-feed.ts';
import type { EntryStore } from './returns/entry-store.ts';

/** Shared by all routes of one API instance. */
export interface ApiContext {
  index: SiteIndex;
  storage: Storage;
  brokerHealth?: () => { ok: boolean; detail: string };
  /** the gateways' retained statuses (device state); absent: device state from telemetry age only */
  statusFeed?: StatusFeed;
  /** now, injectable so that tests of "latest" and "online" are deterministic */
  now: () => number;
  /** dated coefficients, limits, factors and tariffs */
  reference: ReferenceData;
  /** manual entries of the annual returns; absent: the returns hold metered figures only */
  entries?: EntryStore;
}
