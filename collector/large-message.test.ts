/**
 * A message of the largest size allowed, every point rejected (issue 12, defect 2): judged in slices, so the event
 * loop keeps turning meanwhile (MQTT keep-alive, the outbox writer, the API in the embedded mode), and every point
 * is accounted for. Its time is measured by `npm run bench:judge`, not here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { topics } from '../core/contract/v1.ts';
import { openEmbeddedStorage } from '../storage/embedded/store.ts';
import { DEFAULT_MAX_MESSAGE_BYTES, createIngestor } from './ingest.ts';
import { collectorTestSite } from './testing/site.ts';
import { worstMessage } from './testing/worst-message.ts';

it('lets the event loop run while it judges a 1 MiB message of unknown points, and rejects every point', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-large-'));
  const storage = openEmbeddedStorage({ path: join(dir, 'store.sqlite') });
  const ingestor = createIngestor({ site: collectorTestSite('large'), storage, stateDir: join(dir, 'state') });
  try {
    const { payload, points } = worstMessage('large', DEFAULT_MAX_MESSAGE_BYTES);
    expect(payload.length).toBeLessThanOrEqual(DEFAULT_MAX_MESSAGE_BYTES);
    let turns = 0;
    let judging = true;
    const turn = () => {
      turns++;
      if (judging) setImmediate(turn);
    };
    setImmediate(turn);
    const result = await ingestor.ingestMessage(topics.readings('large', 'gw1'), payload);
    judging = false;
    expect(result.rejected.length).toBe(points);
    expect(new Set(result.rejected.map((r) => r.reason))).toEqual(new Set(['unknown_point']));
    // 27 000 points in slices of 2 048, a pause after the parse and after the schema: a dozen turns at least
    expect(turns).toBeGreaterThanOrEqual(10);
  } finally {
    await ingestor.close();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
