/**
 * The committed board JSON is what dashboards/src/ generates: a change to a board's TypeScript without
 * `npm run boards` (or a hand edit of the JSON) fails here. Grafana provisions the committed files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderBoards } from '../dashboards/src/index.ts';
import { DOCS_FILE, withPanelReference } from '../dashboards/src/docs.ts';

const ROOT = 'dashboards/boards';
const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
  .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.json') ? [relative(ROOT, join(dir, e.name))] : []));

describe('committed boards', () => {
  const rendered = renderBoards();

  for (const { file, text } of rendered) {
    it(`${file} is up to date (npm run boards)`, () => {
      expect(readFileSync(join(ROOT, file), 'utf8') === text, `${join(ROOT, file)} differs from what dashboards/src/ generates: run npm run boards`).toBe(true);
    });
  }

  it(`${DOCS_FILE} lists every panel as generated`, () => {
    const doc = readFileSync(DOCS_FILE, 'utf8');
    expect(withPanelReference(doc) === doc, `${DOCS_FILE}: the panel reference is stale: run npm run boards`).toBe(true);
  });

  it('holds no board the generator does not write', () => {
    expect(files(ROOT).sort()).toEqual(rendered.map((r) => r.file).sort());
  });

  it('gives every board a unique uid and every panel a Chinese title, a description and a unit', () => {
    const boards = rendered.map((r) => JSON.parse(r.text) as { uid: string; title: string; timezone: string; panels: { title: string; description?: string; fieldConfig?: { defaults?: { unit?: string } } }[] });
    expect(new Set(boards.map((b) => b.uid)).size).toBe(boards.length);
    for (const b of boards) {
      expect(b.timezone).toBe('Asia/Shanghai');
      expect(b.title).toMatch(/\p{Script=Han}/u);
      for (const p of b.panels) {
        expect(p.title, `${b.title}`).toMatch(/\p{Script=Han}/u);
        expect(p.description, `${b.title} / ${p.title}`).toBeTruthy();
        expect(p.fieldConfig?.defaults?.unit, `${b.title} / ${p.title}`).toBeTruthy();
      }
    }
  });

  it('groups daily and quarter-hour energy by fixed calendar intervals in Shanghai time, never $__interval', () => {
    for (const { file, text } of rendered) {
      const queries = [...text.matchAll(/"query": "((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
      for (const q of queries.filter((x) => /energy_building_|kpi_1d|energy_1d/.test(x) && /GROUP BY time/.test(x))) {
        expect(q, file).toMatch(/GROUP BY time\((1d|15m)\).*tz\('Asia\/Shanghai'\)/);
      }
      // per-meter rows overlap (a main meter and its sub-meters): listed per meter, never added up
      for (const q of queries.filter((x) => /"energy_(1d|15m)"/.test(x))) expect(q, file).toMatch(/GROUP BY "meter"/);
    }
  });
});
