/**
 * Issue 16, the command-line conventions of every `jieneng` command and subcommand: `--help` and `-h` print help
 * on stdout and exit 0; an unknown option, a missing or unknown subcommand is one line on stderr naming the
 * command, and exit 2. The whole command tree is walked in this process (app/commands.ts, each lazy module
 * loaded); a few calls run the real installed command, as a user types them, with `--version` and a bad environment.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jieneng } from '../../app/commands.ts';
import { runCommand, type Command } from '../../core/cli/command.ts';

/** Run `cmd` in this process, capturing stdout and stderr. */
async function run(cmd: Command, name: string, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [], err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => { out.push(String(c)); return true; });
  vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => { err.push(String(c)); return true; });
  try {
    return { code: await runCommand(cmd, name, argv), stdout: out.join(''), stderr: err.join('') };
  } finally {
    vi.restoreAllMocks();
  }
}

/** Every command of the tree with its full name, lazy ones loaded. */
async function walk(cmd: Command, name: string, into: { name: string; cmd: Command }[] = []): Promise<{ name: string; cmd: Command }[]> {
  const real = cmd.kind === 'lazy' ? await cmd.load() : cmd;
  into.push({ name, cmd: real });
  if (real.kind === 'group') for (const [sub, c] of Object.entries(real.commands)) await walk(c, `${name} ${sub}`, into);
  return into;
}

afterEach(() => vi.restoreAllMocks());

describe('every command and subcommand', async () => {
  const all = await walk(jieneng, 'jieneng');

  it('the tree holds every command of the README', () => {
    const names = all.map((c) => c.name);
    for (const n of ['jieneng demo', 'jieneng config check', 'jieneng gateway run', 'jieneng gateway plan', 'jieneng gateway scan modbus',
      'jieneng gateway scan sunspec', 'jieneng gateway scan bacnet', 'jieneng gateway proxy', 'jieneng collector run',
      'jieneng collector rebuild-state', 'jieneng api run', 'jieneng keys create', 'jieneng keys list', 'jieneng keys revoke',
      'jieneng sim run', 'jieneng sim backfill', 'jieneng kpi writeback', 'jieneng verify energy', 'jieneng export annual',
      'jieneng mqtt credentials', 'jieneng import readings']) expect(names).toContain(n);
    expect(all.length).toBeGreaterThanOrEqual(30);
  });

  it('--help and -h: help on stdout, nothing on stderr, exit 0', async () => {
    for (const { name, cmd } of all) {
      for (const flag of ['--help', '-h']) {
        const r = await run(cmd, name, [flag]);
        expect(r.code, `${name} ${flag}`).toBe(0);
        expect(r.stderr, name).toBe('');
        expect(r.stdout, name).toMatch(new RegExp(`^usage: ${name}( |$)`, 'm'));
        expect(r.stdout, name).toContain(cmd.summary);
      }
    }
  });

  it('a group lists its subcommands; a leaf lists --help', async () => {
    const top = await run(jieneng, 'jieneng', ['--help']);
    for (const c of Object.keys(jieneng.commands)) expect(top.stdout).toMatch(new RegExp(`^  ${c} +\\S`, 'm'));
    const leafHelp = await run(all.find((c) => c.name === 'jieneng gateway run')!.cmd, 'jieneng gateway run', ['--help']);
    expect(leafHelp.stdout).toMatch(/^usage: jieneng gateway run .*--gateway ID/m);
    expect(leafHelp.stdout).toMatch(/-h, --help/);
  });

  it('an unknown option: one line on stderr naming the command and the option, exit 2', async () => {
    for (const { name, cmd } of all) {
      const r = await run(cmd, name, cmd.kind === 'group' ? ['--colour'] : ['--colour', 'red']);
      expect(r.code, name).toBe(2);
      expect(r.stdout, name).toBe('');
      expect(r.stderr.split('\n').filter(Boolean), name).toHaveLength(1);
      expect(r.stderr, name).toMatch(new RegExp(`^${name}: .*'--colour'.*\\('${name} --help' shows the usage\\)\\n$`));
    }
  });

  it('a group without a command or with an unknown one: one line, exit 2', async () => {
    for (const { name, cmd } of all.filter((c) => c.cmd.kind === 'group')) {
      const missing = await run(cmd, name, []);
      expect(missing.code, name).toBe(2);
      expect(missing.stderr, name).toBe(`${name}: a command is missing ('${name} --help' shows the usage)\n`);
      const unknown = await run(cmd, name, ['frobnicate']);
      expect(unknown.code, name).toBe(2);
      expect(unknown.stderr, name).toBe(`${name}: unknown command 'frobnicate' ('${name} --help' shows the usage)\n`);
    }
  });

  it('a leaf that takes no operand refuses one; a bad value is one line too', async () => {
    const api = all.find((c) => c.name === 'jieneng api run')!.cmd;
    const extra = await run(api, 'jieneng api run', ['serve']);
    expect(extra).toMatchObject({ code: 2, stderr: "jieneng api run: unexpected argument 'serve' ('jieneng api run --help' shows the usage)\n" });
    const missing = await run(api, 'jieneng api run', ['--port']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^jieneng api run: Option '--port <value>' argument missing \('jieneng api run --help' shows the usage\)\n$/);
    const bad = await run(api, 'jieneng api run', ['--port', 'eighty']);
    expect(bad).toMatchObject({ code: 2, stderr: "jieneng api run: --port: 'eighty' is not a TCP port ('jieneng api run --help' shows the usage)\n" });
  });
});

/** The installed command, as a user runs it. */
function jienengProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/jieneng.js', ...args], { timeout: 30_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

describe('bin/jieneng.js', () => {
  it('--help, <command> --help, <command> <sub> --help: stdout, exit 0; --version; unknown option: one line, exit 2', async () => {
    // each start bundles the sources (decision 0004): few processes, the rest of the tree is walked above
    const [top, gatewayRun, version, unknown] = await Promise.all([
      jienengProcess(['--help']), jienengProcess(['gateway', 'run', '--help']), jienengProcess(['--version']), jienengProcess(['demo', '--colour']),
    ]);
    expect(top).toMatchObject({ code: 0, stderr: '' });
    expect(top.stdout).toMatch(/^usage: jieneng <command> \[options\]/);
    expect(gatewayRun).toMatchObject({ code: 0, stderr: '' });
    expect(gatewayRun.stdout).toMatch(/^usage: jieneng gateway run /);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(version).toMatchObject({ code: 0, stdout: `jieneng ${pkg.version}\n` });
    expect(unknown).toMatchObject({ code: 2, stdout: '', stderr: "jieneng demo: Unknown option '--colour' ('jieneng demo --help' shows the usage)\n" });
  });

  it('a bad environment value: one line naming the variable, exit 1, before any command starts', async () => {
    const r = await jienengProcess(['config', 'check'], { PORT: 'eighty' });
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: "jieneng: (environment): PORT: 'eighty' is not a TCP port, 0 to 65535\n" });
  });
});
