/**
 * Device templates: one YAML file per device model in `templates/<model-id>.yaml` (DESIGN.md D5). Every file
 * names its `protocol`; the file is validated against that protocol's `templateSchema`
 * (gateway/protocols/<protocol>/template.ts); each protocol registers its schema in `templateKinds`.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { ConfigError, lineOf, readYaml, validate } from '../../core/config/yaml-file.ts';
import type { TemplateProtocol } from '../protocols/index.ts';
import { checkTemplateRows, templateSchema as modbusTemplateSchema, type ModbusTemplate } from '../protocols/modbus/template.ts';
import { checkSunspecTemplate, templateSchema as sunspecTemplateSchema } from '../protocols/sunspec/template.ts';
import { checkBacnetTemplateRules, templateSchema as bacnetTemplateSchema } from '../protocols/bacnet/template.ts';
import { checkMqttTemplateRules, templateSchema as mqttTemplateSchema } from '../protocols/mqtt/template.ts';

/** Where the shipped templates live. */
export const TEMPLATE_DIR = fileURLToPath(new URL('../../core/devices/templates/', import.meta.url));

/** A template of a protocol other than Modbus, as its own schema validated it. */
export interface OtherTemplate {
  protocol: Exclude<TemplateProtocol, 'modbus'>;
  id: string;
  [key: string]: unknown;
}

/** Any device template, discriminated by `protocol`. */
export type Template = ModbusTemplate | OtherTemplate;

/** Per protocol: the schema of its template files and the checks a schema cannot express. */
export const templateKinds: Partial<Record<TemplateProtocol, { schema: TSchema; check?: (t: never) => { path: string; problem: string } | undefined }>> = {
  modbus: { schema: modbusTemplateSchema, check: checkTemplateRows as (t: never) => { path: string; problem: string } | undefined },
  sunspec: { schema: sunspecTemplateSchema, check: checkSunspecTemplate as (t: never) => { path: string; problem: string } | undefined },
  bacnet: { schema: bacnetTemplateSchema, check: checkBacnetTemplateRules as (t: never) => { path: string; problem: string } | undefined },
  mqtt: { schema: mqttTemplateSchema, check: checkMqttTemplateRules as (t: never) => { path: string; problem: string } | undefined },
};

const cache = new Map<string, Template>();

/** Load and validate one template file; throws ConfigError naming the file, path and problem. */
export function loadTemplateFile(file: string): Template {
  const { value, source } = readYaml(file);
  const protocol = (value as { protocol?: unknown } | null)?.protocol;
  const kind = typeof protocol === 'string' ? templateKinds[protocol as TemplateProtocol] : undefined;
  if (!kind) {
    const known = Object.keys(templateKinds).join(', ');
    throw new ConfigError(file, 'protocol', `must be one of ${known} (got ${JSON.stringify(protocol)})`, lineOf(source, ['protocol']));
  }
  const template = validate(kind.schema, value, file, source) as Template;
  const expectedId = basename(file).replace(/\.ya?ml$/, '');
  if (template.id !== expectedId) {
    throw new ConfigError(file, 'id', `'${template.id}' must match the file name '${expectedId}'`, lineOf(source, ['id']));
  }
  const problem = kind.check?.(template as never);
  if (problem) {
    const path = problem.path.split(/[.[\]]+/).filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    throw new ConfigError(file, problem.path, problem.problem, lineOf(source, path));
  }
  return template;
}

/** The template with this id from `dir` (cached); throws ConfigError when missing or invalid. */
export function loadTemplate(id: string, dir = TEMPLATE_DIR): Template {
  const key = `${dir}\0${id}`;
  let t = cache.get(key);
  if (!t) {
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(id)) throw new ConfigError(id, '', 'not a template id (lower-case letters, digits, - and _)');
    t = loadTemplateFile(join(dir, `${id}.yaml`));
    cache.set(key, t);
  }
  return t;
}

/** Ids of every template file in `dir`, sorted. */
export function listTemplates(dir = TEMPLATE_DIR): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort();
}

/** Narrow a template to Modbus, or throw a ConfigError naming the device that uses it. */
export function asModbusTemplate(t: Template, usedBy: string): ModbusTemplate {
  if (t.protocol !== 'modbus') throw new ConfigError(usedBy, 'template', `template '${t.id}' is ${t.protocol}, not modbus`);
  return t;
}
