/**
 * `jieneng mqtt credentials --site F --out DIR`: the broker accounts of a site (app/mqtt-credentials.ts) — the
 * Mosquitto password and ACL files and one password and env file per account. Passwords are never printed.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../core/config/yaml-file.ts';
import { loadSite } from '../core/site/load.ts';
import { ensureSiteCredentials } from './mqtt-credentials.ts';

const USAGE = 'usage: jieneng mqtt credentials --site <site.yaml> --out <dir>\n';

/** Entry of `jieneng mqtt …`; returns the exit code. */
export async function mqttCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'credentials') {
    process.stderr.write(USAGE);
    return command ? 2 : 0;
  }
  const { values } = parseArgs({ args: rest, options: { site: { type: 'string' }, out: { type: 'string' } } });
  if (!values.site) throw new ConfigError('(command line)', '--site', 'missing --site');
  if (!values.out) throw new ConfigError('(command line)', '--out', 'missing --out');
  const creds = ensureSiteCredentials(loadSite(values.site), values.out);
  const out = process.stdout;
  out.write(`${creds.dir}: passwd, acl (Mosquitto: password_file, acl_file) and per account <user>.password, <user>.env\n`);
  for (const a of creds.accounts) {
    out.write(`  ${a.username.padEnd(32)} ${a.role}${creds.created.includes(a.username) ? ' (new password)' : ''}\n`);
  }
  out.write('Give each gateway its own <user>.env or .password file (MQTT_PASSWORD_FILE); restart or HUP the broker to load passwd and acl.\n');
  return 0;
}
