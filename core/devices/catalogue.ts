/**
 * The catalogue of device models (DESIGN D5, D11; decision 0006): one YAML file per model in `templates/<id>.yaml`.
 * Gateway, collector, API and simulators find a model here by its id; an unknown id is an error, never a guess.
 * The collector and the API read the narrow `DeviceModel`; the gateway also reads the document and validates the
 * rest of it with its protocol's schema (gateway/protocols/index.ts).
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, lineOf, readYaml, validate, type SourceDoc } from '../config/yaml-file.ts';
import { ModelDocument, modelOf, type DeviceModel } from './model.ts';

/** Where the shipped templates live. */
export const TEMPLATE_DIR = fileURLToPath(new URL('./templates/', import.meta.url));

/** Integrators' template folders, searched before the shipped one (site setting `site.templates_dir`, `--templates DIR`). */
const extraDirs: string[] = [];

/**
 * Search `dir` for templates before the shipped folder, for every protocol and every part of this process
 * (gateway, collector, simulators, API). A template there replaces a shipped one of the same id. Throws
 * ConfigError when the folder does not exist.
 */
export function useTemplateDir(dir: string, usedBy = '--templates'): void {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new ConfigError(usedBy, '', `template folder ${abs} does not exist`);
  if (!extraDirs.includes(abs)) extraDirs.unshift(abs);
}

/** The folders searched for a template, first match wins: the configured ones, then the shipped one. */
export function templateDirs(): string[] {
  return [...extraDirs, TEMPLATE_DIR];
}

/** One template file as read: its document (shared part validated) and where it came from. */
export interface TemplateFile {
  file: string;
  document: ModelDocument & Record<string, unknown>;
  source: SourceDoc;
}

/** The `{ path, problem }` of a check as a ConfigError at the line of that path. */
export function problemAt(file: string, source: SourceDoc, problem: { path: string; problem: string }): ConfigError {
  const path = problem.path.split(/[.[\]]+/).filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return new ConfigError(file, problem.path, problem.problem, lineOf(source, path));
}

/** Read one template file and check its shared part; throws ConfigError naming the file, line, path and problem. */
export function readTemplateFile(file: string): TemplateFile {
  const { value, source } = readYaml(file);
  const document = validate(ModelDocument, value, file, source) as ModelDocument & Record<string, unknown>;
  const expectedId = basename(file).replace(/\.ya?ml$/, '');
  if (document.id !== expectedId) {
    throw new ConfigError(file, 'id', `'${document.id}' must match the file name '${expectedId}'`, lineOf(source, ['id']));
  }
  return { file, document, source };
}

/** The model of a template file; a point without a unit of the catalogue throws ConfigError at its line. */
export function modelOfFile({ file, document, source }: TemplateFile): DeviceModel {
  const model = modelOf(document);
  if ('problem' in model) throw problemAt(file, source, model);
  return model;
}

/**
 * The file of template `id` in `dir`, or without `dir` in the first folder of `templateDirs()` that has it (the
 * shipped folder's path when none has, so the error names it); throws ConfigError for an id that cannot name one.
 */
export function templatePath(id: string, dir?: string): string {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(id)) throw new ConfigError(id, '', 'not a template id (lower-case letters, digits, - and _)');
  if (dir !== undefined) return join(dir, `${id}.yaml`);
  const found = extraDirs.map((d) => join(d, `${id}.yaml`)).find((f) => existsSync(f));
  return found ?? join(TEMPLATE_DIR, `${id}.yaml`);
}

const models = new Map<string, DeviceModel>();

/** The model with this id (cached); an unknown id throws ConfigError (`<dir>/<id>.yaml: file not found`). */
export function loadModel(id: string, dir?: string): DeviceModel {
  const file = templatePath(id, dir);
  let model = models.get(file);
  if (!model) {
    model = modelOfFile(readTemplateFile(file));
    models.set(file, model);
  }
  return model;
}

/** Ids of every template in `dir`, or without `dir` in every folder of the search path, sorted and unique. */
export function listModels(dir?: string): string[] {
  const ids = (dir === undefined ? templateDirs() : [dir])
    .flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)));
  return [...new Set(ids)].sort();
}
