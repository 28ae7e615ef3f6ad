/**
 * Editing the rules file through the API (issue 14: a manager edits rules): a rule replaced, added or removed is
 * validated with the whole file exactly as a start would validate it (alerts/rules/load.ts), then written back
 * with the file's comments and layout kept, atomically (a temporary file renamed over it). Channels are never
 * shown or changed here: their secrets stay `${ENV}` references in the file. A file not there yet has no rules;
 * the first rule put creates it (as the demo makes its copy at the first start), so a site can start without one.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseDocument, type Document, type Node } from 'yaml';
import { ConfigError } from '../../core/config/yaml-file.ts';
import type { SiteModel } from '../../core/site/schema.ts';
import { checkAlertRules } from './load.ts';
import type { AlertRule } from './schema.ts';

/** The rules file's rules as written (not compiled). */
export function readRules(file: string): AlertRule[] {
  const value = open(file).toJS() as { rules?: AlertRule[] };
  return value.rules ?? [];
}

/**
 * Put one rule (by its id): replaced when the file has it, else added at the end. Throws ConfigError naming
 * the setting and the problem when the file would not load with it. Returns whether it was added.
 */
export function putRule(file: string, site: SiteModel, rule: unknown): { created: boolean } {
  const doc = open(file);
  const value = doc.toJS() as { rules?: unknown[] };
  const rules = value.rules ?? [];
  const id = (rule as { id?: unknown } | null)?.id;
  const index = rules.findIndex((r) => (r as { id?: unknown }).id === id);
  const next = index >= 0 ? rules.map((r, i) => (i === index ? rule : r)) : [...rules, rule];
  check(file, site, { ...value, rules: next });
  const node = doc.createNode(rule);
  if (index >= 0) {
    // the replaced rule's comment and blank line above it stay with the rule
    const old = doc.getIn(['rules', index], true) as Node | undefined;
    node.commentBefore = old?.commentBefore;
    node.spaceBefore = old?.spaceBefore;
    doc.setIn(['rules', index], node);
  } else {
    node.spaceBefore = rules.length > 0; // a blank line between rules, none under `rules:`
    doc.addIn(['rules'], node);
  }
  write(file, doc);
  return { created: index < 0 };
}

/** Remove a rule; false when the file has none with this id. */
export function deleteRule(file: string, site: SiteModel, id: string): boolean {
  const doc = open(file);
  const value = doc.toJS() as { rules?: { id?: unknown }[] };
  const index = (value.rules ?? []).findIndex((r) => r.id === id);
  if (index < 0) return false;
  check(file, site, { ...value, rules: (value.rules ?? []).filter((_, i) => i !== index) });
  doc.deleteIn(['rules', index]);
  write(file, doc);
  return true;
}

/** What a rules file created by the first rule put starts with (channels are added by hand: they hold secrets). */
const NEW_FILE = [
  '# 告警规则 — alert rules (docs/alerts.md); created when the first rule was added through the API.',
  '# Channels (channels, default_channels) are written here by hand: their secrets stay ${ENV} references.',
  'version: 1',
  '',
].join('\n');

function open(file: string): Document.Parsed {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const fresh = parseDocument(NEW_FILE);
    fresh.set('rules', fresh.createNode([])); // a block sequence, so the rules added are written one per item
    return fresh;
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new ConfigError(file, '', `not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  return doc;
}

/**
 * Validate as a start would. The API process need not hold the channels' secrets: each `${NAME}` the file
 * names stands for a placeholder here (the collector reads the real value when it starts).
 */
function check(file: string, site: SiteModel, value: unknown): void {
  const env: NodeJS.ProcessEnv = {};
  for (const m of JSON.stringify(value).matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) env[m[1]] = `checked-when-the-collector-starts-${m[1]}`;
  checkAlertRules(structuredClone(value), site, file, undefined, env); // a copy: validation fills in defaults
}

function write(file: string, doc: Document.Parsed): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, doc.toString({ lineWidth: 0, flowCollectionPadding: false }), { mode: 0o644 });
  renameSync(tmp, file);
}
