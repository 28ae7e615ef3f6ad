/**
 * Golden layouts per device model, one file per template in testcases/: the register words a device sends (computed
 * by an independent encoder) and the points the gateway must publish from them. Every Modbus template needs one.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readYaml } from '../../core/config/yaml-file.ts';
import { compileTemplate, decodePoints } from '../protocols/modbus/device-map.ts';
import type { ModbusTemplate, RegisterKind } from '../protocols/modbus/template.ts';
import { listTemplates, loadTemplate } from './templates.ts';

interface GoldenCase {
  template: string;
  ct_ratio: number;
  registers: Partial<Record<RegisterKind, Record<string, number[]>>>;
  expected: Record<string, number>;
}

const dir = join(dirname(fileURLToPath(import.meta.url)), 'testcases');
const cases = readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => readYaml(join(dir, f)).value as GoldenCase);

describe('golden register layouts per template', () => {
  it('every Modbus template has a golden case', () => {
    const modbus = listTemplates().filter((id) => loadTemplate(id).protocol === 'modbus');
    expect(cases.map((c) => c.template).sort()).toEqual(modbus);
  });

  it.each(cases.map((c) => [c.template, c] as const))('%s', (_id, c) => {
    const plan = compileTemplate(loadTemplate(c.template) as ModbusTemplate);
    const words = new Map<string, number>();
    for (const [kind, byAddress] of Object.entries(c.registers)) {
      for (const [address, ws] of Object.entries(byAddress ?? {})) ws.forEach((w, i) => words.set(`${kind}:${Number(address) + i}`, w));
    }
    const results = plan.reads.map((r) => Array.from({ length: r.count }, (_, i) => words.get(`${r.register}:${r.address + i}`) ?? 0));
    const points = decodePoints(plan, results, { ct: c.ct_ratio, pt: 1 });
    expect(Object.keys(points).sort()).toEqual(Object.keys(c.expected).sort());
    for (const [point, value] of Object.entries(c.expected)) {
      expect(points[point].quality, `${point}: ${points[point].reason}`).toBe('good');
      // float32 keeps 7 significant digits
      expect(points[point].value, point).toBeCloseTo(value, Math.max(0, 6 - Math.ceil(Math.log10(Math.abs(value) + 1))));
    }
  });
});
