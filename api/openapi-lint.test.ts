/**
 * The OpenAPI document passes `redocly lint` with the recommended rules, no error and no warning (issue #13).
 * @redocly/cli is a devDependency (`npm ci` installs it); where it is not installed the test says so and skips.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const installed = (() => {
  try {
    createRequire(import.meta.url).resolve('@redocly/cli/package.json');
    return true;
  } catch {
    return false;
  }
})();

describe('OpenAPI document', () => {
  it.skipIf(!installed)('passes redocly lint with the recommended rules, without a warning', () => {
    const run = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/lint-openapi.ts'], { encoding: 'utf8', timeout: 120_000 });
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status, output).toBe(0);
    expect(output).toMatch(/Your API description is valid/);
    expect(output, output).not.toMatch(/You have \d+ warnings?/);
  }, 150_000);
});
