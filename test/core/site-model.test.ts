import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadSite } from '../../core/site/load.ts';

const DEMO = 'config/demo-site.yaml';
const demoText = readFileSync(DEMO, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'jieneng-site-'));
let n = 0;

/** Write a variant of the demo site and return its path. */
function variant(edit: (text: string) => string): string {
  const file = join(dir, `site-${n++}.yaml`);
  const text = edit(demoText);
  writeFileSync(file, text);
  return file;
}

function errorOf(file: string): ConfigError {
  try {
    loadSite(file);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('site model loader', () => {
  it('loads the demo site', () => {
    const site = loadSite(DEMO);
    expect(site.site.timezone).toBe('Asia/Shanghai');
    expect(site.buildings.find((b) => b.id === 'warehouse')?.floor_area_m2).toBe(1698);
    expect(site.devices.filter((d) => d.kind === 'meter').length).toBeGreaterThanOrEqual(40);
  });

  it('fills schema defaults', () => {
    const site = loadSite(DEMO);
    expect(site.devices[0].address).toMatchObject({ protocol: 'modbus-tcp', unit_id: 1 });
  });

  it('names a missing file', () => {
    const err = errorOf(join(dir, 'nope.yaml'));
    expect(err.message).toBe(`${join(dir, 'nope.yaml')}: file not found`);
  });

  it('names the line of a YAML syntax error', () => {
    const file = variant(() => 'version: 1\nsite: { id: a\nbuildings: []\n');
    const err = errorOf(file);
    expect(err.message).toMatch(new RegExp(`^${file}:\\d+: YAML syntax error: `));
  });

  it('names path and line of a wrong type', () => {
    const file = variant((t) => t.replace('port: 15023, unit_id: 1', 'port: "x", unit_id: 1'));
    const err = errorOf(file);
    const line = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('port: "x"')) + 1;
    expect(err.message).toBe(`${file}:${line}: devices[9].address.port: must be of type integer`);
  });

  it('rejects an unknown setting with its path', () => {
    const file = variant((t) => t.replace('    ct_ratio: 200', '    ct_raito: 200'));
    expect(errorOf(file).message).toMatch(/devices\[0\]\.ct_raito: unknown setting/);
  });

  it('rejects a meter in an unknown building', () => {
    const file = variant((t) => t.replace(/building: centre-b4\n/, 'building: centre-b44\n'));
    expect(errorOf(file).message).toMatch(/:\d+: devices\[\d+\]\.building: unknown building 'centre-b44'$/);
  });

  it('rejects duplicate ids, naming the first use', () => {
    const file = variant((t) => t.replace('- id: centre-b2-main', '- id: centre-b1-main'));
    expect(errorOf(file).message).toMatch(/devices\[\d+\]\.id: duplicate id 'centre-b1-main' \(already used by devices\[0\]\)$/);
  });

  it('rejects an unknown parent meter and a cycle in the meter tree', () => {
    expect(errorOf(variant((t) => t.replace('parent: centre-b1-main', 'parent: centre-b1-mian'))).message)
      .toMatch(/parent: unknown parent meter 'centre-b1-mian'/);
    const cyclic = variant((t) => t.replace(
      "template: acrel-dtsd1352\n    address: { protocol: modbus-tcp, host: 127.0.0.1, port: 15021, unit_id: 1 }",
      "template: acrel-dtsd1352\n    parent: centre-b1-lighting\n    address: { protocol: modbus-tcp, host: 127.0.0.1, port: 15021, unit_id: 1 }"));
    expect(errorOf(cyclic).message).toMatch(/the meter tree has a cycle/);
  });

  it('rejects a missing required setting', () => {
    const file = variant((t) => t.replace('    floor_area_m2: 1698\n', ''));
    expect(errorOf(file).message).toMatch(/buildings\[12\]: missing required setting 'floor_area_m2'$/);
  });

  it('exits non-zero with one line from the CLI', () => {
    const file = variant((t) => t.replace(/building: centre-b4\n/, 'building: centre-b44\n'));
    const res = spawnSync('npx', ['tsx', 'bin/jieneng.ts', 'config', 'check', file], { encoding: 'utf8' });
    expect(res.status).toBe(1);
    const lines = res.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^jieneng: .*devices\[\d+\]\.building: unknown building 'centre-b44'$/);
  });
});
