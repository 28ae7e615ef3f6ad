/**
 * `jieneng keys create|list|revoke` (issue #13): API keys in `<DATA_DIR>/security.sqlite` (`--data`, else
 * DATA_DIR, else ./data). `create` prints the key once, on stdout, and nothing else there; each change is audited.
 */
import { parseArgs } from 'node:util';
import { parseExpiry, type KeyInfo } from './keys.ts';
import { isRole, ROLES } from './roles.ts';
import { openSecurityStore, securityFile } from './store.ts';

const USAGE = `usage: jieneng keys create --role <${ROLES.join('|')}> [--name N] [--expires 90d|12h|never] [--scope building:ID]… [--data DIR]
       jieneng keys list [--data DIR]
       jieneng keys revoke <key id> [--data DIR]`;

const fail = (message: string): number => {
  process.stderr.write(`jieneng keys: ${message}\n${USAGE}\n`);
  return 2;
};
const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 16) + 'Z');

/** Entry of `jieneng keys …`; returns the exit code. */
export async function keysCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || !['create', 'list', 'revoke'].includes(command)) {
    process.stderr.write(`${USAGE}\n`);
    return command ? 2 : 0;
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(rest);
  } catch (err) {
    return fail((err as Error).message);
  }
  const { values, positionals } = parsed;
  const security = openSecurityStore(securityFile(values.data ?? process.env.DATA_DIR ?? './data'));
  const audit = (action: string, target: string) => security.audit.append({ actor: 'cli', actor_name: process.env.USER ?? 'command line', role: null, action, target, status: null, client: 'local' });
  try {
    if (command === 'create') {
      if (!values.role || !isRole(values.role)) return fail(`--role: '${values.role ?? ''}' is not one of ${ROLES.join(', ')}`);
      let lifetime: number | null;
      try {
        lifetime = parseExpiry(values.expires ?? '90d');
      } catch (err) {
        return fail(`--expires: ${(err as Error).message}`);
      }
      const buildings: string[] = [];
      for (const scope of values.scope ?? []) {
        const m = /^building:(.+)$/.exec(scope);
        if (!m) return fail(`--scope: '${scope}' is not building:<id>`);
        buildings.push(m[1]);
      }
      const { token, key } = security.keys.create({
        name: values.name ?? `${values.role} key`, role: values.role, buildings, expires_at: lifetime === null ? null : Date.now() + lifetime,
      });
      audit('keys create', key.id);
      process.stderr.write(`key ${key.id} (${key.role}${buildings.length ? `, buildings ${buildings.join(', ')}` : ''}) expires ${iso(key.expires_at)}; shown once:\n`);
      process.stdout.write(`${token}\n`);
      return 0;
    }
    if (command === 'list') {
      const rows = security.keys.list();
      process.stdout.write(`${['id'.padEnd(16), 'role'.padEnd(10), 'created'.padEnd(17), 'expires'.padEnd(17), 'state'.padEnd(8), 'buildings', 'name'].join('  ')}\n`);
      for (const k of rows) process.stdout.write(`${line(k)}\n`);
      return 0;
    }
    const id = positionals[0];
    if (!id) return fail('revoke: give the key id (jieneng keys list shows it)');
    if (!security.keys.revoke(id)) {
      process.stderr.write(`jieneng keys: no active key '${id}'\n`);
      return 1;
    }
    audit('keys revoke', id);
    process.stderr.write(`key ${id} revoked\n`);
    return 0;
  } finally {
    security.close();
  }
}

function parse(args: string[]) {
  return parseArgs({
    args, allowPositionals: true,
    options: { role: { type: 'string' }, name: { type: 'string' }, expires: { type: 'string' }, scope: { type: 'string', multiple: true }, data: { type: 'string' } },
  });
}

function line(k: KeyInfo): string {
  const state = k.revoked_at !== null ? 'revoked' : k.expires_at !== null && k.expires_at <= Date.now() ? 'expired' : 'active';
  return [k.id, k.role.padEnd(10), iso(k.created_at).padEnd(17), iso(k.expires_at).padEnd(17), state.padEnd(8), k.buildings.join(',') || '*', k.name].join('  ');
}
