/**
 * `jieneng gateway scan bacnet`: Who-Is on the configured subnet (and/or to given addresses), then for every
 * device that answers its object list, names, units and present values — what an integrator needs to write
 * a template. The broadcast address is required: this tool never broadcasts to 255.255.255.255 on its own.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { leaf, runCommand, UsageError, type Parsed } from '../../../core/cli/command.ts';
import { BacnetBus, BacnetRequestError, type IAmInfo } from './bus.ts';
import { ObjectType, PropertyIdentifier as P, type BACNetObjectID } from './library.ts';
import { bacnetErrorName, formatObjectId, hasUnits, propertyName } from './objects.ts';
import { DeviceReader } from './reader.ts';
import { symbolOfUnits, unitName } from './units.ts';

/** What to scan and where from. */
export interface ScanOptions {
  /** local IPv4 address to bind */
  interface: string;
  /** directed broadcast address of that subnet, e.g. 192.168.10.255 (127.255.255.255 on loopback) */
  broadcast: string;
  /** BACnet/IP UDP port the devices listen on (default 47808) */
  port?: number;
  /** local port to bind (default: `port`) */
  localPort?: number;
  /** also ask these `ip:port` addresses directly (devices on other subnets or ports) */
  targets?: string[];
  /** how long to collect I-Am answers, ms (default 3000) */
  waitMs?: number;
  lowLimit?: number;
  highLimit?: number;
  apduTimeoutMs?: number;
  /** where lines go (default stdout) */
  print?: (line: string) => void;
  /** print the result as one JSON document instead of the listing */
  json?: boolean;
}

/** One object of a scanned device. */
export interface ScannedObject {
  id: string;
  name?: string;
  units?: string;
  unitSymbol?: string;
  presentValue?: number | string | boolean | null;
  error?: string;
  /** properties that could not be read, each with why (e.g. `present-value: answer could not be decoded`) */
  unreadable?: string[];
}

/** One scanned device. */
export interface ScannedDevice extends IAmInfo {
  name?: string;
  vendor?: string;
  model?: string;
  objects: ScannedObject[];
  error?: string;
}

/** Discover and describe the devices; prints a readable listing and returns the same data. */
export async function scanBacnet(opts: ScanOptions): Promise<ScannedDevice[]> {
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const port = opts.port ?? 47808;
  const broadcast = opts.broadcast.includes(':') ? opts.broadcast : `${opts.broadcast}:${port}`;
  const bus = await BacnetBus.open({ interface: opts.interface, port: opts.localPort ?? port, broadcastAddress: broadcast, apduTimeoutMs: opts.apduTimeoutMs });
  try {
    const waitMs = opts.waitMs ?? 3000;
    const asks = [bus.whoIs({ lowLimit: opts.lowLimit, highLimit: opts.highLimit, waitMs })];
    for (const t of opts.targets ?? []) asks.push(bus.whoIs({ lowLimit: opts.lowLimit, highLimit: opts.highLimit, waitMs, target: t.includes(':') ? t : `${t}:${port}` }));
    const found = new Map<number, IAmInfo>();
    for (const list of await Promise.all(asks)) for (const d of list) found.set(d.deviceInstance, d);
    print(`${found.size} BACnet device(s) answered Who-Is on ${broadcast}${opts.targets?.length ? ` and ${opts.targets.join(', ')}` : ''}`);
    const devices: ScannedDevice[] = [];
    for (const iam of [...found.values()].sort((a, b) => a.deviceInstance - b.deviceInstance)) {
      const d = await describeDevice(bus, iam);
      devices.push(d);
      printDevice(d, print);
    }
    return devices;
  } finally {
    bus.close();
  }
}

async function describeDevice(bus: BacnetBus, iam: IAmInfo): Promise<ScannedDevice> {
  const self: BACNetObjectID = { type: ObjectType.DEVICE, instance: iam.deviceInstance };
  const reader = new DeviceReader(bus, iam.address, { maxApdu: iam.maxApdu });
  const d: ScannedDevice = { ...iam, objects: [] };
  try {
    const info = await reader.read([{ objectId: self, properties: [P.OBJECT_NAME, P.VENDOR_NAME, P.MODEL_NAME] }]);
    const text = (p: number) => { const v = info.find((r) => r.property === p)?.values?.[0]?.value; return typeof v === 'string' ? v : undefined; };
    d.name = text(P.OBJECT_NAME);
    d.vendor = text(P.VENDOR_NAME);
    d.model = text(P.MODEL_NAME);
    const ids = (await objectList(bus, iam.address, self)).filter((id) => id.type !== ObjectType.DEVICE);
    const results = await reader.read(ids.map((id) => ({
      objectId: id,
      properties: hasUnits(id.type) ? [P.OBJECT_NAME, P.UNITS, P.PRESENT_VALUE] : [P.OBJECT_NAME, P.PRESENT_VALUE],
    })));
    for (const id of ids) {
      const mine = results.filter((r) => r.objectId.type === id.type && r.objectId.instance === id.instance);
      const get = (p: number) => mine.find((r) => r.property === p);
      const o: ScannedObject = { id: formatObjectId(id) };
      const name = get(P.OBJECT_NAME)?.values?.[0]?.value;
      if (typeof name === 'string') o.name = name;
      const units = get(P.UNITS)?.values?.[0]?.value;
      if (typeof units === 'number') {
        o.units = unitName(units);
        o.unitSymbol = symbolOfUnits(units);
      }
      const pv = get(P.PRESENT_VALUE);
      if (pv?.error) o.error = bacnetErrorName(pv.error.errorClass, pv.error.errorCode);
      else if (pv?.values) {
        const v = pv.values[0]?.value;
        o.presentValue = typeof v === 'number' ? Math.round(v * 1000) / 1000 : typeof v === 'string' || typeof v === 'boolean' ? v : null;
      }
      const unreadable = mine.filter((r) => r.unreadable).map((r) => `${propertyName(r.property)}: ${r.unreadable}`);
      if (unreadable.length > 0) o.unreadable = unreadable;
      d.objects.push(o);
    }
  } catch (err) {
    d.error = (err as Error).message;
  }
  return d;
}

