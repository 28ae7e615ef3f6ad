/** The shipped reference data loads; a broken file is one ConfigError line naming file, path and problem. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/config/yaml-file.ts';
import { DEFAULT_REFERENCE_DIR, loadReferenceData } from './reference.ts';

describe('reference data', () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
  /** A copy of the shipped folder with one file edited. */
  const broken = (file: string, edit: (text: string) => string) => {
    const dir = mkdtempSync(join(tmpdir(), 'jieneng-ref-'));
    dirs.push(dir);
    cpSync(DEFAULT_REFERENCE_DIR, dir, { recursive: true });
    writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), 'utf8')));
    return dir;
  };

  it('ships valid, dated data', () => {
    const ref = loadReferenceData();
    expect(ref.coal.editions[0].media.electricity.kgce_per_unit).toBe(0.1229);
    expect(ref.tariffs.default_tariff).toBe('shanghai-2023-tou');
    expect(ref.limits.classes['A-government-office']).toMatchObject({ limit: 70, target: 55 });
    expect(ref.grid.factors.length).toBeGreaterThan(0);
  });

  it('names the file, the path and the problem', () => {
    const cases: [string, (t: string) => string, RegExp][] = [
      ['standard-coal.yaml', (t) => t.replace('kgce_per_unit: 0.1229', 'kgce_per_unit: "lots"'), /standard-coal\.yaml:\d+: editions\[0\]\.media\.electricity\.kgce_per_unit: must be of type number/],
      ['tariffs.yaml', (t) => t.replace('{ kind: flat, from: "06:00", to: "08:00" }', '{ kind: flat, from: "06:00", to: "07:00" }'), /tariffs\.yaml: tariffs\[0\]\.seasons\[0\]\.periods: gap or overlap at 07:00/],
      ['tariffs.yaml', (t) => t.replace('months: [2, 3, 4, 5, 6, 10, 11]', 'months: [2, 3, 4, 5, 6, 10]'), /tariffs\.yaml: tariffs\[0\]\.seasons: the seasons must cover months 1–12 exactly once/],
      ['building-limits.yaml', (t) => t.replace('zone: hot-summer-cold-winter', 'zone: hot-summer-cold-winter\ncolour: red'), /building-limits\.yaml:\d+: colour: unknown setting/],
    ];
    for (const [file, edit, message] of cases) {
      const dir = broken(file, edit);
      let caught: unknown;
      try { loadReferenceData(dir); } catch (err) { caught = err; }
      expect(caught, file).toBeInstanceOf(ConfigError);
      expect((caught as Error).message).toMatch(message);
      expect((caught as Error).message).not.toMatch(/\n/);
    }
  });
});
