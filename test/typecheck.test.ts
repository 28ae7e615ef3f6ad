/** The whole project type-checks under `strict` (the sources run through tsx, which does not check types). */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('TypeScript', () => {
  it('type-checks with tsc --noEmit', () => {
    const res = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.'], { encoding: 'utf8' });
    expect(res.stdout + res.stderr).toBe('');
    expect(res.status).toBe(0);
  }, 180_000);
});