/** Object_List whole, or element by element when the device cannot send it in one APDU (clause 12.11.20). */
async function objectList(bus: BacnetBus, address: string, self: BACNetObjectID): Promise<BACNetObjectID[]> {
  try {
    const values = await bus.readProperty(address, self, P.OBJECT_LIST);
    return values.map((v) => v.value as BACNetObjectID);
  } catch (err) {
    if (!(err instanceof BacnetRequestError) || err.kind === 'timeout') throw err;
    const count = Number((await bus.readProperty(address, self, P.OBJECT_LIST, 0))[0]?.value ?? 0);
    const out: BACNetObjectID[] = [];
    for (let i = 1; i <= count; i++) out.push((await bus.readProperty(address, self, P.OBJECT_LIST, i))[0]?.value as BACNetObjectID);
    return out;
  }
}

function printDevice(d: ScannedDevice, print: (line: string) => void): void {
  print('');
  print(`device:${d.deviceInstance}  ${d.name ?? '?'}  at ${d.address}  vendor ${d.vendor ?? d.vendorId}${d.model ? `  model ${d.model}` : ''}  max APDU ${d.maxApdu}`);
  if (d.error) print(`  error: ${d.error}`);
  for (const o of d.objects) {
    const value = o.error ? `(${o.error})` : o.presentValue === undefined ? (o.unreadable ? '(unreadable)' : '') : String(o.presentValue);
    print(`  ${o.id.padEnd(22)} ${(o.name ?? '').padEnd(20)} ${value.padStart(12)} ${o.unitSymbol ?? ''}${o.units ? `  [${o.units}]` : ''}`);
  }
  const unreadable = d.objects.filter((o) => o.unreadable);
  if (unreadable.length > 0) {
    print(`  not readable (${unreadable.length} object(s)):`);
    for (const o of unreadable) print(`    ${o.id}: ${o.unreadable?.join('; ')}`);
  }
}

const SCAN_OPTIONS = {
  interface: { type: 'string' }, broadcast: { type: 'string' }, port: { type: 'string' }, 'local-port': { type: 'string' },
  target: { type: 'string', multiple: true }, wait: { type: 'string' }, low: { type: 'string' }, high: { type: 'string' }, json: { type: 'boolean' },
} as const;

/** The parsed flags → options; throws a UsageError for a bad or missing one. */
function scanOptionsFrom(values: Parsed<typeof SCAN_OPTIONS>['values']): ScanOptions {
  const int = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number, got '${v}'`);
    return n;
  };
  if (!values.interface) throw new UsageError('--interface IP is required (the local address to bind)');
  if (!values.broadcast) throw new UsageError('--broadcast ADDR is required (the subnet\'s directed broadcast, e.g. 192.168.1.255)');
  const wait = int('wait', values.wait);
  const opts: ScanOptions & { json?: boolean } = {
    interface: values.interface, broadcast: values.broadcast, targets: values.target ?? [],
    port: int('port', values.port), localPort: int('local-port', values['local-port']), waitMs: wait === undefined ? undefined : wait * 1000,
    lowLimit: int('low', values.low), highLimit: int('high', values.high), json: values.json,
  };
  for (const k of Object.keys(opts) as (keyof typeof opts)[]) if (opts[k] === undefined) delete opts[k];
  return opts;
}

/** `scan bacnet` arguments → options; throws a one-line UsageError for a bad or missing argument. */
export function parseScanArgs(argv: string[]): ScanOptions {
  let parsed: Parsed<typeof SCAN_OPTIONS>;
  try {
    parsed = parseArgs({ args: argv, options: SCAN_OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return scanOptionsFrom(parsed.values);
}

/** `jieneng gateway scan bacnet` */
export const scanBacnetCommand = leaf({
  summary: 'find BACnet/IP devices (Who-Is) and list their objects, present values and units',
  usage: '--interface IP --broadcast ADDR [--port 47808] [--local-port N] [--target IP:PORT]… [--wait S] [--low N --high N] [--json]',
  options: SCAN_OPTIONS,
  run: async ({ values }) => {
    const opts = scanOptionsFrom(values);
    try {
      const devices = await scanBacnet(opts.json ? { ...opts, print: () => undefined } : opts);
      if (opts.json) process.stdout.write(`${JSON.stringify(devices)}\n`);
      return 0;
    } catch (err) {
      process.stderr.write(`scan failed: ${(err as Error).message}\n`);
      return 1;
    }
  },
});

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runCommand(scanBacnetCommand, 'scan bacnet', process.argv.slice(2)).then((code) => process.exit(code));
}
