import { describe, expect, it } from 'vitest';
import { simCli } from './cli.ts';

describe('jieneng sim: bad arguments are one line and exit code 2, before any work', () => {
  const run = async (argv: string[]) => {
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => { written.push(String(chunk)); return true; }) as typeof process.stderr.write;
    try {
      return { code: await simCli(argv), stderr: written.join('') };
    } finally {
      process.stderr.write = write;
    }
  };

  it('rejects an unknown command, a bad day count, date, step or seed', async () => {
    expect((await run(['fly'])).code).toBe(2);
    const days = await run(['backfill', '--days', 'many']);
    expect(days.code).toBe(2);
    expect(days.stderr).toContain("--days: 'many'");
    expect((await run(['backfill', '--days', '3', '--to', 'yesterday'])).stderr).toContain("--to: 'yesterday' is not an ISO date-time");
    expect((await run(['backfill', '--days', '3', '--step', '7m'])).stderr).toContain("--step: '7m'");
    expect((await run(['run', '--seed', 'x'])).stderr).toContain("--seed: 'x' is not an integer");
    expect((await run(['backfill', '--bogus'])).code).toBe(2);
  });

  it('names the file when the site model is missing', async () => {
    await expect(simCli(['run', '--site', 'no/such/site.yaml'])).rejects.toThrow(/no\/such\/site\.yaml: file not found/);
  });
});
