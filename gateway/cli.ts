/**
 * `jieneng gateway …`
 *   run  --site F --gateway ID [--mqtt URL] [--data DIR]     poll the gateway's devices and publish (Ctrl-C stops);
 *                                                            credentials from MQTT_USERNAME, MQTT_PASSWORD(_FILE)
 *   plan --site F --device ID                                print the Modbus read plan of a configured device
 *   scan modbus --host H [--port P] | --path DEV [--baud B] [--parity none|even|odd]  [--units 1-247] [--timeout MS]
 *                                                            find the slaves answering at an address, guess templates
 *   scan sunspec …                                           SunSpec discovery (gateway/protocols/sunspec/scan.ts)
 *   proxy --upstream H:P [--listen P] [--timeout MS]         share a one-client Modbus TCP device among clients
 */
import { group, lazy, leaf, runCommand, UsageError, untilSignal } from '../core/cli/command.ts';
import { settings } from '../core/config/env.ts';
import { ConfigError } from '../core/config/yaml-file.ts';
import { logger } from '../core/log.ts';
import { mqttConnection, mqttFlagOptions, MQTT_FLAGS_USAGE } from '../core/mqtt/connection.ts';
import { loadSite } from '../core/site/load.ts';
import { asModbusTemplate, listTemplates, loadTemplate } from './devices/templates.ts';
import { endpointKey, ModbusBus, ModbusError, type ModbusEndpoint } from './protocols/modbus/bus.ts';
import { compileTemplate, decodePoints, describePlan } from './protocols/modbus/device-map.ts';
import { readPlan } from './protocols/modbus/source.ts';
import type { ModbusTemplate } from './protocols/modbus/template.ts';
import { startModbusProxy } from './protocols/modbus/proxy.ts';
import { startGateway } from './runtime.ts';

/** `jieneng gateway …` */
export const gatewayCommand = group({
  summary: 'the site gateway and its tools',
  commands: {
    run: leaf({
      summary: "poll the gateway's devices and publish their readings until Ctrl-C",
      usage: `[--site FILE] --gateway ID ${MQTT_FLAGS_USAGE} [--data DIR] [--replay-window-h 24] [--replay-max-mb 64]`,
      details: 'Environment: SITE_FILE (unless --site), MQTT_URL, MQTT_USERNAME, MQTT_PASSWORD or MQTT_PASSWORD_FILE, MQTT_CA_FILE … (README, Security).',
      options: {
        site: { type: 'string' }, gateway: { type: 'string' }, data: { type: 'string' }, ...mqttFlagOptions,
        'replay-window-h': { type: 'string' }, 'replay-max-mb': { type: 'string' },
      },
      run: ({ values }) => runGateway(values),
    }),
    plan: leaf({
      summary: 'print the Modbus read plan of a configured device',
      usage: '--site FILE --device ID',
      options: { site: { type: 'string' }, device: { type: 'string' } },
      run: ({ values }) => printPlan(values),
    }),
    scan: group({
      summary: 'find devices at an address and guess their templates',
      commands: {
        modbus: leaf({
          summary: 'find the Modbus slaves answering at an address and the templates that read them plausibly',
          usage: '(--host HOST [--port 502] | --path DEV [--baud 9600] [--parity none|even|odd]) [--units 1-247] [--timeout 300]',
          options: {
            host: { type: 'string' }, port: { type: 'string', default: '502' }, units: { type: 'string', default: '1-247' },
            timeout: { type: 'string', default: '300' },
            path: { type: 'string' }, baud: { type: 'string', default: '9600' }, parity: { type: 'string', default: 'none' },
          },
          run: ({ values }) => scanModbusCli(values),
        }),
        sunspec: lazy('SunSpec discovery', async () => (await import('./protocols/sunspec/scan.ts')).scanSunspecCommand),
        bacnet: lazy('BACnet/IP discovery', async () => (await import('./protocols/bacnet/scan.ts')).scanBacnetCommand),
      },
    }),
    proxy: leaf({
      summary: 'share a one-client Modbus TCP device among clients',
      usage: '--upstream HOST:PORT [--listen 5020] [--bind 127.0.0.1] [--timeout 1000]',
      options: {
        upstream: { type: 'string' }, listen: { type: 'string', default: '5020' }, bind: { type: 'string', default: '127.0.0.1' },
        timeout: { type: 'string', default: '1000' },
      },
      run: ({ values }) => runProxy(values),
    }),
  },
});

/** Entry point of `jieneng gateway`; returns the exit code. */
export const gatewayCli = (argv: string[]): Promise<number> => runCommand(gatewayCommand, 'jieneng gateway', argv);

/** A positive number option times `unit`, or undefined when absent (decision 0206: the replay window's bounds). */
function positive(value: string | undefined, flag: string, unit: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new ConfigError('(command line)', flag, `'${value}' is not a positive number`);
  return n * unit;
}

function need(value: string | undefined, flag: string): string {
  if (!value) throw new ConfigError('(command line)', flag, `missing ${flag}`);
  return value;
}

async function runGateway(values: { site?: string; gateway?: string; data?: string; mqtt?: string; 'mqtt-ca'?: string; 'mqtt-cert'?: string; 'mqtt-key'?: string; 'replay-window-h'?: string; 'replay-max-mb'?: string }): Promise<number> {
  const site = loadSite(values.site ?? settings().siteFile);
  const mqtt = mqttConnection(values, process.env, 'mqtt://127.0.0.1:1883');
  if (mqtt.warning) logger('gateway').warn(mqtt.warning);
  const gw = await startGateway({
    site, gatewayId: need(values.gateway, '--gateway'),
    mqttUrl: mqtt.url, mqttOptions: mqtt.options,
    dataDir: values.data ?? 'data/gateway',
    replayWindowMs: positive(values['replay-window-h'], '--replay-window-h', 3_600_000),
    replayMaxBytes: positive(values['replay-max-mb'], '--replay-max-mb', 1024 * 1024),
  });
  await untilSignal();
  await gw.stop();
  return 0;
}

