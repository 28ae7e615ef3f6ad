/** A child server process owned by a test: started, logged to a file, stopped (and killed if it hangs). */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { waitFor } from './ports.ts';

export interface OwnedProcess {
  child: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once. */
  kill(): Promise<void>;
  exited: boolean;
}

export function startProcess(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env, cwd?: string): OwnedProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env, cwd });
  closeSync(fd);
  const owned: OwnedProcess = {
    child,
    exited: false,
    stop: (graceMs = 5000) => terminate(owned, 'SIGTERM', graceMs),
    kill: () => terminate(owned, 'SIGKILL', 0),
  };
  const done = () => { owned.exited = true; };
  child.once('exit', done);
  child.once('error', done);
  return owned;
}

function terminate(p: OwnedProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (p.exited) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = graceMs > 0 ? setTimeout(() => p.child.kill('SIGKILL'), graceMs) : undefined;
    p.child.once('exit', () => {
      if (timer) clearTimeout(timer);
      resolve();
    });
    p.child.kill(signal);
  });
}

/** A server process whose data lives in `dir`: started (and waited for), stopped keeping the data, destroyed. */
export interface ServerLifecycle {
  /** start it (again) on the same port and data */
  start(): Promise<void>;
  /** stop the process, keeping its data */
  stop(): Promise<void>;
  /** stop and delete the data */
  destroy(): Promise<void>;
}

/** A test server on a loopback port. */
export interface TestServer extends ServerLifecycle {
  url: string;
  port: number;
  dir: string;
}

/**
 * `launch` starts the process; `ready` answers true once it serves (checked until `timeoutMs`, failing early
 * when the process exits instead).
 */
export function serverLifecycle(what: string, dir: string, launch: () => OwnedProcess, ready: () => Promise<boolean>, timeoutMs = 15_000): ServerLifecycle {
  let proc: OwnedProcess | undefined;
  const life: ServerLifecycle = {
    async start() {
      const started = launch();
      proc = started;
      await waitFor(what, async () => {
        if (started.exited) throw new Error(`${what}: the process exited (see its log in ${dir})`);
        return ready();
      }, timeoutMs);
    },
    async stop() {
      await proc?.stop();
      proc = undefined;
    },
    async destroy() {
      await life.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return life;
}
