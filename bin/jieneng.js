#!/usr/bin/env node
// Installed entry point. The TypeScript sources are bundled at start into one ES module by esbuild (which tsx
// brings) and run from a temporary file: one module graph on the main thread, without a loader thread compiling
// each file as it is imported (decision 0004). Should bundling fail, tsx's loader runs the sources as before.
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ENTRY = fileURLToPath(new URL('./jieneng.ts', import.meta.url));
// Stack traces name the .ts files and lines when Node is asked for source maps (`--enable-source-maps`, as with
// any bundle); without, they name the bundle's functions, and the process saves the map's ~9 MB.
const SOURCE_MAPS = process.sourceMapsEnabled ?? process.execArgv.includes('--enable-source-maps');

/** The CLI bundled into a temporary file; undefined when esbuild is missing or fails, or the file cannot be written. */
async function bundle() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
    const result = await esbuild.build({
      entryPoints: [ENTRY], bundle: true, platform: 'node', format: 'esm', target: 'node20', write: false,
      sourcemap: SOURCE_MAPS ? 'inline' : false, sourcesContent: false, keepNames: true, logLevel: 'silent',
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
  } catch (err) {
    if (process.env.JIENENG_DEBUG_BUNDLE) process.stderr.write(`jieneng: bundling failed, using tsx: ${err?.stack ?? err}\n`);
    return undefined;
  } finally {
    await esbuild?.stop?.(); // its service process is not needed any more
  }
}

const file = await bundle();
if (file === undefined) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./jieneng.ts');
} else {
  try {
    await import(pathToFileURL(file).href);
  } finally {
    rmSync(file, { force: true }); // evaluated: everything the CLI imports later is inside it or a package
  }
}
