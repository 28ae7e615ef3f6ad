/**
 * Device templates as the gateway reads them: a file of the catalogue of device models (core/devices/catalogue.ts),
 * validated in full by its protocol's schema and checks from the registry (gateway/protocols/index.ts).
 */
import { ConfigError, validate } from '../../core/config/yaml-file.ts';
import { listModels, problemAt, readTemplateFile, templatePath } from '../../core/devices/catalogue.ts';
import type { TemplateProtocol } from '../../core/devices/model.ts';
import { protocols, type Protocol, type TemplateOf } from '../protocols/index.ts';

/** Any validated device template, discriminated by `protocol`. */
export type Template = TemplateOf[TemplateProtocol];

const cache = new Map<string, Template>();

/** Load and validate one template file; throws ConfigError naming the file, line, path and problem. */
export function loadTemplateFile(file: string): Template {
  const { document, source } = readTemplateFile(file);
  // the registry's entry for the protocol the shared schema already accepted
  const protocol = protocols[document.protocol] as Protocol<Template>;
  const template = validate(protocol.schema, document, file, source) as Template;
  const problem = protocol.check(template);
  if (problem) throw problemAt(file, source, problem);
  return template;
}

/**
 * The template with this id from `dir`, or from the catalogue's search path (an integrator's folder, then the
 * shipped one: core/devices/catalogue.ts) (cached); throws ConfigError when it is missing or invalid.
 */
export function loadTemplate(id: string, dir?: string): Template {
  const file = templatePath(id, dir);
  let t = cache.get(file);
  if (!t) {
    t = loadTemplateFile(file);
    cache.set(file, t);
  }
  return t;
}

/** The template with this id, which must be of `protocol`; throws a ConfigError naming `usedBy` otherwise. */
export function loadTemplateOf<P extends TemplateProtocol>(protocol: P, id: string, dir?: string, usedBy = `template ${id}`): TemplateOf[P] {
  const t = loadTemplate(id, dir);
  if (t.protocol !== protocol) throw new ConfigError(usedBy, 'template', `template '${t.id}' is ${t.protocol}, not ${protocol}`);
  return t as TemplateOf[P];
}

/** Ids of every template file in `dir`, or in every folder of the catalogue's search path, sorted. */
export function listTemplates(dir?: string): string[] {
  return listModels(dir);
}

/** Narrow a template to Modbus, or throw a ConfigError naming the device that uses it. */
export function asModbusTemplate(t: Template, usedBy: string): TemplateOf['modbus'] {
  if (t.protocol !== 'modbus') throw new ConfigError(usedBy, 'template', `template '${t.id}' is ${t.protocol}, not modbus`);
  return t;
}
