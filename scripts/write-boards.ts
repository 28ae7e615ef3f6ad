/**
 * `npm run boards`: write the Grafana boards generated from dashboards/src/ into dashboards/boards/, and their
 * panel reference into docs/dashboards.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderBoards } from '../dashboards/src/index.ts';
import { DOCS_FILE, withPanelReference } from '../dashboards/src/docs.ts';

for (const { file, text } of renderBoards()) {
  const path = join('dashboards/boards', file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  process.stdout.write(`${path}\n`);
}
writeFileSync(DOCS_FILE, withPanelReference(readFileSync(DOCS_FILE, 'utf8')));
process.stdout.write(`${DOCS_FILE}\n`);
