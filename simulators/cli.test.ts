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

describe('fault specs on the command line', async () => {
  const { parseFaultSpec } = await import('./fault-spec.ts');
  it('parses value and protocol faults with ISO times', () => {
    expect(parseFaultSpec('centre-b1-main:counter_reset:at=2026-11-28T10:00:00+08:00')).toEqual({ device: 'centre-b1-main', value: { kind: 'counter_reset', at: Date.UTC(2026, 10, 28, 2), points: undefined } });
    expect(parseFaultSpec('m:spike:from=2026-11-28T10:00:00Z,to=2026-11-28T10:00:20Z,factor=50,points=power_kw+current_l1_a')).toMatchObject({ value: { kind: 'spike', factor: 50, points: ['power_kw', 'current_l1_a'] } });
    expect(parseFaultSpec('m:rollover:at=2026-11-28T10:00:00Z,modulus=100000')).toMatchObject({ value: { kind: 'rollover', modulus: 100000 } });
    expect(parseFaultSpec('m:slow:ms=3000')).toEqual({ device: 'm', protocol: { kind: 'slow', delayMs: 3000 } });
    expect(parseFaultSpec('m:offline')).toEqual({ device: 'm', protocol: { kind: 'offline' } });
  });

  it('names what is wrong', () => {
    expect(() => parseFaultSpec('m:melt')).toThrow(/unknown fault 'melt'/);
    expect(() => parseFaultSpec('m:counter_reset')).toThrow(/needs at=ISO-time/);
    expect(() => parseFaultSpec('m:counter_reset:at=noon')).toThrow(/at='noon' is not an ISO date-time/);
    expect(() => parseFaultSpec('m:rollover:at=2026-11-28T10:00:00Z,modulus=big')).toThrow(/modulus='big' is not a number/);
    expect(() => parseFaultSpec('justadevice')).toThrow(/expected DEVICE:KIND/);
  });
});
