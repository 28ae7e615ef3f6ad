#!/usr/bin/env node
// Installed entry point. The TypeScript sources are bundled at start into one ES module by esbuild (which tsx
// brings) and run from a temporary file: one module graph on the main thread, without a loader thread compiling
// each file as it is imported (decision 0004). Should bundling fail, tsx's loader runs the sources as before.
import { rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleToFile } from './bundle.js';

const ENTRY = fileURLToPath(new URL('./jieneng.ts', import.meta.url));
// Stack traces name the .ts files and lines when Node is asked for source maps (`--enable-source-maps`, as with
// any bundle); without, they name the bundle's functions, and the process saves the map's ~9 MB.
const SOURCE_MAPS = process.sourceMapsEnabled ?? process.execArgv.includes('--enable-source-maps');

/** The CLI bundled into a temporary file; undefined when esbuild is missing or fails, or the file cannot be written. */
async function bundle() {
  try {
    return await bundleToFile(ENTRY, { sourceMaps: SOURCE_MAPS });
  } catch (err) {
    if (process.env.JIENENG_DEBUG_BUNDLE) process.stderr.write(`jieneng: bundling failed, using tsx: ${err?.stack ?? err}\n`);
    return undefined;
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
