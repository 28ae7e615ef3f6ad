/** The environment settings: one schema, one set of defaults, a bad value named in one line. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from './yaml-file.ts';
import { settingsFrom } from './env.ts';

describe('settingsFrom', () => {
  it('gives the same defaults every command used to repeat', () => {
    expect(settingsFrom({})).toEqual({
      siteFile: 'config/demo-site.yaml', dataDir: './data', port: 8080, mqttUrl: undefined, mqttPort: 1883, simSeed: 1,
      collectorMaxAgeDays: undefined, metricsHost: '127.0.0.1', alertRulesFile: undefined, alertsDir: undefined, logLevel: 'info',
    });
  });

  it('reads and converts what is set; empty or blank counts as unset', () => {
    const s = settingsFrom({
      SITE_FILE: 'site.yaml', DATA_DIR: '/data', PORT: '9090', MQTT_URL: 'mqtts://broker:8883', MQTT_PORT: '0', SIM_SEED: '-7',
      COLLECTOR_MAX_AGE_DAYS: '400', METRICS_HOST: '0.0.0.0', ALERT_RULES_FILE: 'rules.yaml', ALERTS_DIR: 'alerts', LOG_LEVEL: 'debug',
      INFLUX_URL: ' ', MQTT_CA_FILE: '',
    });
    expect(s).toEqual({
      siteFile: 'site.yaml', dataDir: '/data', port: 9090, mqttUrl: 'mqtts://broker:8883', mqttPort: 0, simSeed: -7,
      collectorMaxAgeDays: 400, metricsHost: '0.0.0.0', alertRulesFile: 'rules.yaml', alertsDir: 'alerts', logLevel: 'debug',
    });
  });

  it.each([
    [{ PORT: 'eighty' }, "(environment): PORT: 'eighty' is not a TCP port, 0 to 65535"],
    [{ PORT: '70000' }, "(environment): PORT: '70000' is not a TCP port, 0 to 65535"],
    [{ MQTT_PORT: '-1' }, "(environment): MQTT_PORT: '-1' is not a TCP port, 0 to 65535"],
    [{ MQTT_URL: 'http://broker' }, "(environment): MQTT_URL: 'http://broker' is not an MQTT URL such as mqtt://broker:1883"],
    [{ INFLUX_URL: 'localhost:8086' }, "(environment): INFLUX_URL: 'localhost:8086' is not an http or https URL such as http://localhost:8086"],
    [{ INFLUX_VERSION: '4' }, "(environment): INFLUX_VERSION: '4' is not 1, 2 or 3"],
    [{ SIM_SEED: '1.5' }, "(environment): SIM_SEED: '1.5' is not a whole number"],
    [{ COLLECTOR_MAX_AGE_DAYS: '0' }, "(environment): COLLECTOR_MAX_AGE_DAYS: '0' is not a number of days between 0 and 36 500"],
    [{ COLLECTOR_MAX_AGE_DAYS: 'forever' }, "(environment): COLLECTOR_MAX_AGE_DAYS: 'forever' is not a number of days"],
    [{ LOG_LEVEL: 'loud' }, '(environment): LOG_LEVEL: must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"'],
  ])('refuses %o in one line naming the variable', (env, message) => {
    expect(() => settingsFrom(env)).toThrow(ConfigError);
    expect(() => settingsFrom(env)).toThrow(message);
  });

  it('never puts a password into its message', () => {
    expect(() => settingsFrom({ MQTT_PASSWORD: 'hunter22', PORT: 'x' })).toThrow(/^\(environment\): PORT: 'x'/);
    expect(() => settingsFrom({ MQTT_PASSWORD: 'hunter22', PORT: 'x' })).not.toThrow(/hunter22/);
  });
});
