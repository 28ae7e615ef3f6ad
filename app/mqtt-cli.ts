/**
 * `jieneng mqtt credentials --site F --out DIR`: the broker accounts of a site (app/mqtt-credentials.ts) — the
 * Mosquitto password and ACL files and one password and env file per account. Passwords are never printed.
 */
import { group, leaf, runCommand, UsageError } from '../core/cli/command.ts';
import { loadSite } from '../core/site/load.ts';
import { ensureSiteCredentials } from './mqtt-credentials.ts';

/** `jieneng mqtt …` */
export const mqttCommand = group({
  summary: 'broker accounts of a site',
  commands: {
    credentials: leaf({
      summary: 'write the Mosquitto password and ACL files and one password and env file per account (existing passwords kept)',
      usage: '--site <site.yaml> --out <dir>',
      options: { site: { type: 'string' }, out: { type: 'string' } },
      run: async ({ values }) => {
        if (!values.site) throw new UsageError('missing --site');
        if (!values.out) throw new UsageError('missing --out');
        const creds = ensureSiteCredentials(loadSite(values.site), values.out);
        const out = process.stdout;
        out.write(`${creds.dir}: passwd, acl (Mosquitto: password_file, acl_file) and per account <user>.password, <user>.env\n`);
        for (const a of creds.accounts) {
          out.write(`  ${a.username.padEnd(32)} ${a.role}${creds.created.includes(a.username) ? ' (new password)' : ''}\n`);
        }
        out.write('Give each gateway its own <user>.env or .password file (MQTT_PASSWORD_FILE); restart or HUP the broker to load passwd and acl.\n');
        return 0;
      },
    }),
  },
});

/** Entry of `jieneng mqtt …`; returns the exit code. */
export const mqttCli = (argv: string[]): Promise<number> => runCommand(mqttCommand, 'jieneng mqtt', argv);
