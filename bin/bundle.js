// Bundles a TypeScript entry of this repository and everything it imports from the repository into one ES module
// file with esbuild (decision 0004): one module graph on the main thread, without tsx's loader thread compiling
// each file as it is imported. Used by the installed command and by benchmarks that measure a process as deployed.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * `entry` (a .ts path) bundled into a temporary .mjs file, whose path is returned; the caller deletes it once
 * imported. `sourceMaps` inlines a source map (about 9 MB). Throws when esbuild is missing or fails.
 */
export async function bundleToFile(entry, { sourceMaps = false } = {}) {
  const esbuild = await import('esbuild');
  try {
    const result = await esbuild.build({
      entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', write: false,
      sourcemap: sourceMaps ? 'inline' : false, sourcesContent: false, keepNames: true, logLevel: 'silent',
      plugins: [{
        name: 'jieneng',
        setup(build) {
          // Packages and built-ins stay imports, resolved here to absolute URLs: the bundle runs from any folder.
          build.onResolve({ filter: /^[^./]/ }, (args) => ({ path: import.meta.resolve(args.path), external: true }));
          // Each source keeps its own location: device templates and reference data are found relative to it.
          build.onLoad({ filter: /\.ts$/ }, (args) => ({
            contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
            loader: 'ts',
          }));
        },
      }],
    });
    const file = join(tmpdir(), `jieneng-${process.pid}-${randomUUID()}.mjs`);
    writeFileSync(file, result.outputFiles[0].text);
    return file;
  } finally {
    await esbuild.stop?.(); // its service process is not needed any more
  }
}
