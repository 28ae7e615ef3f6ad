#!/usr/bin/env -S npx tsx
/**
 * The `jieneng` command. Each component owns its subcommands (the tree: app/commands.ts); this file checks the
 * environment, dispatches and turns errors into one line. `--version` prints the package's version.
 *   jieneng demo                       the whole demo stack in one process (npm start)
 *   jieneng config check [site.yaml]   validate a site model and its device templates
 *   jieneng gateway …                  run | plan | scan (gateway/cli.ts)
 *   jieneng collector …                run (collector/cli.ts)
 *   jieneng api …                      run (api/cli.ts)
 *   jieneng keys …                     create | list | revoke API keys (api/security/keys-cli.ts)
 *   jieneng sim …                      run | backfill (simulators/cli.ts)
 *   jieneng kpi writeback …            the daily KPI write-back, once or on a schedule (jobs/cli.ts)
 *   jieneng verify energy …            stored intervals against the meters' counters (collector/verify-cli.ts)
 *   jieneng export annual|monthly …    the annual returns (XLSX, CSV), the monthly report (api/returns/cli.ts)
 *   jieneng import readings FILE       past readings, interval energy, temperatures (importer/cli.ts)
 *   jieneng automation check FILE      validate an automation file (automation/cli.ts)
 *   jieneng mqtt credentials …         broker accounts, Mosquitto password and ACL files of a site (app/mqtt-cli.ts)
 * Every command takes `--templates DIR`: an integrator's device templates, searched before the shipped ones.
 */
import { readFileSync } from 'node:fs';
import { jieneng } from '../app/commands.ts';
import { runCommand } from '../core/cli/command.ts';
import { settings } from '../core/config/env.ts';
import { ConfigError } from '../core/config/yaml-file.ts';
import { useTemplateDir } from '../core/devices/catalogue.ts';
import { StartupError } from '../core/errors.ts';
import { redact } from '../core/secrets.ts';

/** Remove `--templates DIR` (or `--templates=DIR`) wherever it stands and add the folder to the template search path. */
function takeTemplatesOption(argv: string[]): string[] {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--templates' || arg.startsWith('--templates=')) {
      const dir = arg === '--templates' ? argv[++i] : arg.slice('--templates='.length);
      if (!dir) throw new ConfigError('--templates', '', 'needs a folder of device templates');
      useTemplateDir(dir);
    } else {
      rest.push(arg);
    }
  }
  return rest;
}

async function main(args: string[]): Promise<number> {
  const argv = takeTemplatesOption(args);
  if (argv[0] === '--version' || argv[0] === '-V') {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`jieneng ${pkg.version}\n`);
    return 0;
  }
  settings(); // the environment checked before any command starts: a bad value is one line naming the variable
  return runCommand(jieneng, 'jieneng', argv);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    // Configuration and start-up problems are one line for a person, never a stack trace.
    if (err instanceof ConfigError || err instanceof StartupError) {
      process.stderr.write(`jieneng: ${redact(err.message)}\n`);
    } else {
      process.stderr.write(`jieneng: unexpected error: ${redact(err instanceof Error ? err.stack ?? err.message : String(err))}\n`);
    }
    process.exitCode = 1;
  },
);
