/** Run the collector as its own process (`node bin/jieneng.js collector run …`), as an operator would. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { SiteModel } from '../../core/site/schema.ts';
import { startProcess, type OwnedProcess } from '../../test/harness/process.ts';
import { waitFor } from '../../test/harness/ports.ts';

/** Write a site model as YAML; returns the file. */
export function writeSiteFile(dir: string, site: SiteModel): string {
  const file = join(dir, 'site.yaml');
  writeFileSync(file, stringify(site));
  return file;
}

/** Start a collector process and wait until it has subscribed (as many times as it has links). */
export async function startCollectorProcess(args: string[], env: NodeJS.ProcessEnv, logFile: string, links = 1): Promise<OwnedProcess> {
  let before = 0;
  try {
    before = count(readFileSync(logFile, 'utf8'));
  } catch { /* new log */ }
  const proc = startProcess(process.execPath, [...(process.env.COLLECTOR_NODE_ARGS?.split(' ').filter(Boolean) ?? []), 'bin/jieneng.js', 'collector', 'run', ...args], logFile, { ...process.env, LOG_LEVEL: 'info', ...env });
  await waitFor('the collector to subscribe', () => {
    if (proc.exited) throw new Error(`collector exited: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
    return count(readFileSync(logFile, 'utf8')) >= before + links;
  }, 30_000, 100);
  return proc;
}

function count(log: string): number {
  return log.split('\n').filter((l) => l.includes('"collector subscribed"')).length;
}
