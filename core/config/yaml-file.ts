/**
 * Load a YAML file and validate it against a JSON Schema (TypeBox), turning every failure into one
 * ConfigError line: `file:line: path: problem`. Used for the site model and for device templates.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Static, TSchema } from '@sinclair/typebox';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';

/** A configuration problem; `message` is the single line shown to the user. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly problem: string,
    readonly line?: number,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${path ? `${path}: ` : ''}${problem}`);
    this.name = 'ConfigError';
  }
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: false, useDefaults: true, strict: false, discriminator: true, verbose: true }));
const validators = new WeakMap<TSchema, ValidateFunction>();

function validatorFor(schema: TSchema): ValidateFunction {
  let v = validators.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    validators.set(schema, v);
  }
  return v;
}

/** A parsed YAML document that remembers where each node came from. */
export interface SourceDoc {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/** Read and parse; throws ConfigError for a missing file or a syntax error. */
export function readYaml(file: string): { value: unknown; source: SourceDoc } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, '', code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(err)})`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.pos ? lines.linePos(e.pos[0]).line : undefined;
    throw new ConfigError(file, '', `YAML syntax error: ${e.message.split('\n')[0]}`, line);
  }
  return { value: doc.toJS(), source: { file, doc, lines } };
}

/** Line of the node at a JSON pointer-like path, or of its nearest existing parent. */
export function lineOf(source: SourceDoc | undefined, path: (string | number)[]): number | undefined {
  if (!source) return undefined;
  let node: unknown = source.doc.contents;
  let best: number | undefined = rangeLine(source, node);
  for (const key of path) {
    if (isMap(node)) node = node.get(key, true);
    else if (isSeq(node)) node = node.get(Number(key), true);
    else break;
    if (node === undefined) break;
    best = rangeLine(source, node) ?? best;
  }
  return best;
}

function rangeLine(source: SourceDoc, node: unknown): number | undefined {
  const range = (node as Node | null)?.range;
  return range ? source.lines.linePos(range[0]).line : undefined;
}

/** `/devices/3/address` → `devices[3].address` */
export function displayPath(path: (string | number)[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

/** Validate against a schema (filling defaults); throws a ConfigError for the first, most specific problem. */
export function validate<T extends TSchema>(schema: T, value: unknown, file: string, source?: SourceDoc): Static<T> {
  const check = validatorFor(schema);
  if (check(value)) return value as Static<T>;
  const err = pickError(check.errors ?? []);
  const path = err.instancePath.split('/').slice(1).map(decodePointer);
  // an unknown key is reported at the key itself, so its line is the one to fix
  const keyPath = err.keyword === 'additionalProperties'
    ? [...path, String((err.params as { additionalProperty: string }).additionalProperty)]
    : path;
  throw new ConfigError(file, displayPath(keyPath) || '(top level)', describe(err), lineOf(source, keyPath));
}

function decodePointer(part: string): string | number {
  const s = part.replace(/~1/g, '/').replace(/~0/g, '~');
  return /^\d+$/.test(s) ? Number(s) : s;
}

/** Ajv reports every branch of a union; the deepest error is the one a person can act on. */
function pickError(errors: ErrorObject[]): ErrorObject {
  const notUnion = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
  const pool = notUnion.length > 0 ? notUnion : errors;
  return pool.reduce((a, b) => (b.instancePath.length > a.instancePath.length ? b : a));
}

function describe(err: ErrorObject): string {
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required': return `missing required setting '${String(p.missingProperty)}'`;
    case 'additionalProperties': return 'unknown setting (check its spelling)';
    case 'type': return `must be of type ${String(p.type)}`;
    case 'const': return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'enum': return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'discriminator': {
      const variants = ((err.parentSchema?.oneOf ?? []) as { properties?: Record<string, { const?: unknown }> }[])
        .map((v) => JSON.stringify(v.properties?.[String(p.tag)]?.const)).filter((v) => v !== undefined);
      return `'${String(p.tag)}' must be one of ${variants.join(', ')}`;
    }
    case 'pattern': return `${err.message ?? 'has the wrong form'}${err.parentSchema?.description ? ` (${String(err.parentSchema.description)})` : ''}`;
    default: return err.message ?? err.keyword;
  }
}

/**
 * Read `<dir>/<id>.yaml` and check it with `check`; the file's own `id` must match its name, so that a copied
 * file that was not renamed is caught (device templates are looked up by file name).
 */
export function loadYamlById<T extends { id: string }>(dir: string, id: string, check: (value: unknown, file: string, source: SourceDoc) => T): T {
  const file = join(dir, `${id}.yaml`);
  const { value, source } = readYaml(file);
  const item = check(value, file, source);
  if (item.id !== id) throw new ConfigError(file, 'id', `is '${item.id}' but the file is named for '${id}'`, lineOf(source, ['id']));
  return item;
}
