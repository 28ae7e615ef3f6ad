/** `jieneng config check [site.yaml]`: validate a site model and every device template it uses. */
import { parseArgs } from 'node:util';
import { ConfigError } from '../core/config/yaml-file.ts';
import { loadSite } from '../core/site/load.ts';
import { loadTemplate } from '../gateway/devices/templates.ts';

export const DEFAULT_SITE_FILE = 'config/demo-site.yaml';

export async function configCli(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  const [verb, file = process.env.SITE_FILE ?? DEFAULT_SITE_FILE] = positionals;
  if (verb !== 'check') {
    process.stderr.write('usage: jieneng config check [site.yaml]\n');
    return 2;
  }
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
}
