/**
 * The tree of `jieneng` commands (bin/jieneng.ts runs it; core/cli/command.ts gives the conventions). Each
 * component owns its subcommands in its cli module.
 */
import { group, lazy } from '../core/cli/command.ts';

/** Every command; each component's module is imported only when it runs or shows its help. */
export const jieneng = group({
  summary: 'Jieneng (节能): energy monitoring for public institutions. Environment settings: README, Configuration reference.',
  details: 'Every command also takes --templates DIR: an integrator\'s device templates, searched before the shipped ones.\n'
    + 'jieneng --version prints the version.',
  commands: {
    demo: lazy('the whole demo stack in one process (npm start)', async () => (await import('./demo.ts')).demoCommand),
    config: lazy('validate a site model and its device templates', async () => (await import('./config-cli.ts')).configCommand),
    gateway: lazy('run a site gateway, print read plans, scan buses, proxy Modbus TCP', async () => (await import('../gateway/cli.ts')).gatewayCommand),
    collector: lazy('run a collector, rebuild its counter state', async () => (await import('../collector/cli.ts')).collectorCommand),
    api: lazy('run the HTTP API', async () => (await import('../api/cli.ts')).apiCommand),
    keys: lazy('create, list and revoke API keys', async () => (await import('../api/security/keys-cli.ts')).keysCommand),
    sim: lazy('run the simulators, backfill history', async () => (await import('../simulators/cli.ts')).simCommand),
    kpi: lazy('the daily KPI write-back', async () => (await import('../jobs/cli.ts')).kpiCommand),
    verify: lazy('stored intervals against the meters\' counters', async () => (await import('../collector/verify-cli.ts')).verifyCommand),
    mqtt: lazy('broker accounts, Mosquitto password and ACL files of a site', async () => (await import('./mqtt-cli.ts')).mqttCommand),
    import: lazy('past readings, interval energy and temperatures from CSV or XLSX', async () => (await import('../importer/cli.ts')).importCommand),
    automation: lazy('check an automation file (schedules, set-points, demand limits)', async () => (await import('../automation/cli.ts')).automationCommand),
    export: lazy('the annual returns as XLSX or CSV', async () => (await import('../api/returns/cli.ts')).exportCommand),
    completion: lazy('print a shell completion script (bash)', async () => (await import('../core/cli/completion.ts')).completionCommand(() => jieneng, 'jieneng', ['--templates'])),
  },
});
