/**
 * `jieneng completion bash` (issue 16): the script generated from the command tree, run by a real bash the way
 * its completion runs it (COMP_WORDS, COMP_CWORD, then the function), completes subcommands, a command's options,
 * and file names after an option that takes a value.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jieneng } from '../../app/commands.ts';
import { bashCompletion } from '../../core/cli/completion.ts';

const dir = mkdtempSync(join(tmpdir(), 'jieneng-completion-'));
const script = join(dir, 'jieneng.bash');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  writeFileSync(script, await bashCompletion(jieneng, 'jieneng', ['--templates']));
  writeFileSync(join(dir, 'site.yaml'), 'site: {}\n');
});

/** What bash completes for the command line `line` (the cursor at its end). */
async function complete(line: string): Promise<string[]> {
  const words = line.split(' ');
  const bash = `source ${JSON.stringify(script)}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; `
    + `_jieneng_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const { stdout } = await promisify(execFile)('bash', ['-c', bash], { cwd: dir });
  return stdout.split('\n').filter(Boolean).sort();
}

describe('bash completion', () => {
  it('completes the top-level commands', async () => {
    const top = await complete('jieneng ');
    expect(top).toEqual(expect.arrayContaining(['demo', 'gateway', 'collector', 'export', 'completion', '--help']));
    expect(await complete('jieneng co')).toEqual(['collector', 'completion', 'config']);
  });

  it('completes subcommands at every level', async () => {
    expect(await complete('jieneng gateway sc')).toEqual(['scan']);
    expect(await complete('jieneng gateway scan ')).toEqual(['--help', 'bacnet', 'modbus', 'sunspec']);
  });

  it("completes a command's options, the global --templates among them", async () => {
    expect(await complete('jieneng gateway scan modbus --pa')).toEqual(['--parity', '--path']);
    expect(await complete('jieneng collector run --te')).toEqual(['--templates']);
  });

  it('completes file names after an option that takes a value, and finds the command past one', async () => {
    expect(await complete('jieneng collector run --site si')).toEqual(['site.yaml']);
    expect(await complete('jieneng --templates tpl gateway r')).toEqual(['run']);
    expect(await complete('jieneng collector run --site site.yaml --da')).toEqual(['--data']);
  });

  it('the installed command prints the script; another shell is a usage error', async () => {
    const run = (args: string[]) => promisify(execFile)(process.execPath, ['bin/jieneng.js', ...args]).then(
      (r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);
    const ok = await run(['completion', 'bash']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('complete -o filenames -F _jieneng_complete jieneng');
    const bad = await run(['completion', 'fish']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringContaining("jieneng completion: no completion for 'fish' (bash)")]);
  }, 30_000);
});
