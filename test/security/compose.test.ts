/**
 * Issue 13, the shipped stack: docker-compose.yml read as data (there is no Docker engine in the tests) and held
 * to what a public institution's network needs — no default password, every required value documented in
 * .env.example, InfluxDB with authentication and a read-only user for Grafana, Grafana without anonymous access,
 * Mosquitto with the password and ACL files, only Grafana, the API and MQTT published, and each component signing
 * in to the broker with an account the site's credentials contain.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { siteAccounts } from '../../core/mqtt/access.ts';
import { loadSite } from '../../core/site/load.ts';

interface Service {
  image?: string;
  ports?: string[];
  environment?: Record<string, string>;
  command?: string[];
  entrypoint?: string[];
  volumes?: string[];
  secrets?: string[];
  profiles?: string[];
}
interface Compose { services: Record<string, Service>; secrets: Record<string, { file: string }> }

const text = readFileSync('docker-compose.yml', 'utf8');
const compose = parse(text, { merge: true }) as Compose;
const services = compose.services;
const envExample = readFileSync('.env.example', 'utf8');

describe('docker-compose.yml', () => {
  it('has no default password: every secret variable is required (${VAR:?message}) and documented', () => {
    expect(text).not.toMatch(/change-me|:-admin\b/);
    const vars = [...text.matchAll(/\$\{([A-Z0-9_]+)(:[?-])?([^}]*)\}/g)].map((m) => ({ name: m[1], op: m[2], rest: m[3] }));
    for (const v of vars.filter((x) => /PASSWORD|TOKEN|SECRET|CREDENTIALS|ADMIN_USER/.test(x.name))) {
      expect(v.op, `${v.name} must be required`).toBe(':?');
      expect(v.rest.trim().length, `${v.name} says what to do`).toBeGreaterThan(5);
    }
    for (const name of new Set(vars.filter((v) => v.op === ':?').map((v) => v.name))) {
      expect(envExample, `.env.example documents ${name}`).toMatch(new RegExp(`^${name}=`, 'm'));
    }
  });

  it('publishes only Grafana, the API and MQTT', () => {
    const published = Object.entries(services).filter(([, s]) => s.ports?.length).map(([name]) => name).sort();
    expect(published).toEqual(['api', 'grafana', 'mosquitto']);
    expect(services.grafana.ports).toEqual(['3000:3000']);
    expect(services.api.ports).toEqual(['8080:8080']);
    for (const p of services.mosquitto.ports!) expect(p).toMatch(/^(1883:1883|8883:8883)$/);
    // loopback is the default of the API and of the collector's /metrics: the stack asks for the container's interface
    expect(services.api.command!.join(' ')).toMatch(/--host 0\.0\.0\.0/);
    expect(services.collector.command!.join(' ')).toMatch(/--metrics-host 0\.0\.0\.0/);
  });

  it('InfluxDB asks for passwords; Grafana signs in as its read-only user and admits no anonymous visitor', () => {
    const influx = services.influxdb.environment!;
    const grafana = services.grafana.environment!;
    expect(influx.INFLUXDB_HTTP_AUTH_ENABLED).toBe('true');
    expect(grafana.INFLUX_USERNAME).toBe(influx.INFLUXDB_READ_USER);
    expect(grafana.INFLUX_PASSWORD).toBe(influx.INFLUXDB_READ_USER_PASSWORD);
    expect(grafana.INFLUX_USERNAME).not.toBe(influx.INFLUXDB_USER);
    expect(grafana.INFLUX_USERNAME).not.toBe(influx.INFLUXDB_ADMIN_USER);
    expect(grafana.GF_AUTH_ANONYMOUS_ENABLED).toBe('false');
    expect(grafana.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?/);
    const datasource = readFileSync('dashboards/provisioning/datasources/influxdb.yaml', 'utf8');
    expect(datasource).toMatch(/user: \$INFLUX_USERNAME/);
    expect(datasource).toMatch(/password: \$INFLUX_PASSWORD/);
  });

  it('Mosquitto runs with the password and ACL files; every listener but the in-container health one refuses anonymous clients', () => {
    // the two files alone: no clear-text password file reaches the broker's container
    const credentials = services.mosquitto.volumes!.filter((v) => v.includes(':/mosquitto/credentials'));
    expect(credentials.map((v) => v.replace(/^.*\}/, ''))).toEqual(['/passwd:/mosquitto/credentials/passwd:ro', '/acl:/mosquitto/credentials/acl:ro']);
    const conf = readFileSync('config/mosquitto/mosquitto.conf', 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(conf).toContain('per_listener_settings true');
    const listeners: { line: string; settings: string[] }[] = [];
    for (const line of conf) {
      if (line.startsWith('listener ')) listeners.push({ line, settings: [] });
      else listeners.at(-1)?.settings.push(line);
    }
    expect(listeners.length).toBeGreaterThan(0);
    for (const l of listeners) {
      if (l.line === 'listener 1884 127.0.0.1') {
        expect(l.settings).toContain('acl_file /mosquitto/config/health.acl');
        continue;
      }
      expect(l.settings, l.line).toEqual(expect.arrayContaining(['allow_anonymous false', 'password_file /mosquitto/credentials/passwd', 'acl_file /mosquitto/credentials/acl']));
    }
    expect(readFileSync('config/mosquitto/health.acl', 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['topic read $SYS/broker/uptime']);
  });

  it('each component signs in with its own account of the site, its password a mounted secret', () => {
    const accounts = new Set(siteAccounts(loadSite('config/demo-site.yaml')).map((a) => a.username));
    for (const [name, s] of Object.entries(services)) {
      const env = s.environment ?? {};
      if (!env.MQTT_URL) continue;
      const inline = (s.entrypoint ?? []).join(' ');
      if (env.MQTT_USERNAME === undefined) {
        // the demo gateways: one account each, set per process
        expect(inline, name).toMatch(/MQTT_USERNAME=gateway-\$\$gw MQTT_PASSWORD_FILE=\/run\/secrets\/mqtt-gateway-\$\$gw/);
        for (const gw of /for gw in ([^;]+);/.exec(inline)![1].trim().split(/\s+/)) {
          expect(accounts.has(`gateway-${gw}`)).toBe(true);
          expect(s.secrets).toContain(`mqtt-gateway-${gw}`);
          expect(compose.secrets[`mqtt-gateway-${gw}`].file).toMatch(new RegExp(`/gateway-${gw}\\.password$`));
        }
        continue;
      }
      if (env.MQTT_USERNAME === 'gateway-${GATEWAY_ID:-}') {
        // the gateway profile: the account of the gateway .env names, and that account's password file
        expect(s.profiles, name).toEqual(['gateway']);
        expect(compose.secrets['mqtt-gateway'].file).toMatch(/\/gateway-\$\{GATEWAY_ID:-\}\.password$/);
        expect(s.secrets).toEqual(['mqtt-gateway']);
        continue;
      }
      expect(accounts.has(env.MQTT_USERNAME), `${name}: ${env.MQTT_USERNAME}`).toBe(true);
      expect(env.MQTT_PASSWORD, name).toBeUndefined();
      const secret = /^\/run\/secrets\/(.+)$/.exec(env.MQTT_PASSWORD_FILE)?.[1];
      expect(s.secrets, name).toContain(secret);
      expect(compose.secrets[secret!].file).toMatch(new RegExp(`/${env.MQTT_USERNAME}\\.password$`));
    }
    expect(services.collector.environment!.MQTT_USERNAME).toBe('collector');
    expect(services.api.environment!.MQTT_USERNAME).toBe('api');
  });
});
