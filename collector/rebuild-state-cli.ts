/**
 * `jieneng collector rebuild-state --site FILE [--data DIR]`: set an unreadable collector state file aside and
 * rebuild the counter state of every meter from storage (collector/state-rebuild.ts, decision 0308). Storage
 * comes from the environment as for `collector run`. A readable file is kept: only meters missing from it are
 * rebuilt, as at every start. With `--share`, the energy state lives in DIR/energy.
 */
import { existsSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { leaf } from '../core/cli/command.ts';
import { settings } from '../core/config/env.ts';
import { StartupError } from '../core/errors.ts';
import { loadSite } from '../core/site/load.ts';
import { rebuildMissingMeterState } from './state-rebuild.ts';
import { StateStore, STATE_FILE } from './state-store.ts';
import { storeFromEnv } from '../storage/from-env.ts';

/** `jieneng collector rebuild-state` */
export const rebuildStateCommand = leaf({
  summary: 'set an unreadable collector state file aside and rebuild the counter state of every meter missing from it from storage',
  usage: '[--site <site.yaml>] [--data ./data/collector]',
  details: 'The store as for `collector run`: INFLUX_URL …, else the embedded file under DATA_DIR.',
  options: { site: { type: 'string' }, data: { type: 'string' } },
  run: ({ values }) => rebuildState(values),
});

async function rebuildState(values: { site?: string; data?: string }): Promise<number> {
  const env = settings();
  const site = loadSite(values.site ?? env.siteFile);
  const stateDir = resolve(values.data ?? resolve(env.dataDir, 'collector'));
  const setAside = setAsideIfUnreadable(stateDir);
  const storage = await storeFromEnv()();
  try {
    const report = await rebuildMissingMeterState({ site, storage, stateDir });
    process.stdout.write(`rebuilt the counter state of ${report.rebuilt} of ${report.missing} meter(s) missing from ${join(stateDir, STATE_FILE)} from storage`
      + `${setAside ? `; the unreadable file is kept as ${setAside}` : ''}\n`);
  } finally {
    await storage.close();
  }
  return 0;
}

/** Rename an unreadable state file (and its WAL, shared memory and outbox) aside; returns the new name, if any. */
function setAsideIfUnreadable(stateDir: string): string | undefined {
  const file = join(stateDir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const store = new StateStore(stateDir);
    const problem = store.problem(); // damage the start-up reads would not reach (the outbox's pages)
    store.close();
    if (problem === undefined) return undefined;
  } catch (err) {
    if (!(err instanceof StartupError)) throw err;
  }
  const suffix = `.unreadable-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  for (const part of [file, `${file}-wal`, `${file}-shm`, join(stateDir, `${STATE_FILE.replace(/\.sqlite$/, '')}-outbox`)]) {
    if (existsSync(part)) renameSync(part, part + suffix);
  }
  return file + suffix;
}
