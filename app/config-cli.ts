/** `jieneng config check [site.yaml]`: validate a site model and every device template it uses. */
import { group, leaf, runCommand, UsageError } from '../core/cli/command.ts';
import { settings } from '../core/config/env.ts';
import { ConfigError } from '../core/config/yaml-file.ts';
import { loadSite } from '../core/site/load.ts';
import { loadTemplate } from '../gateway/devices/templates.ts';

/** `jieneng config …` */
export const configCommand = group({
  summary: 'validate a site model and its device templates',
  commands: {
    check: leaf({
      summary: 'validate a site model and every device template it uses; one line naming file, line and setting on error',
      usage: '[site.yaml]',
      details: 'site.yaml: default SITE_FILE, else config/demo-site.yaml',
      options: {},
      positionals: true,
      run: async ({ positionals }) => {
        const [file = settings().siteFile, extra] = positionals;
        if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
        const site = loadSite(file);
        site.devices.forEach((d, i) => {
          try {
            loadTemplate(d.template);
          } catch (err) {
            if (!(err instanceof ConfigError)) throw err;
            // Name both places: the device that refers to the template and what is wrong with it.
            throw new ConfigError(file, `devices[${i}].template`, `device '${d.id}': ${err.message}`);
          }
        });
        process.stdout.write(`${file}: ok — ${site.buildings.length} buildings, ${site.gateways.length} gateways, ${site.devices.length} devices\n`);
        return 0;
      },
    }),
  },
});

/** Entry of `jieneng config …`; returns the exit code. */
export const configCli = (argv: string[]): Promise<number> => runCommand(configCommand, 'jieneng config', argv);
