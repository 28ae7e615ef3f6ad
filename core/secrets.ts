/**
 * Secrets (passwords, tokens): read from an environment variable or from the file another variable names
 * (`MQTT_PASSWORD` or `MQTT_PASSWORD_FILE`, the convention of Docker secrets), and redacted wherever text leaves
 * the process. `redact` is the one redaction helper: the logger runs every line through it (core/log.ts), the
 * command's last-resort error line too, and code that puts a URL into a message uses `redactUrl` (issue 13).
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './config/yaml-file.ts';

const MASK = '***';
/** secrets read by this process, as written and as they appear inside a JSON string */
const known = new Set<string>();

/** Remember a secret so that `redact` hides it wherever it appears; values shorter than 4 characters are ignored. */
export function registerSecret(value: string | undefined): void {
  if (value === undefined || value.length < 4) return;
  known.add(value);
  known.add(JSON.stringify(value).slice(1, -1));
  known.add(encodeURIComponent(value));
}

/**
 * A secret from `env[name]` or from the file named by `env[name_FILE]` (its content without the trailing line
 * break); undefined when neither is set. Both set is a ConfigError: which one wins would be a guess.
 */
export function readSecret(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct && file) throw new ConfigError('(environment)', name, `both ${name} and ${name}_FILE are set: keep one`);
  let value = direct || undefined;
  if (file) {
    try {
      value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new ConfigError('(environment)', `${name}_FILE`, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (value === '') throw new ConfigError('(environment)', `${name}_FILE`, `${file} is empty`);
  }
  registerSecret(value);
  return value;
}

/** `scheme://user:password@` inside any text: the password part is masked, the user name kept for diagnosis. */
const USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:]*):([^\s/?#@]*)@/gi;

/** The URL with the password of its user-info masked: `mqtt://gw:***@host:1883`. */
export function redactUrl(url: string): string {
  return url.replace(USER_INFO, (_m, scheme: string, user: string) => `${scheme}${user}:${MASK}@`);
}

/** The text with every URL's user-info password and every registered secret masked. */
export function redact(text: string): string {
  let out = redactUrl(text);
  for (const secret of known) if (out.includes(secret)) out = out.split(secret).join(MASK);
  return out;
}

/** The password of a URL's user-info, registered as a secret (it was given where others can read it). */
export function urlPassword(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (!parsed.password) return undefined;
  const password = decodeURIComponent(parsed.password);
  registerSecret(password);
  return password;
}
