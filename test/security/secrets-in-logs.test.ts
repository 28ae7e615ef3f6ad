/**
 * Issue 13: no secret reaches a log line or an error message. The real commands (gateway, collector, API) run as
 * processes against a real Mosquitto that asks for passwords, with credentials given every way they can be given
 * (variable, file, URL user-info) and with failures that put URLs into messages (a refused password, an
 * unreachable InfluxDB); then every captured line of their output is searched for the test secrets.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startMosquitto } from '../harness/mosquitto.ts';
import { freePort, waitFor } from '../harness/ports.ts';
import { startProcess, type OwnedProcess } from '../harness/process.ts';
import { demoSiteOnFreeBusPorts } from '../harness/site.ts';

const dir = mkdtempSync(join(tmpdir(), 'jieneng-secrets-'));
const cleanups: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

const secret = (name: string) => `${name}-S3cr3t-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
const SECRETS = {
  collector: secret('collector'), gateway: secret('gateway'), api: secret('api'), wrong: secret('wrong'),
  influxUrl: secret('influx-url'), influxFile: secret('influx-file'), influxToken: secret('influx-token'),
};

function run(name: string, args: string[], env: Record<string, string>): { proc: OwnedProcess; log: () => string } {
  const file = join(dir, `${name}.log`);
  writeFileSync(file, '');
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(MQTT|INFLUX)_/.test(k)));
  const proc = startProcess(process.execPath, ['bin/jieneng.js', ...args], file, { ...clean, LOG_LEVEL: 'debug', ...env });
  cleanups.push(() => proc.stop());
  return { proc, log: () => readFileSync(file, 'utf8') };
}

it('gateway, collector and API with test secrets: none appears in any log line', async () => {
  const passwd = join(dir, 'passwd');
  writeFileSync(passwd, '');
  for (const [user, pw] of [['collector', SECRETS.collector], ['gateway-gw-centre', SECRETS.gateway], ['api', SECRETS.api]]) {
    execFileSync('mosquitto_passwd', ['-b', passwd, user, pw]);
  }
  const broker = await startMosquitto({ extraConfig: ['allow_anonymous false', `password_file ${passwd}`] });
  cleanups.push(() => broker.destroy());
  const host = `127.0.0.1:${broker.port}`;
  const pwFile = join(dir, 'collector-password');
  writeFileSync(pwFile, `${SECRETS.collector}\n`);
  const influxFile = join(dir, 'influx-password');
  writeFileSync(influxFile, `${SECRETS.influxFile}\n`);
  // the demo's gateways, their BACnet/IP buses moved off the demo's fixed ports (other tests run the demo)
  const site = await demoSiteOnFreeBusPorts(dir);

  const collector = run('collector', ['collector', 'run', '--site', site, '--metrics-port', '0'], {
    MQTT_URL: `mqtt://${host}`, MQTT_USERNAME: 'collector', MQTT_PASSWORD_FILE: pwFile, DATA_DIR: join(dir, 'collector'),
  });
  // the password in the URL: accepted (warned about), logged without it
  const gateway = run('gateway', ['gateway', 'run', '--site', site, '--gateway', 'gw-centre', '--data', join(dir, 'gw')], {
    MQTT_URL: `mqtt://gateway-gw-centre:${SECRETS.gateway}@${host}`,
  });
  // a refused password: the error and the outage lines carry the URL
  const refused = run('refused', ['gateway', 'run', '--site', site, '--gateway', 'gw-east', '--data', join(dir, 'gw2')], {
    MQTT_URL: `mqtt://gateway-gw-east:${SECRETS.wrong}@${host}`,
  });
  const api = run('api', ['api', 'run', '--site', site, '--port', '0'], {
    MQTT_URL: `mqtt://${host}`, MQTT_USERNAME: 'api', MQTT_PASSWORD: SECRETS.api, DATA_DIR: join(dir, 'api'),
  });
  // InfluxDB unreachable, with a password in its URL, one in a file and a token: start-up fails in one line
  const influx = run('influx', ['collector', 'run', '--site', site], {
    MQTT_URL: `mqtt://${host}`, MQTT_USERNAME: 'collector', MQTT_PASSWORD: SECRETS.collector, DATA_DIR: join(dir, 'c2'),
    INFLUX_URL: `http://jieneng:${SECRETS.influxUrl}@127.0.0.1:${await freePort()}`, INFLUX_USERNAME: 'jieneng',
    INFLUX_PASSWORD_FILE: influxFile, INFLUX_TOKEN: SECRETS.influxToken,
  });

  await waitFor('collector subscribed', () => collector.log().includes('collector subscribed'), 60_000, 200);
  await waitFor('gateway connected', () => gateway.log().includes('broker connected'), 60_000, 200);
  await waitFor('refused gateway reports the broker', () => /broker (error|unreachable)/.test(refused.log()), 60_000, 200);
  await waitFor('API listening', () => /listening|API on|started/i.test(api.log()), 60_000, 200);
  await waitFor('InfluxDB failure reported', () => influx.proc.exited, 60_000, 200);
  await Promise.all([collector, gateway, refused, api].map((p) => p.proc.stop()));

  const logs = { collector: collector.log(), gateway: gateway.log(), refused: refused.log(), api: api.log(), influx: influx.log() };
  for (const [name, text] of Object.entries(logs)) {
    for (const [what, value] of Object.entries(SECRETS)) {
      expect(text.includes(value), `${what} secret in the ${name} output`).toBe(false);
    }
  }
  // the lines that would have carried them are there, redacted
  expect(logs.gateway).toContain(`gateway-gw-centre:***@${host}`);
  expect(logs.gateway).toMatch(/MQTT URL carries a password/);
  expect(logs.refused).toContain(`gateway-gw-east:***@${host}`);
  expect(logs.influx).toContain('jieneng:***@127.0.0.1');
}, 180_000);
