#!/usr/bin/env -S npx tsx
/**
 * The `jieneng` command. Each component owns its subcommands; this file only dispatches.
 *   jieneng demo                       the whole demo stack in one process (npm start)
 *   jieneng config check [site.yaml]   validate a site model and its device templates
 *   jieneng gateway …                  run | plan | scan (gateway/cli.ts)
 *   jieneng collector …                run (collector/cli.ts)
 *   jieneng api …                      run (api/cli.ts)
 *   jieneng keys …                     create | list | revoke API keys (api/security/keys-cli.ts)
 *   jieneng sim …                      run | backfill (simulators/cli.ts)
 *   jieneng kpi writeback …            the daily KPI write-back, once or on a schedule (jobs/cli.ts)
 *   jieneng verify energy …            stored intervals against the meters' counters (collector/verify-cli.ts)
 *   jieneng export annual …            the annual returns as XLSX or CSV (api/returns/cli.ts)
 *   jieneng import readings FILE       past readings, interval energy, temperatures (importer/cli.ts)
 *   jieneng mqtt credentials …         broker accounts, Mosquitto password and ACL files of a site (app/mqtt-cli.ts)
 */
import { ConfigError } from '../core/config/yaml-file.ts';
import { StartupError } from '../core/errors.ts';
import { redact } from '../core/secrets.ts';

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  demo: async () => (await import('../app/demo.ts')).demoCli,
  config: async () => (await import('../app/config-cli.ts')).configCli,
  gateway: async () => (await import('../gateway/cli.ts')).gatewayCli,
  collector: async () => (await import('../collector/cli.ts')).collectorCli,
  api: async () => (await import('../api/cli.ts')).apiCli,
  keys: async () => (await import('../api/security/keys-cli.ts')).keysCli,
  sim: async () => (await import('../simulators/cli.ts')).simCli,
  kpi: async () => (await import('../jobs/cli.ts')).kpiCli,
  verify: async () => (await import('../collector/verify-cli.ts')).verifyCli,
  mqtt: async () => (await import('../app/mqtt-cli.ts')).mqttCli,
  export: async () => (await import('../api/returns/cli.ts')).exportCli,
  import: async () => (await import('../importer/cli.ts')).importCli,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const load = name ? commands[name] : undefined;
  if (!load) {
    process.stderr.write(`usage: jieneng <${Object.keys(commands).join('|')}> …\n`);
    return name ? 2 : 0;
  }
  return (await load())(rest);
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
