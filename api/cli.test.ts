/** `jieneng api …` argument handling: a missing command, a bad port, a missing site file (one ConfigError line). */
import { describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../core/config/yaml-file.ts';
import { apiCli } from './cli.ts';

describe('jieneng api', () => {
  it('prints usage and refuses bad arguments', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await apiCli([])).toBe(2);
      expect(await apiCli(['serve'])).toBe(2);
      expect(await apiCli(['run', '--port', 'eighty'])).toBe(2);
      expect(await apiCli(['run', '--colour'])).toBe(2);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(/--port: 'eighty' is not a TCP port/);
    } finally {
      err.mockRestore();
    }
  });

  it('names a missing site file', async () => {
    await expect(apiCli(['run', '--site', 'config/no-such-site.yaml', '--port', '0'])).rejects.toThrow(ConfigError);
    await expect(apiCli(['run', '--site', 'config/no-such-site.yaml', '--port', '0'])).rejects.toThrow(/no-such-site\.yaml: file not found/);
  });
});
