/**
 * The import graph of every .ts file (type-only and dynamic imports included): no cycles (issue #18 §2: the
 * four-file cycle between the template loader, the protocol registry and two sources), and the layers point one
 * way — core/ needs nothing outside it, and the collector, the API and the storage read the catalogue of device
 * models in core/, never the gateway's or the simulators' code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SKIP = new Set(['node_modules', 'data', '.git']);

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name) || e.name.startsWith('.')) return [];
    const path = join(dir, e.name);
    return e.isDirectory() ? tsFiles(path) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Relative imports of every file, as paths from the repository root. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(ROOT)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles.map((i) => i.fileName).filter((s) => s.startsWith('.'))
      .map((s) => relative(ROOT, resolve(dirname(file), s)));
    graph.set(relative(ROOT, file), [...new Set(targets)]);
  }
  return graph;
}

/** Every cycle as the files on it (Tarjan's strongly connected components of more than one file, or a self-import). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** Top folders a file in `from` may not import. */
const FORBIDDEN: Record<string, string[]> = {
  core: ['gateway', 'collector', 'api', 'storage', 'simulators', 'app', 'bench'],
  collector: ['gateway', 'api', 'simulators', 'app'],
  api: ['gateway', 'collector', 'simulators', 'app'],
  storage: ['gateway', 'collector', 'api', 'simulators', 'app'],
  // the history import feeds the collector's ingestion; the API reaches it only through importer/run.ts
  importer: ['gateway', 'api', 'simulators', 'app'],
  // automation reaches devices through the gateways' command topic, never their code
  automation: ['gateway', 'collector', 'simulators', 'app'],
};

describe('imports', () => {
  const graph = importGraph();

  it('reads every source file', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('gateway/runtime.ts')).toContain('gateway/protocols/index.ts');
  });

  it('form no cycle', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('point one way: collector, API and storage never import the gateway; core imports only core', () => {
    const wrong: string[] = [];
    for (const [file, targets] of graph) {
      // a test, and its support under a testing/ folder, may start what it tests against (the embedded broker, a simulator)
      if (file.endsWith('.test.ts') || file.includes('/testing/')) continue;
      const banned = FORBIDDEN[file.split('/')[0]] ?? [];
      for (const t of targets) if (banned.includes(t.split('/')[0])) wrong.push(`${file} → ${t}`);
    }
    expect(wrong).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    expect(cycles(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]]))).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});
