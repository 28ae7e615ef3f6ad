/**
 * Golden register images per device model (golden-cases.ts): each image, decoded through the template, must give
 * the values worked out by hand from the manufacturer's map. A wrong address, register type, word order or scale
 * in a template reads other words and fails here; regenerating the image cannot hide it, since nothing generates it.
 */
import { describe, expect, it } from 'vitest';
import { compileTemplate, decodePoints } from '../protocols/modbus/device-map.ts';
import type { ModbusTemplate } from '../protocols/modbus/template.ts';
import { closeDigits, goldenImage, loadGoldenCases } from './golden-cases.ts';
import { listTemplates, loadTemplate } from './templates.ts';

const cases = loadGoldenCases();

describe('golden register images per template', () => {
  it('every Modbus template has a golden image', () => {
    const modbus = listTemplates().filter((id) => loadTemplate(id).protocol === 'modbus');
    expect(cases.map((c) => c.template).sort()).toEqual(modbus);
  });

  it('says which images come from a manufacturer\'s map', () => {
    // Only these four have a vendor's published table behind them; the others check decoding alone.
    expect(cases.filter((c) => c.map === 'manufacturer').map((c) => c.template))
      .toEqual(['acrel-dtsd1352', 'chint-dtsu666', 'eastron-sdm630', 'huawei-sun2000']);
  });

  it.each(cases.filter((c) => c.map === 'manufacturer').map((c) => [c.template, c] as const))('%s: sample values non-zero, each row\'s words unlike its neighbours\'', (_id, c) => {
    // A template address one row off reads the neighbour's words: they must differ, or the mistake would pass.
    for (const [point, value] of Object.entries(c.expected)) expect(value, point).not.toBe(0);
    for (const byAddress of Object.values(c.registers)) {
      const rows = Object.values(byAddress ?? {}).map((ws) => ws.join(','));
      expect(new Set(rows).size, rows.join(' ')).toBe(rows.length);
    }
  });

  it.each(cases.map((c) => [c.template, c.map, c] as const))('%s (%s map)', (_id, _map, c) => {
    const plan = compileTemplate(loadTemplate(c.template) as ModbusTemplate);
    const image = goldenImage(c);
    const results = plan.reads.map((r) => Array.from({ length: r.count }, (_, i) => image.get(r.register)?.get(r.address + i) ?? 0));
    const points = decodePoints(plan, results, { ct: c.ct_ratio, pt: 1 });
    expect(Object.keys(points).sort()).toEqual(Object.keys(c.expected).sort());
    for (const [point, value] of Object.entries(c.expected)) {
      expect(points[point].quality, `${point}: ${points[point].reason}`).toBe('good');
      expect(points[point].value, point).toBeCloseTo(value, closeDigits(value));
    }
  });
});
