/**
 * The bacnet-stack project's programs as an independent BACnet/IP peer for tests: its demo device `bacserv` and
 * its command-line tools (bacrp, bacwp, bacrpm, bacscov, bacepics …), built once from the source in the
 * neighbouring `shared/peers/bacnet-stack/` folder (see its README and TESTING-PEERS.md) and cached.
 * Tests using it are skipped, with the reason in their title, only where that folder is absent.
 * Each program gets its own BACNET_IP_PORT (never 47808: the Node stacks drop anything from 127.0.0.1:47808)
 * and BACNET_APDU_TIMEOUT=500 with one retry, so a failure is quick.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeUdpPort, waitFor } from './ports.ts';
import { startProcess, type OwnedProcess } from './process.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The `shared` folder beside the repository; for a git worktree checked out elsewhere, also the one beside the
 * main checkout (its `.git` file names it). Undefined when neither exists: then, and only then, the tests skip.
 */
function sharedDir(): string | undefined {
  const candidates = [resolve(REPO, '../shared')];
  try {
    const m = /^gitdir:\s*(.+?)\/\.git\/worktrees\//m.exec(readFileSync(join(REPO, '.git'), 'utf8'));
    if (m) candidates.push(resolve(m[1], '../shared'));
  } catch { /* a plain checkout: .git is a folder */ }
  return candidates.find((d) => existsSync(d));
}

const SHARED = sharedDir();

/** Why tests against bacnet-stack cannot run here, or undefined when they can. */
export const bacnetStackMissing: string | undefined = SHARED
  ? undefined
  : 'skipped: ../shared, which holds the independent BACnet peer bacnet-stack, is not beside this repository';

let bin: string | undefined;

/** Build bacnet-stack (once per machine: the build script caches it) and return the folder of its programs. */
export function bacnetStackBin(): string {
  if (bin) return bin;
  if (!SHARED) throw new Error(bacnetStackMissing);
  const script = join(SHARED, 'peers', 'bacnet-stack', 'build.sh');
  if (!existsSync(script)) throw new Error(`${script} is missing: ../shared is here but without the bacnet-stack peer`);
  // Two test workers may both find the cache cold: serialise the build on a lock file (flock is in util-linux).
  const lock = join(tmpdir(), 'jieneng-bacnet-stack-build.lock');
  const out = execFileSync('flock', [lock, 'bash', script], { encoding: 'utf8', timeout: 600_000, stdio: ['ignore', 'pipe', 'pipe'] });
  bin = out.trim().split('\n').at(-1) as string;
  if (!existsSync(join(bin, 'bacserv'))) throw new Error(`bacnet-stack build gave no bacserv in ${bin}`);
  return bin;
}

/** Environment of one bacnet-stack program on loopback with its own port. */
export function bacnetStackEnv(port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, BACNET_IFACE: 'lo', BACNET_IP_PORT: String(port), BACNET_APDU_TIMEOUT: '500', BACNET_APDU_RETRIES: '1', ...extra };
}

/** What a tool printed and how it ended. */
export interface ToolResult { code: number | null; stdout: string; stderr: string }

/**
 * Run one bacnet-stack tool (e.g. `bacrp`) on a fresh free port of its own; never throws for a non-zero exit.
 * A request that timed out (500 ms, one retry) is run again up to `attempts` times in all: a loaded machine can
 * hold a Node peer's answer that long.
 */
export async function bacnetTool(tool: string, args: string[], opts: { timeoutMs?: number; attempts?: number } = {}): Promise<ToolResult> {
  const attempts = opts.attempts ?? 3;
  for (let i = 1; ; i++) {
    const port = await freeUdpPort();
    const r = await new Promise<ToolResult>((done) => {
      execFile(join(bacnetStackBin(), tool), args, { env: bacnetStackEnv(port), timeout: opts.timeoutMs ?? 30_000, encoding: 'utf8' },
        (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }));
    });
    if (i >= attempts || !/timeout/i.test(r.stdout + r.stderr)) return r;
  }
}

/** `bacrp` of one property of a device at `ip:port` (unicast: `--dnet 0`); the printed value, trimmed. */
export async function bacrp(address: string, device: number, object: string, instance: number, property: string, index?: number): Promise<ToolResult> {
  const args = ['--mac', address, '--dnet', '0', String(device), object, String(instance), property];
  if (index !== undefined) args.push(String(index));
  const r = await bacnetTool('bacrp', args);
  return { ...r, stdout: r.stdout.trim() };
}

/** A running `bacserv`. */
export interface Bacserv {
  port: number;
  /** `127.0.0.1:<port>` */
  address: string;
  instance: number;
  proc: OwnedProcess;
  /** SIGTERM (then SIGKILL) and wait for the exit */
  stop(): Promise<void>;
  /** start it again on the same port, e.g. after `stop()` to test a restart */
  restart(): Promise<void>;
}

/**
 * Start bacnet-stack's demo device on 127.0.0.1:<port> and wait until it answers a ReadProperty.
 * `broadcastPort`: where its start-up I-Am broadcast goes (BACNET_IP_BROADCAST_PORT; default its own port).
 */
export async function startBacserv(instance: number, name: string, opts: { port?: number; broadcastPort?: number } = {}): Promise<Bacserv> {
  const port = opts.port ?? await freeUdpPort();
  const dir = mkdtempSync(join(tmpdir(), 'jn-bacserv-'));
  const extra: Record<string, string> = opts.broadcastPort ? { BACNET_IP_BROADCAST_PORT: String(opts.broadcastPort) } : {};
  const launch = async (): Promise<OwnedProcess> => {
    // in its own folder: bacserv writes serv.pid into its working directory
    const p = startProcess(join(bacnetStackBin(), 'bacserv'), [String(instance), name], join(dir, 'bacserv.log'), bacnetStackEnv(port, extra), dir);
    try {
      await waitFor(`bacserv ${instance} on port ${port}`, async () => !p.exited
        && (await bacnetTool('bacrp', ['--mac', `127.0.0.1:${port}`, '--dnet', '0', String(instance), 'device', String(instance), 'object-name'], { attempts: 1 })).code === 0, 30_000, 100);
    } catch (err) {
      if (p.exited) throw new Error(`bacserv exited at start: ${readFileSync(join(dir, 'bacserv.log'), 'utf8').slice(-500)}`);
      throw err;
    }
    return p;
  };
  const serv: Bacserv = {
    port,
    address: `127.0.0.1:${port}`,
    instance,
    proc: await launch(),
    stop: async () => { await serv.proc.stop(3000); },
    restart: async () => {
      await serv.proc.stop(3000);
      serv.proc = await launch();
    },
  };
  const stopAndClean = serv.stop;
  serv.stop = async () => {
    await stopAndClean();
    rmSync(dir, { recursive: true, force: true });
  };
  return serv;
}
