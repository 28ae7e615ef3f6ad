/**
 * Writes the published JSON Schema files from their TypeBox sources, so third parties and editors get
 * exactly what the code validates: the MQTT contract v1 and the site model. A test fails if they are stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { contractSchemas } from '../core/contract/v1.ts';
import { SiteModel } from '../core/site/schema.ts';

export const SCHEMA_FILES = {
  contract: fileURLToPath(new URL('../core/contract/mqtt-v1.schema.json', import.meta.url)),
  site: fileURLToPath(new URL('../core/site/site-model.schema.json', import.meta.url)),
};

/** The text of each published schema file. */
export function renderSchemas(): Record<keyof typeof SCHEMA_FILES, string> {
  const contract = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'urn:jieneng:schema:mqtt-v1',
    title: 'Jieneng MQTT contract v1',
    description: 'Payloads of jieneng/v1/<site>/<gateway>/readings, …/status, …/devices/<device>/status, …/command, …/command/result, jieneng/v1/<site>/deadletter and jieneng/v1/<site>/collectors/<member>/lost.',
    $defs: contractSchemas,
  };
  const site = { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: 'urn:jieneng:schema:site-model-v1', ...SiteModel };
  return { contract: JSON.stringify(contract, null, 2) + '\n', site: JSON.stringify(site, null, 2) + '\n' };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const texts = renderSchemas();
  for (const key of Object.keys(SCHEMA_FILES) as (keyof typeof SCHEMA_FILES)[]) {
    writeFileSync(SCHEMA_FILES[key], texts[key]);
    console.log(`wrote ${SCHEMA_FILES[key]}`);
  }
}
