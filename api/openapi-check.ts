/** Validate a response against the OpenAPI document (tests use it on every response they receive). */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { openApiDocument } from './openapi.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
ajv.addSchema(openApiDocument, 'openapi.json');
const cache = new Map<string, ValidateFunction>();

const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Throws unless `body` matches the schema the document gives for `status` of `method path`
 * (`path` is the template, e.g. `/api/v1/buildings/{id}/energy`).
 */
export function assertMatchesOpenApi(method: string, path: string, status: number, body: unknown): void {
  const key = `${method} ${path} ${status}`;
  let v = cache.get(key);
  if (!v) {
    const pointer = `openapi.json#/paths/${escape(path)}/${method.toLowerCase()}/responses/${status}/content/application~1json/schema`;
    const found = ajv.getSchema(pointer);
    if (!found) throw new Error(`the OpenAPI document has no schema for ${key}`);
    v = found;
    cache.set(key, v);
  }
  if (!v(body)) throw new Error(`${key}: response does not match the OpenAPI document: ${ajv.errorsText(v.errors)}\n${JSON.stringify(body).slice(0, 600)}`);
}
