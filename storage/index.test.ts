/** openStorage on the embedded store: where the file goes, and the one-line error when it cannot. */
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StartupError } from '../core/errors.ts';
import { openStorage, storageConfigFromEnv } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'jieneng-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openStorage (embedded)', () => {
  it('creates DATA_DIR and jieneng.sqlite in it', async () => {
    const store = await openStorage(storageConfigFromEnv({ DATA_DIR: join(dir, 'a', 'b') }));
    expect(store.kind).toBe('embedded');
    expect(existsSync(join(dir, 'a', 'b', 'jieneng.sqlite'))).toBe(true);
    await store.close();
  });

  it('says in one line when DATA_DIR cannot hold the file', async () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const err = await openStorage(storageConfigFromEnv({ DATA_DIR: file })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toMatch(new RegExp(`^embedded store ${file}/jieneng.sqlite: .+ — check that DATA_DIR points to a writable directory$`));
    expect((err as Error).message).not.toContain('\n');
  });
});
