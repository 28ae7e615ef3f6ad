/**
 * `jieneng keys create|list|revoke` (issue #13): API keys in `<DATA_DIR>/security.sqlite` (`--data`, else
 * DATA_DIR, else ./data). `create` prints the key once, on stdout, and nothing else there; each change is audited.
 */
import { group, leaf, runCommand, UsageError } from '../../core/cli/command.ts';
import { settings } from '../../core/config/env.ts';
import { parseExpiry, type KeyInfo } from './keys.ts';
import { isRole, ROLES } from './roles.ts';
import { openSecurityStore, securityFile, type SecurityStore } from './store.ts';

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 16) + 'Z');
const DATA = { data: { type: 'string' } } as const;
const DATA_HELP = '--data: the folder of security.sqlite (default DATA_DIR, else ./data)';

/** Open the store of `--data` (else DATA_DIR), run `body`, close; `audit` records a change made from the command line. */
async function withStore(data: string | undefined, body: (s: SecurityStore, audit: (action: string, target: string) => void) => number): Promise<number> {
  const security = openSecurityStore(securityFile(data ?? settings().dataDir));
  const audit = (action: string, target: string) => security.audit.append({ actor: 'cli', actor_name: process.env.USER ?? 'command line', role: null, action, target, status: null, client: 'local' });
  try {
    return body(security, audit);
  } finally {
    security.close();
  }
}

/** `jieneng keys …` */
export const keysCommand = group({
  summary: 'API keys (stored as hashes in <DATA_DIR>/security.sqlite; each change audited)',
  commands: {
    create: leaf({
      summary: 'create a key and print it once, on stdout',
      usage: `--role <${ROLES.join('|')}> [--name N] [--expires 90d|12h|never] [--scope building:ID]… [--data DIR]`,
      details: DATA_HELP,
      options: { role: { type: 'string' }, name: { type: 'string' }, expires: { type: 'string' }, scope: { type: 'string', multiple: true }, ...DATA },
      run: async ({ values }) => {
        const role = values.role;
        if (!role || !isRole(role)) throw new UsageError(`--role: '${role ?? ''}' is not one of ${ROLES.join(', ')}`);
        let lifetime: number | null;
        try {
          lifetime = parseExpiry(values.expires ?? '90d');
        } catch (err) {
          throw new UsageError(`--expires: ${(err as Error).message}`);
        }
        const buildings: string[] = [];
        for (const scope of values.scope ?? []) {
          const m = /^building:(.+)$/.exec(scope);
          if (!m) throw new UsageError(`--scope: '${scope}' is not building:<id>`);
          buildings.push(m[1]);
        }
        return withStore(values.data, (security, audit) => {
          const { token, key } = security.keys.create({
            name: values.name ?? `${role} key`, role, buildings, expires_at: lifetime === null ? null : Date.now() + lifetime,
          });
          audit('keys create', key.id);
          process.stderr.write(`key ${key.id} (${key.role}${buildings.length ? `, buildings ${buildings.join(', ')}` : ''}) expires ${iso(key.expires_at)}; shown once:\n`);
          process.stdout.write(`${token}\n`);
          return 0;
        });
      },
    }),
    list: leaf({
      summary: 'list the keys: id, role, dates, state, buildings, name',
      usage: '[--data DIR]',
      details: DATA_HELP,
      options: DATA,
      run: async ({ values }) => withStore(values.data, (security) => {
        process.stdout.write(`${['id'.padEnd(16), 'role'.padEnd(10), 'created'.padEnd(17), 'expires'.padEnd(17), 'state'.padEnd(8), 'buildings', 'name'].join('  ')}\n`);
        for (const k of security.keys.list()) process.stdout.write(`${line(k)}\n`);
        return 0;
      }),
    }),
    revoke: leaf({
      summary: 'revoke a key, from the next request on',
      usage: '<key id> [--data DIR]',
      details: DATA_HELP,
      options: DATA,
      positionals: true,
      run: async ({ values, positionals }) => {
        const id = positionals[0];
        if (!id) throw new UsageError('give the key id (jieneng keys list shows it)');
        return withStore(values.data, (security, audit) => {
          if (!security.keys.revoke(id)) {
            process.stderr.write(`jieneng keys: no active key '${id}'\n`);
            return 1;
          }
          audit('keys revoke', id);
          process.stderr.write(`key ${id} revoked\n`);
          return 0;
        });
      },
    }),
  },
});

/** Entry of `jieneng keys …`; returns the exit code. */
export const keysCli = (argv: string[]): Promise<number> => runCommand(keysCommand, 'jieneng keys', argv);

function line(k: KeyInfo): string {
  const state = k.revoked_at !== null ? 'revoked' : k.expires_at !== null && k.expires_at <= Date.now() ? 'expired' : 'active';
  return [k.id, k.role.padEnd(10), iso(k.created_at).padEnd(17), iso(k.expires_at).padEnd(17), state.padEnd(8), k.buildings.join(',') || '*', k.name].join('  ');
}
