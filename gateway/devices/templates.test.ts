import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/config/yaml-file.ts';
import { compileTemplate } from '../protocols/modbus/device-map.ts';
import { listTemplates, loadTemplate, loadTemplateFile } from './templates.ts';

describe('device templates', () => {
  const ids = listTemplates();

  it('ships the required models', () => {
    for (const id of ['acrel-dtsd1352', 'acrel-adl400', 'chint-dtsu666', 'eastron-sdm630', 'water-meter-modbus',
      'gas-meter-modbus', 'huawei-sun2000', 'irradiance-sensor-rs485']) expect(ids).toContain(id);
  });

  it.each(ids)('%s loads, validates and plans', (id) => {
    const t = loadTemplate(id);
    expect(t.id).toBe(id);
    if (t.protocol === 'modbus') {
      const plan = compileTemplate(t);
      expect(plan.reads.length).toBeGreaterThan(0);
      for (const r of plan.reads) expect(r.count).toBeLessThanOrEqual(125);
    }
  });

  const dir = mkdtempSync(join(tmpdir(), 'jieneng-templates-'));
  const write = (name: string, text: string) => { const f = join(dir, name); writeFileSync(f, text); return f; };
  const base = 'protocol: modbus\nid: x\nmanufacturer: m\nmodel: m\nkind: meter\nsource: s\nregisters:\n';

  it('names file, line, path and problem for a bad row', () => {
    const f = write('x.yaml', `${base}  - { point: power_kw, name: P, address: 1, type: float33, unit: kW }\n`);
    expect(() => loadTemplateFile(f)).toThrow(ConfigError);
    expect(() => loadTemplateFile(f)).toThrow(/x\.yaml:8: registers\[0\]\.type/);
  });

  it('rejects an unknown setting, a string without length, a bool holding register and an id/file mismatch', () => {
    expect(() => loadTemplateFile(write('x.yaml', `${base}  - { point: p, name: P, address: 1, type: uint16, unit: V, sacle: 2 }\n`)))
      .toThrow(/registers\[0\]\.sacle: unknown setting/);
    expect(() => loadTemplateFile(write('x.yaml', `${base}  - { point: p, name: P, address: 1, type: string, unit: "" }\n`)))
      .toThrow(/registers\[0\]\.length: a string needs 'length'/);
    expect(() => loadTemplateFile(write('x.yaml', `${base}  - { point: p, name: P, address: 1, type: bool, unit: "" }\n`)))
      .toThrow(/registers\[0\]\.type: holding registers need type a register encoding/);
    expect(() => loadTemplateFile(write('y.yaml', `${base}  - { point: p, name: P, address: 1, type: uint16, unit: V }\n`)))
      .toThrow(/y\.yaml:2: id: 'x' must match the file name 'y'/);
    expect(() => loadTemplateFile(write('z.yaml', 'protocol: profibus\nid: z\n'))).toThrow(/z\.yaml:1: protocol: must be one of/);
  });

  it('a missing template is one line naming the file', () => {
    expect(() => loadTemplate('no-such-meter')).toThrow(/no-such-meter\.yaml: file not found/);
  });
});
