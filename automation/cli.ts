/**
 * `jieneng automation check <automation.yaml> [--site FILE]`: validate an automation file against the site model,
 * one line naming file, line and setting on error. The service itself runs inside the API process
 * (`jieneng api run --automation FILE`) or the demo (docs/automation.md).
 */
import { group, leaf, runCommand, UsageError } from '../core/cli/command.ts';
import { settings } from '../core/config/env.ts';
import { loadSite } from '../core/site/load.ts';
import { loadAutomation } from './load.ts';

/** `jieneng automation …` */
export const automationCommand = group({
  summary: 'building automation: schedules, set-points, demand limits',
  commands: {
    check: leaf({
      summary: 'validate an automation file against the site model',
      usage: '<automation.yaml> [--site <site.yaml>]',
      details: 'Site: SITE_FILE unless --site.',
      options: { site: { type: 'string' } },
      positionals: true,
      run: async ({ values, positionals }) => {
        const [file, extra] = positionals;
        if (file === undefined) throw new UsageError('name the automation file');
        if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
        const c = loadAutomation(file, loadSite(values.site ?? settings().siteFile));
        process.stdout.write(`${file}: ok — ${c.schedules.length} schedules, ${c.demand_limits.length} demand limits, ${c.points.size} commanded points${c.dry_run ? ', dry run' : ''}\n`);
        return 0;
      },
    }),
  },
});

/** Entry of `jieneng automation …`; returns the exit code. */
export const automationCli = (argv: string[]): Promise<number> => runCommand(automationCommand, 'jieneng automation', argv);
