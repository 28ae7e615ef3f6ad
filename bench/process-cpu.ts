/**
 * Bench helpers for the harness's server processes: their CPU time from /proc, and a wait until InfluxDB has
 * finished snapshotting and compacting what a phase wrote, so that its background work is not timed in the next.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** User and system CPU seconds of a process so far. */
export function cpuTimes(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.system;
}

/** The pid of the harness's server `name` working in `dir`, found by its command line. */
export function pidOf(name: string, dir: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.split('\0')[0].endsWith(name) && cmd.includes(dir)) return Number(entry);
    } catch { /* gone */ }
  }
  return undefined;
}

/**
 * Let InfluxDB finish with the previous phase's points before the next phase is timed: it snapshots a shard's
 * cache once writes have been cold for 10 s (the harness's `cache-snapshot-write-cold-duration`) and compacts
 * after, which would otherwise land in the middle of the following phase. Waits past that, then for a quiet
 * second (under 5 % of a core), at most 30 s more.
 */
export async function settle(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  await new Promise((r) => setTimeout(r, 11_000));
  for (let i = 0; i < 30; i++) {
    const c0 = cpuSeconds(pid);
    await new Promise((r) => setTimeout(r, 1000));
    if (cpuSeconds(pid) - c0 < 0.05) return;
  }
}
