/** The rules file watcher: debounced, decided by the content's hash, with the periodic look as the fallback. */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/harness/ports.ts';
import { watchRulesFile } from './watch.ts';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

function fixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-rules-watch-'));
  dirs.push(dir);
  const file = join(dir, 'alert-rules.yaml');
  writeFileSync(file, 'version: 1\n');
  return file;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('watchRulesFile', () => {
  it('several quick writes, and an atomic replace, are one change; the same content again is none', async () => {
    const file = fixture();
    let changes = 0;
    const w = watchRulesFile({ file, onChange: () => changes++, debounceMs: 100, pollMs: 60_000 });
    try {
      for (const n of [1, 2, 3]) writeFileSync(file, `version: 1\n# edit ${n}\n`);
      await waitFor('one change', () => changes === 1, 10_000);
      await sleep(400);
      expect(changes).toBe(1);
      writeFileSync(file, 'version: 1\n# edit 3\n'); // touched, not changed
      await sleep(400);
      expect(changes).toBe(1);
      writeFileSync(`${file}.tmp`, 'version: 1\n# replaced\n');
      renameSync(`${file}.tmp`, file); // as the API writes it
      await waitFor('the replace', () => changes === 2, 10_000);
    } finally {
      w.close();
    }
  });

  it('the periodic look finds a change the file-system events did not report', async () => {
    const file = fixture();
    let changes = 0;
    const w = watchRulesFile({ file, onChange: () => changes++, debounceMs: 10, pollMs: 200, events: false });
    try {
      writeFileSync(file, 'version: 1\n# by hand\n');
      await waitFor('the change', () => changes === 1, 10_000);
    } finally {
      w.close();
    }
  });
});
