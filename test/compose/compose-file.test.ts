/**
 * Issue 16, the shipped stack as Compose and Docker read it (no Docker engine runs here): docker-compose.yml is
 * valid against the Compose specification's schema (what `docker compose` v2 checks) and loads in Debian's
 * docker-compose 1.29 (`config` parses and interpolates without an engine); every listening service has a health
 * check that needs no curl in the slim image; the image runs a supported Node and owns its /data.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort } from '../harness/ports.ts';

interface Service {
  image?: string;
  build?: unknown;
  ports?: string[];
  environment?: Record<string, string>;
  command?: string[];
  healthcheck?: { test: string[] };
  volumes?: string[];
  profiles?: string[];
}

const text = readFileSync('docker-compose.yml', 'utf8');
const compose = parse(text, { merge: true }) as { name?: string; services: Record<string, Service> };
const services = compose.services;
const dir = mkdtempSync(join(tmpdir(), 'jieneng-compose-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function validator() {
  const schema = JSON.parse(readFileSync('test/compose/compose-spec.json', 'utf8')) as object;
  // strict off: the schema carries annotations (`deprecated`) that draft-07 does not define
  const ajv = new Ajv({ allErrors: true, strict: false });
  // it names draft-07 by its https address, which ajv knows by the http one
  ajv.addMetaSchema({ ...(ajv.getSchema('http://json-schema.org/draft-07/schema')!.schema as object), $id: 'https://json-schema.org/draft-07/schema' });
  return ajv.compile(schema);
}

describe('docker-compose.yml against the Compose specification', () => {
  const validate = validator();

  it('is valid against compose-spec.json', () => {
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 1)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the validator refuses what Compose refuses (a misspelt key)', () => {
    const bad = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    bad.services.api.healthchek = bad.services.api.healthcheck;
    expect(validate(bad)).toBe(false);
    expect(JSON.stringify(validate.errors)).toMatch(/healthchek/);
  });

  it('has no top-level name (docker-compose 1.29 refuses it; COMPOSE_PROJECT_NAME names the project)', () => {
    expect(compose.name).toBeUndefined();
    expect(readFileSync('.env.example', 'utf8')).toMatch(/^COMPOSE_PROJECT_NAME=jieneng$/m);
  });
});

/** The variables .env.example asks for, each given a value, and the credential files the stack mounts. */
function composeEnv(): NodeJS.ProcessEnv {
  const creds = join(dir, 'mqtt');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, MQTT_CREDENTIALS_DIR: creds, GATEWAY_ID: 'gw-centre' };
  for (const m of readFileSync('.env.example', 'utf8').matchAll(/^([A-Z_]+)=(.*)$/gm)) env[m[1]] = m[2] || `value-of-${m[1]}`;
  env.MQTT_CREDENTIALS_DIR = creds;
  mkdirSync(creds, { recursive: true });
  for (const f of ['passwd', 'acl', 'collector.password', 'api.password', 'gateway-gw-centre.password']) writeFileSync(join(creds, f), 'x\n');
  return env;
}

const has129 = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' }).stdout?.startsWith('1.');

describe.skipIf(!has129)("Debian's docker-compose 1.29", () => {
  const run = (args: string[], env: NodeJS.ProcessEnv) =>
    spawnSync('docker-compose', ['-f', 'docker-compose.yml', ...args], { encoding: 'utf8', env, timeout: 60_000 });

  it('loads the file with every profile: `docker-compose config`', () => {
    const env = composeEnv();
    const all = run(['--profile', 'demo', '--profile', 'gateway', 'config', '--services'], env);
    expect(all.stderr).toBe('');
    expect(all.status).toBe(0);
    expect(all.stdout.trim().split('\n').sort()).toEqual(Object.keys(services).sort());
    const config = run(['--profile', 'gateway', 'config'], env);
    expect(config.status).toBe(0);
    // interpolated: the site file mounted, the gateway's account and folder named
    expect(config.stdout).toMatch(/config\/demo-site\.yaml:\/app\/config\/site\.yaml:ro/);
    expect(config.stdout).toMatch(/MQTT_USERNAME: gateway-gw-centre/);
    expect(config.stdout).toMatch(/- \/data\/gw-centre/);
  });

  it('refuses to start without a required password, naming the variable', () => {
    const env = composeEnv();
    delete env.INFLUX_PASSWORD;
    const r = run(['config', '-q'], env);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/set INFLUX_PASSWORD \(see \.env\.example\)/);
  });
});

