/**
 * Issue 13: the shipped Mosquitto configuration (config/mosquitto/mosquitto.conf) run by a real Mosquitto 2 with
 * the files `jieneng mqtt credentials` writes — paths and ports moved to a temp dir and free loopback ports, the
 * TLS listener enabled as its comment says, with a CA, server and client certificates made by openssl. Gateway
 * and collector connect over mqtts:// with the options `--mqtt-ca`, `--mqtt-cert`, `--mqtt-key` become.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSiteCredentials, type SiteCredentials } from '../../app/mqtt-credentials.ts';
import { startCollector } from '../../collector/runtime.ts';
import { collectorTestSite } from '../../collector/testing/site.ts';
import { ReadingStream } from '../../collector/testing/stream.ts';
import { topics } from '../../core/contract/v1.ts';
import { mqttConnection } from '../../core/mqtt/connection.ts';
import { openEmbeddedStorage } from '../../storage/embedded/store.ts';
import { loadSite } from '../../core/site/load.ts';
import { startMosquittoConfig, type MosquittoServer } from '../harness/mosquitto.ts';
import { startProcess } from '../harness/process.ts';
import { demoSiteOnFreeBusPorts } from '../harness/site.ts';
import { freePort, waitFor } from '../harness/ports.ts';
import { startStreamGateway } from '../harness/stream-gateway.ts';

const dir = mkdtempSync(join(tmpdir(), 'jieneng-mosquitto-shipped-'));
const cleanups: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by the CA. */
function makeCertificates(tls: string): void {
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: tls, stdio: 'pipe' });
  const key = (name: string) => ossl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  key('ca');
  ossl('req', '-x509', '-new', '-key', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=jieneng test CA');
  writeFileSync(join(tls, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  for (const [name, cn, ext] of [['server', 'localhost', ['-extfile', 'server.ext']], ['client', 'gateway-gw1', []]] as const) {
    key(name);
    ossl('req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', ...ext);
  }
}

interface Shipped { broker: MosquittoServer; plain: number; tls: number; health: number; creds: SiteCredentials; site: string }

/** The shipped config with its TLS block enabled (`requireCertificate`: client certificates demanded). */
async function startShipped(name: string, requireCertificate: boolean, model = collectorTestSite(`shipped-${name}-${process.pid}`)): Promise<Shipped> {
  const site = model.site.id;
  const creds = ensureSiteCredentials(model, join(dir, name, 'credentials'));
  const [plain, tls, health] = [await freePort(), await freePort(), await freePort()];
  const shipped = readFileSync('config/mosquitto/mosquitto.conf', 'utf8');
  const broker = await startMosquittoConfig((data) => {
    let conf = shipped.replace(/^#(?=[a-z])/gm, '') // the TLS block, as its comment says
      .replaceAll('/mosquitto/credentials/', `${creds.dir}/`)
      .replaceAll('/mosquitto/tls/', `${resolve(dir, 'tls')}/`)
      .replaceAll('/mosquitto/config/health.acl', resolve('config/mosquitto/health.acl'))
      .replaceAll('/mosquitto/data/', `${data}/`)
      .replace(/^listener 1883$/m, `listener ${plain} 127.0.0.1`)
      .replace(/^listener 8883$/m, `listener ${tls} 127.0.0.1`)
      .replace(/^listener 1884 127\.0\.0\.1$/m, `listener ${health} 127.0.0.1`)
      .replace(/^log_dest stdout$/m, 'log_dest stderr');
    if (requireCertificate) conf = conf.replace(/^require_certificate false$/m, 'require_certificate true');
    return { config: conf, port: tls };
  });
  cleanups.push(() => broker.destroy());
  return { broker, plain, tls, health, creds, site };
}

beforeAll(() => {
  execFileSync('mkdir', ['-p', join(dir, 'tls')]);
  makeCertificates(join(dir, 'tls'));
});

const tlsFlags = (client: boolean) => ({
  'mqtt-ca': join(dir, 'tls', 'ca.crt'),
  ...(client ? { 'mqtt-cert': join(dir, 'tls', 'client.crt'), 'mqtt-key': join(dir, 'tls', 'client.key') } : {}),
});

describe('the shipped Mosquitto configuration', () => {
  it('plain listener: anonymous refused, accounts accepted; health listener: $SYS uptime only', async () => {
    const s = await startShipped('plain', false);
    const plainUrl = `mqtt://127.0.0.1:${s.plain}`;
    await expect(mqtt.connectAsync(plainUrl, { reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toThrow(/Not authorized/i);
    const gw = await mqtt.connectAsync(plainUrl, { username: 'gateway-gw1', password: s.creds.passwords.get('gateway-gw1'), reconnectPeriod: 0 });
    cleanups.push(() => gw.endAsync(true));
    const health = await mqtt.connectAsync(`mqtt://127.0.0.1:${s.health}`, { reconnectPeriod: 0 });
    cleanups.push(() => health.endAsync(true));
    const got: string[] = [];
    health.on('message', (topic) => got.push(topic));
    await health.subscribeAsync(['$SYS/broker/uptime', 'jieneng/#'], { qos: 1 }).catch(() => undefined);
    await gw.publishAsync(topics.gatewayStatus(s.site, 'gw1'), '{"v":1,"online":true,"ts":1}', { qos: 1, retain: true });
    await waitFor('uptime', () => got.includes('$SYS/broker/uptime'), 15_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(got.filter((t) => !t.startsWith('$SYS'))).toEqual([]);
  });

  it('TLS listener: gateway and collector over mqtts:// with the CA, end to end; an unknown CA is refused', async () => {
    const s = await startShipped('tls', false);
    const url = `mqtts://localhost:${s.tls}`;
    await expect(mqtt.connectAsync(url, { username: 'collector', password: s.creds.passwords.get('collector'), reconnectPeriod: 0, connectTimeout: 5000 }))
      .rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
    const env = (user: string) => ({ MQTT_USERNAME: user, MQTT_PASSWORD: s.creds.passwords.get(user) });
    const collectorConn = mqttConnection({ mqtt: url, ...tlsFlags(false) }, env('collector'));
    const gatewayConn = mqttConnection({ mqtt: url, ...tlsFlags(false) }, env('gateway-gw1'));
    const storage = openEmbeddedStorage({ path: join(dir, 'tls.sqlite') });
    cleanups.push(() => storage.close());
    const site = collectorTestSite(s.site);
    const collector = await startCollector({ site, mqttUrl: collectorConn!.url, mqttOptions: collectorConn!.options, storage, dataDir: join(dir, 'tls-collector'), clientId: `tls-${process.pid}` });
    cleanups.push(() => collector.stop());
    const gw = startStreamGateway({ mqttUrl: gatewayConn!.url, site: s.site, gateway: 'gw1', dir: join(dir, 'tls-gw'), mqttOptions: gatewayConn!.options });
    cleanups.push(() => gw.stop());
    const stream = new ReadingStream(Math.floor(Date.now() / 900_000) * 900_000 - 3_600_000, 15_000, s.site);
    let sent = 0;
    for (let i = 0; i < 5; i++) for (const b of stream.step(i)) if (b.gateway === 'gw1') { gw.send(b); sent++; }
    await waitFor('gw1 batches stored', () => collector.gateways().find((a) => a.gateway === 'gw1')?.last_seq === sent - 1, 20_000, 100);
  });

  it('TLS listener with require_certificate: a client certificate signed by the CA is needed', async () => {
    const s = await startShipped('mtls', true);
    const url = `mqtts://localhost:${s.tls}`;
    const env = { MQTT_USERNAME: 'gateway-gw1', MQTT_PASSWORD: s.creds.passwords.get('gateway-gw1') };
    const without = mqttConnection({ mqtt: url, ...tlsFlags(false) }, env)!;
    await expect(mqtt.connectAsync(without.url, { ...without.options, reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toThrow();
    const withCert = mqttConnection({ mqtt: url, ...tlsFlags(true) }, env)!;
    const c = await mqtt.connectAsync(withCert.url, { ...withCert.options, reconnectPeriod: 0, connectTimeout: 5000 });
    await c.publishAsync(topics.gatewayStatus(s.site, 'gw1'), '{"v":1,"online":true,"ts":1}', { qos: 1 });
    await c.endAsync();
  });

  it('the commands: gateway and collector processes over mqtts:// with --mqtt-ca/--mqtt-cert/--mqtt-key and a password file', async () => {
    const s = await startShipped('cli', true, loadSite('config/demo-site.yaml'));
    const url = `mqtts://localhost:${s.tls}`;
    const tls = ['--mqtt', url, '--mqtt-ca', join(dir, 'tls', 'ca.crt'), '--mqtt-cert', join(dir, 'tls', 'client.crt'), '--mqtt-key', join(dir, 'tls', 'client.key')];
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(MQTT|INFLUX)_/.test(k)));
    const run = (name: string, args: string[], user: string) => {
      const log = join(dir, `${name}.log`);
      writeFileSync(log, '');
      const p = startProcess(process.execPath, ['bin/jieneng.js', ...args, ...tls], log, {
        ...clean, LOG_LEVEL: 'info', DATA_DIR: join(dir, `${name}-data`), MQTT_USERNAME: user, MQTT_PASSWORD_FILE: join(s.creds.dir, `${user}.password`),
      });
      cleanups.push(() => p.stop());
      return () => readFileSync(log, 'utf8');
    };
    const site = await demoSiteOnFreeBusPorts(dir); // the demo's BACnet/IP bus ports are taken when the demo test runs
    const collector = run('cli-collector', ['collector', 'run', '--site', site], 'collector');
    const gateway = run('cli-gateway', ['gateway', 'run', '--site', site, '--gateway', 'gw-east', '--data', join(dir, 'cli-gw')], 'gateway-gw-east');
    await waitFor('collector subscribed over TLS', () => collector().includes('collector subscribed'), 60_000, 200).catch((err: Error) => {
      throw new Error(`${err.message}\ncollector: ${collector()}\ngateway: ${gateway()}\nbroker: ${readFileSync(join(s.broker.dir, 'mosquitto.log'), 'utf8')}`);
    });
    await waitFor('gateway connected over TLS', () => gateway().includes('broker connected'), 60_000, 200);
  }, 120_000);
});
