/** The runtime settings docker-compose.yml gives a service, for benchmarks that measure a process as deployed. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** The process settings among a service's environment: those that shape the runtime, not the application. */
const RUNTIME_SETTINGS = ['NODE_OPTIONS', 'MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_'];

/**
 * NODE_OPTIONS and the glibc malloc settings of `service` in docker-compose.yml (shared environment merged in), so that a
 * bench runs the process a user runs; none when the file does not set them or cannot be read.
 */
export function deployedRuntime(service: string): Record<string, string> {
  try {
    const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services?: Record<string, { environment?: Record<string, unknown> }> };
    const env = compose.services?.[service]?.environment ?? {};
    return Object.fromEntries(RUNTIME_SETTINGS.filter((k) => env[k] !== undefined).map((k) => [k, String(env[k])]));
  } catch {
    return {};
  }
}

/** Settings as `K=V …` for a bench's log, `(none)` when empty. */
export function describeRuntime(runtime: Record<string, string>): string {
  return Object.entries(runtime).map(([k, v]) => `${k}=${v}`).join(' ') || '(none)';
}