describe('health checks and the image', () => {
  it('every service that listens has a health check, and Jieneng\'s run without curl', () => {
    for (const name of ['mosquitto', 'influxdb', 'grafana', 'collector', 'api']) expect(services[name].healthcheck, name).toBeDefined();
    for (const [name, s] of Object.entries(services)) {
      const test = s.healthcheck?.test.join(' ') ?? '';
      if (s.image !== 'jieneng:latest') continue;
      if (!s.healthcheck) {
        // no listener: jobs, simulators and gateways; compose says so above each one
        expect(s.ports ?? [], name).toEqual([]);
        expect(s.command?.join(' ') ?? '', name).not.toMatch(/--port|--metrics-port/);
        continue;
      }
      expect(test, name).toMatch(/^CMD node bin\/healthcheck\.js http:\/\/127\.0\.0\.1:\d+\//);
      expect(test, name).not.toMatch(/curl|wget/);
    }
    expect(services.api.healthcheck!.test.at(-1)).toBe('http://127.0.0.1:8080/api/v1/health');
    expect(services.api.command!.join(' ')).toMatch(/--port 8080/);
    expect(services.collector.healthcheck!.test.at(-1)).toBe('http://127.0.0.1:9464/metrics');
    expect(services.collector.command!.join(' ')).toMatch(/--metrics-port 9464 --metrics-host 0\.0\.0\.0/);
  });

  it('Grafana speaks Chinese through the variable Grafana reads', () => {
    expect(services.grafana.environment!.GF_USERS_DEFAULT_LANGUAGE).toBe('zh-Hans');
    expect(text).not.toMatch(/GF_DEFAULT_LOCALE/);
  });

  it('the Jieneng services read the mounted site file; the gateway profile runs one gateway with its own account', () => {
    for (const name of ['collector', 'api', 'kpi-writeback', 'gateway']) {
      expect(services[name].volumes, name).toContain('${SITE_YAML:-./config/demo-site.yaml}:/app/config/site.yaml:ro');
    }
    expect(services.collector.environment!.SITE_FILE).toBe('/app/config/site.yaml');
    const gw = services.gateway;
    expect(gw.profiles).toEqual(['gateway']);
    expect(gw.environment!.MQTT_USERNAME).toBe('gateway-${GATEWAY_ID:-}');
    expect(gw.command).toEqual(['gateway', 'run', '--gateway', '${GATEWAY_ID:-}', '--data', '/data/${GATEWAY_ID:-}']);
  });

  it('the image: a supported Node LTS that package.json allows, /data owned by the runtime user, no secrets copied', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const major = Number(/^ARG NODE_IMAGE=node:(\d+)-bookworm-slim$/m.exec(dockerfile)?.[1]);
    expect([22, 24]).toContain(major);
    const engines = (JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }).engines.node;
    expect(Number(/^>=(\d+)/.exec(engines)?.[1])).toBeLessThanOrEqual(major);
    const lines = dockerfile.split('\n');
    const chown = lines.findIndex((l) => /mkdir -p \/data && chown node:node \/data/.test(l));
    const user = lines.findIndex((l) => l === 'USER node');
    expect(chown).toBeGreaterThan(0);
    expect(user).toBeGreaterThan(chown);
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n');
    for (const p of ['secrets', '.env', 'data', 'node_modules']) expect(ignored, p).toContain(p);
  });
});

describe('bin/healthcheck.js', () => {
  // asynchronous: the server answering it runs in this process
  const check = (url: string) => new Promise<{ status: number | null; stderr: string }>((resolve) => {
    execFile(process.execPath, ['bin/healthcheck.js', url, '2000'], { timeout: 10_000 }, (err, _stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr });
    });
  });

  it('exits 0 on 2xx, 1 on an error status or no answer, 2 without a URL', async () => {
    const server = createServer((req, res) => res.writeHead(req.url === '/ok' ? 200 : 503).end('x'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      expect((await check(`http://127.0.0.1:${port}/ok`)).status).toBe(0);
      const down = await check(`http://127.0.0.1:${port}/api/v1/health`);
      expect(down.status).toBe(1);
      expect(down.stderr).toMatch(/answered 503/);
    } finally {
      await new Promise((r) => server.close(r));
    }
    const refused = await check(`http://127.0.0.1:${await freePort()}/metrics`);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/ECONNREFUSED/);
    expect(spawnSync(process.execPath, ['bin/healthcheck.js'], { encoding: 'utf8' }).status).toBe(2);
  });
});
