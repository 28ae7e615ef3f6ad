/**
 * The environment settings of every `jieneng` command, validated by one schema with one set of defaults
 * (issue 16: five commands used to repeat `SITE_FILE ?? 'config/demo-site.yaml'` and the like). A command reads
 * them once at its start (`settings()`); a bad value is one ConfigError line naming the variable. The MQTT and
 * InfluxDB variables are checked here for their form and read in full by core/mqtt/connection.ts and
 * storage/config.ts, which also handle their `_FILE` secrets. README "Environment" lists them for people.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ConfigError, validate } from './yaml-file.ts';

const PORT = { pattern: '^\\d{1,5}$', description: 'a TCP port, 0 to 65535' };
const text = (description: string) => Type.Optional(Type.String({ minLength: 1, description }));

/** Every variable a command reads, as the strings the environment holds; unset and empty are the same. */
export const EnvSchema = Type.Object({
  SITE_FILE: Type.String({ minLength: 1, default: 'config/demo-site.yaml', description: 'the site model' }),
  DATA_DIR: Type.String({ minLength: 1, default: './data', description: 'stores, queues, state and keys' }),
  PORT: Type.String({ ...PORT, default: '8080' }),
  MQTT_URL: Type.Optional(Type.String({ pattern: '^(mqtts?|tcp|ssl|tls|wss?)://', description: 'an MQTT URL such as mqtt://broker:1883' })),
  MQTT_PORT: Type.String({ ...PORT, default: '1883' }),
  MQTT_USERNAME: text('the broker account'),
  MQTT_PASSWORD: text('its password'),
  MQTT_PASSWORD_FILE: text('a file holding it'),
  MQTT_CA_FILE: text('a PEM file'),
  MQTT_CERT_FILE: text('a PEM file'),
  MQTT_KEY_FILE: text('a PEM file'),
  INFLUX_URL: Type.Optional(Type.String({ pattern: '^https?://', description: 'an http or https URL such as http://localhost:8086' })),
  INFLUX_VERSION: Type.Optional(Type.String({ pattern: '^[123](\\.|$)', description: '1, 2 or 3' })),
  INFLUX_DB: text('the database'),
  INFLUX_RP: text('the retention policy'),
  INFLUX_ORG: text('the organisation (2.x)'),
  INFLUX_BUCKET: text('the bucket (2.x)'),
  INFLUX_USERNAME: text('the user'),
  INFLUX_PASSWORD: text('its password'),
  INFLUX_PASSWORD_FILE: text('a file holding it'),
  INFLUX_TOKEN: text('a token'),
  INFLUX_TOKEN_FILE: text('a file holding it'),
  SIM_SEED: Type.String({ pattern: '^-?\\d{1,15}$', default: '1', description: 'a whole number' }),
  COLLECTOR_MAX_AGE_DAYS: Type.Optional(Type.String({ pattern: '^\\d+(\\.\\d+)?$', description: 'a number of days' })),
  METRICS_HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'the address of the collector /metrics' }),
  ALERT_RULES_FILE: text('alert rules'),
  ALERTS_DIR: text('the alert state'),
  AUTOMATION_FILE: text('the automation file (schedules, demand limits)'),
  LOG_LEVEL: Type.Unsafe<string>({ type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' }),
});
export type EnvStrings = Static<typeof EnvSchema>;

/** The settings, converted. */
export interface Settings {
  siteFile: string;
  dataDir: string;
  /** the API's port */
  port: number;
  /** an external broker; unset: the demo's embedded one */
  mqttUrl?: string;
  /** the embedded broker's port */
  mqttPort: number;
  simSeed: number;
  collectorMaxAgeDays?: number;
  metricsHost: string;
  alertRulesFile?: string;
  alertsDir?: string;
  /** building automation (docs/automation.md): the demo's file, and the API's unless --automation */
  automationFile?: string;
  logLevel: string;
}

const ENV = '(environment)';
const NAMES = Object.keys(EnvSchema.properties) as (keyof EnvStrings)[];

/** Validate and convert the variables of `env`; throws a ConfigError `(environment): NAME: problem`. */
export function settingsFrom(env: NodeJS.ProcessEnv): Settings {
  const picked: Record<string, string> = {};
  for (const name of NAMES) {
    const value = env[name]?.trim();
    if (!value) continue;
    // the schema's own check, said as a person would: the value and what it should be
    const { pattern, description } = EnvSchema.properties[name] as { pattern?: string; description?: string };
    if (pattern && !new RegExp(pattern).test(value)) throw new ConfigError(ENV, name, `'${value}' is not ${description}`);
    picked[name] = value;
  }
  const v = validate(EnvSchema, picked, ENV);
  const port = (name: 'PORT' | 'MQTT_PORT') => {
    const n = Number(v[name]);
    if (n > 65_535) throw new ConfigError(ENV, name, `'${v[name]}' is not ${PORT.description}`);
    return n;
  };
  const maxAge = v.COLLECTOR_MAX_AGE_DAYS === undefined ? undefined : Number(v.COLLECTOR_MAX_AGE_DAYS);
  if (maxAge !== undefined && !(maxAge > 0 && maxAge <= 36_500)) {
    throw new ConfigError(ENV, 'COLLECTOR_MAX_AGE_DAYS', `'${v.COLLECTOR_MAX_AGE_DAYS}' is not a number of days between 0 and 36 500`);
  }
  return {
    siteFile: v.SITE_FILE,
    dataDir: v.DATA_DIR,
    port: port('PORT'),
    mqttUrl: v.MQTT_URL,
    mqttPort: port('MQTT_PORT'),
    simSeed: Number(v.SIM_SEED),
    collectorMaxAgeDays: maxAge,
    metricsHost: v.METRICS_HOST,
    alertRulesFile: v.ALERT_RULES_FILE,
    alertsDir: v.ALERTS_DIR,
    automationFile: v.AUTOMATION_FILE,
    logLevel: v.LOG_LEVEL,
  };
}

/** The settings of this process's environment, read when a command starts. */
export function settings(): Settings {
  return settingsFrom(process.env);
}
