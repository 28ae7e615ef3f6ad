import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSchemas, SCHEMA_FILES } from '../../scripts/write-schemas.ts';

describe('published JSON Schema files', () => {
  it.each(Object.keys(SCHEMA_FILES) as (keyof typeof SCHEMA_FILES)[])('%s schema file is up to date (npm run schema)', (key) => {
    expect(readFileSync(SCHEMA_FILES[key], 'utf8')).toBe(renderSchemas()[key]);
  });
});
