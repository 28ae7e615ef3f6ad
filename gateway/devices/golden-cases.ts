/**
 * The golden register images of gateway/devices/testcases/: one file per Modbus template, written by hand from the
 * manufacturer's published map (address, register type, scale, a sample value per point, the manual's row cited
 * beside each word) — never generated from the template it checks. `map` says how far a file can be trusted:
 * `manufacturer` (rows from the vendor's manual), `unconfirmed` (no vendor table found; decoding only) or
 * `representative` (a generic template with no vendor; decoding only).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readYaml } from '../../core/config/yaml-file.ts';
import type { RegisterKind } from '../protocols/modbus/template.ts';

/** One golden file. */
export interface GoldenCase {
  template: string;
  map: 'manufacturer' | 'unconfirmed' | 'representative';
  /** site-model CT ratio the gateway multiplies by */
  ct_ratio: number;
  /** register kind → protocol address → the words a device sends from that address on */
  registers: Partial<Record<RegisterKind, Record<string, number[]>>>;
  /** what the gateway must publish, worked out by hand beside each word */
  expected: Record<string, number>;
}

const dir = join(dirname(fileURLToPath(import.meta.url)), 'testcases');

/** Every golden file, checked for the fields the tests rely on. */
export function loadGoldenCases(): GoldenCase[] {
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => {
    const c = readYaml(join(dir, f)).value as GoldenCase;
    if (!['manufacturer', 'unconfirmed', 'representative'].includes(c.map)) throw new Error(`testcases/${f}: map: must be manufacturer, unconfirmed or representative`);
    if (`${c.template}.yaml` !== f) throw new Error(`testcases/${f}: template: must be the file's name`);
    return c;
  });
}

/** The image as kind → address → word, each register once. */
export function goldenImage(c: GoldenCase): Map<RegisterKind, Map<number, number>> {
  const image = new Map<RegisterKind, Map<number, number>>();
  for (const [kind, byAddress] of Object.entries(c.registers) as [RegisterKind, Record<string, number[]>][]) {
    const words = new Map<number, number>();
    for (const [address, ws] of Object.entries(byAddress)) ws.forEach((w, i) => words.set(Number(address) + i, w));
    image.set(kind, words);
  }
  return image;
}

/** Significant digits a published value is compared to: float32 carries about 7. */
export function closeDigits(value: number): number {
  return Math.max(0, 6 - Math.ceil(Math.log10(Math.abs(value) + 1)));
}
