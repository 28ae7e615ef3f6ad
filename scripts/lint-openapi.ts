/**
 * `npm run lint:openapi`: the API's OpenAPI document (api/openapi.ts) through `redocly lint` with the recommended
 * rules (issue #13). Writes the document to a temporary file, runs the locally installed @redocly/cli with its
 * telemetry and update check off (nothing leaves the machine), and exits with its code.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApiDocument } from '../api/openapi.ts';

const dir = mkdtempSync(join(tmpdir(), 'jieneng-openapi-'));
try {
  const file = join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(openApiDocument, null, 2));
  const cli = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');
  const result = spawnSync(process.execPath, [cli, 'lint', '--extends', 'recommended', '--format', 'stylish', file], {
    stdio: 'inherit', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  });
  process.exitCode = result.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
