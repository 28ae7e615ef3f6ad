/**
 * How a component reaches the broker: URL, credentials and TLS material, from its flags and environment. The same
 * variables for gateway, collector and API (issue 13): `MQTT_URL` (or `--mqtt`), `MQTT_USERNAME`, `MQTT_PASSWORD`
 * or `MQTT_PASSWORD_FILE`, and for `mqtts://` the PEM files `MQTT_CA_FILE`, `MQTT_CERT_FILE`, `MQTT_KEY_FILE` (or
 * `--mqtt-ca`, `--mqtt-cert`, `--mqtt-key`). Credentials never have to be on the command line, where every user of
 * the machine can read them; a password in the URL still works but is warned about.
 */
import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import { ConfigError } from '../config/yaml-file.ts';
import { readSecret, urlPassword } from '../secrets.ts';

/** A broker URL and the client options that carry credentials and TLS material. */
export interface MqttConnection {
  url: string;
  options: IClientOptions;
  /** set when the URL itself carries a password (visible in process lists): callers log it once */
  warning?: string;
}

/** The `--mqtt*` flags of a command, each undefined when not given. */
export interface MqttFlags {
  mqtt?: string;
  'mqtt-ca'?: string;
  'mqtt-cert'?: string;
  'mqtt-key'?: string;
}

/** The parseArgs option table of the `--mqtt*` flags. */
export const mqttFlagOptions = {
  mqtt: { type: 'string' }, 'mqtt-ca': { type: 'string' }, 'mqtt-cert': { type: 'string' }, 'mqtt-key': { type: 'string' },
} as const;

/** Usage text of the `--mqtt*` flags. */
export const MQTT_FLAGS_USAGE = '[--mqtt URL] [--mqtt-ca FILE] [--mqtt-cert FILE] [--mqtt-key FILE]';

function pem(path: string | undefined, setting: string): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError('(command line or environment)', setting, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Resolve URL, credentials and TLS options; `fallbackUrl` when neither `--mqtt` nor MQTT_URL is set. */
export function mqttConnection(flags: MqttFlags, env: NodeJS.ProcessEnv, fallbackUrl: string): MqttConnection;
export function mqttConnection(flags: MqttFlags, env: NodeJS.ProcessEnv, fallbackUrl?: string): MqttConnection | undefined;
export function mqttConnection(flags: MqttFlags, env: NodeJS.ProcessEnv, fallbackUrl?: string): MqttConnection | undefined {
  const url = flags.mqtt || env.MQTT_URL || fallbackUrl;
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('(command line or environment)', 'MQTT_URL', 'not a URL (expected e.g. mqtts://broker:8883)');
  }
  if (!['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'tls:', 'ws:', 'wss:'].includes(parsed.protocol)) {
    throw new ConfigError('(command line or environment)', 'MQTT_URL', `protocol ${parsed.protocol} is not an MQTT one (mqtt: or mqtts:)`);
  }
  const inUrl = urlPassword(url);
  const password = readSecret(env, 'MQTT_PASSWORD') ?? inUrl;
  const username = env.MQTT_USERNAME || (parsed.username ? decodeURIComponent(parsed.username) : undefined);
  if (password !== undefined && !username) throw new ConfigError('(environment)', 'MQTT_USERNAME', 'a password is set but no user name');
  const ca = pem(flags['mqtt-ca'] ?? env.MQTT_CA_FILE, '--mqtt-ca / MQTT_CA_FILE');
  const cert = pem(flags['mqtt-cert'] ?? env.MQTT_CERT_FILE, '--mqtt-cert / MQTT_CERT_FILE');
  const key = pem(flags['mqtt-key'] ?? env.MQTT_KEY_FILE, '--mqtt-key / MQTT_KEY_FILE');
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError('(command line or environment)', cert ? '--mqtt-key / MQTT_KEY_FILE' : '--mqtt-cert / MQTT_CERT_FILE', 'a client certificate needs both the certificate and its key');
  }
  const options: IClientOptions = {
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(ca ? { ca } : {}),
    ...(cert && key ? { cert, key } : {}),
    // a TLS connection checks the broker's certificate against the CA (Node's default, stated so nobody turns it off)
    ...(parsed.protocol === 'mqtts:' || parsed.protocol === 'ssl:' || parsed.protocol === 'tls:' || parsed.protocol === 'wss:' ? { rejectUnauthorized: true } : {}),
  };
  return {
    url,
    options,
    warning: inUrl !== undefined ? 'the MQTT URL carries a password, which other users of this machine can read in its process list: use MQTT_USERNAME and MQTT_PASSWORD or MQTT_PASSWORD_FILE' : undefined,
  };
}