async function runProxy(values: { upstream?: string; listen: string; bind: string; timeout: string }): Promise<number> {
  const m = /^(.+):(\d+)$/.exec(need(values.upstream, '--upstream'));
  if (!m) throw new ConfigError('(command line)', '--upstream', 'give HOST:PORT');
  const proxy = await startModbusProxy({
    upstream: { host: m[1], port: Number(m[2]) }, listenHost: values.bind, listenPort: Number(values.listen), timeoutMs: Number(values.timeout),
  });
  process.stderr.write(`Modbus TCP proxy on ${values.bind}:${proxy.port} → ${values.upstream}\n`);
  await untilSignal();
  await proxy.stop();
  return 0;
}

async function printPlan(values: { site?: string; device?: string }): Promise<number> {
  const site = loadSite(need(values.site, '--site'));
  const id = need(values.device, '--device');
  const device = site.devices.find((d) => d.id === id);
  if (!device) throw new ConfigError(values.site!, 'devices', `no device '${id}'`);
  const template = asModbusTemplate(loadTemplate(device.template), `device ${id}`);
  const plan = compileTemplate(template);
  const out = process.stdout;
  out.write(`device ${id} (${device.name}): template ${template.id}, ${template.manufacturer} ${template.model}\n`);
  out.write(`limits: ${plan.limits.maxRegisters ?? 125} registers per read, gap ≤ ${plan.limits.maxGap ?? 10}; `
    + `${plan.rows.length} values → ${plan.reads.length} read${plan.reads.length === 1 ? '' : 's'}\n`);
  for (const line of describePlan(plan)) out.write(`  ${line}\n`);
  return 0;
}

/** Parse `1-10,17` into unit ids. */
export function parseUnits(spec: string): number[] {
  const units = new Set<number>();
  for (const part of spec.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new ConfigError('(command line)', '--units', `'${part}' is not a unit id or range like 1-247`);
    const a = Number(m[1]);
    const b = Number(m[2] ?? m[1]);
    if (a < 0 || b > 255 || a > b) throw new ConfigError('(command line)', '--units', `'${part}' is outside 0-255`);
    for (let u = a; u <= b; u++) units.add(u);
  }
  return [...units];
}

/** What a scan found at one unit id. */
export interface ScanHit {
  unit: number;
  /** how it answered the probe: registers, or an exception (still proof that a slave is there) */
  answer: string;
  /** templates whose every read succeeds with plausible values */
  candidates: string[];
}

/** Probe each unit with a one-register read; for those that answer, try every Modbus template. */
export async function scanModbus(opts: { endpoint: ModbusEndpoint; units: number[]; timeoutMs: number }): Promise<ScanHit[]> {
  const bus = new ModbusBus(opts.endpoint, { timeoutMs: opts.timeoutMs, retries: 0, suspendAfter: 1000 });
  const templates = listTemplates().map((id) => loadTemplate(id)).filter((t): t is ModbusTemplate => t.protocol === 'modbus');
  const hits: ScanHit[] = [];
  try {
    for (const unit of opts.units) {
      let answer: string;
      try {
        const words = await bus.read(unit, 'holding', 0, 1);
        answer = `holding 0 = ${words[0]}`;
      } catch (err) {
        if (!(err instanceof ModbusError)) throw err;
        if (err.failure !== 'exception') {
          if (err.failure === 'connection') throw err;
          continue;
        }
        answer = `exception ${err.exceptionCode} ${err.exceptionName}`;
      }
      const candidates: string[] = [];
      for (const t of templates) {
        const plan = compileTemplate(t);
        const results = await readPlan(bus, unit, plan);
        if (results.some((r) => r instanceof ModbusError)) continue;
        const points = Object.values(decodePoints(plan, results, { ct: 1, pt: 1 }));
        if (points.every((p) => p.quality === 'good')) candidates.push(t.id);
      }
      hits.push({ unit, answer, candidates });
    }
  } finally {
    await bus.close();
  }
  return hits;
}

async function scanModbusCli(values: { host?: string; port: string; units: string; timeout: string; path?: string; baud: string; parity: string }): Promise<number> {
  if (!values.host === !values.path) throw new ConfigError('(command line)', '--host', 'give --host (Modbus TCP) or --path (RTU serial line)');
  if (!['none', 'even', 'odd'].includes(values.parity!)) throw new ConfigError('(command line)', '--parity', 'must be none, even or odd');
  const endpoint: ModbusEndpoint = values.host
    ? { kind: 'tcp', host: values.host, port: Number(values.port) }
    : { kind: 'rtu', path: values.path!, baudRate: Number(values.baud), parity: values.parity as 'none' | 'even' | 'odd' };
  const units = parseUnits(values.units!);
  process.stderr.write(`scanning ${endpointKey(endpoint)} units ${values.units} (${units.length} probes, timeout ${values.timeout} ms each)\n`);
  const hits = await scanModbus({ endpoint, units, timeoutMs: Number(values.timeout) });
  for (const h of hits) {
    process.stdout.write(`unit ${h.unit}: answers (${h.answer}); matching templates: ${h.candidates.length ? h.candidates.join(', ') : 'none'}\n`);
  }
  process.stdout.write(`${hits.length} slave${hits.length === 1 ? '' : 's'} found\n`);
  return hits.length > 0 ? 0 : 1;
}
