/**
 * `jieneng gateway scan sunspec --host H --port P [--unit N]`: find the SunSpec map of a device and show every
 * model with its decoded points — what an integrator runs before writing a site-model entry.
 */
import { ModbusBus, type ModbusEndpoint } from '../modbus/bus.ts';
import type { DecodedModel } from './codec.ts';
import { busReader, SunspecDevice } from './device.ts';
import { modelLayout } from './models.ts';
import { leaf, UsageError } from '../../../core/cli/command.ts';

/** What a scan found: base address, the chain, and the decoded content of every model with a shipped definition. */
export interface SunspecScanResult {
  endpoint: string;
  unit: number;
  base: number;
  models: { id: number; name: string; address: number; length: number; decoded?: DecodedModel }[];
}

/** Scan one unit for SunSpec models (TCP `host:port`, or an RTU endpoint). */
export async function scanSunspec(opts: { host?: string; port?: number; endpoint?: ModbusEndpoint; unit?: number; timeoutMs?: number }): Promise<SunspecScanResult> {
  const endpoint: ModbusEndpoint = opts.endpoint ?? { kind: 'tcp', host: opts.host ?? '127.0.0.1', port: opts.port ?? 502 };
  const unit = opts.unit ?? 1;
  const bus = new ModbusBus(endpoint, { timeoutMs: opts.timeoutMs ?? 2000, retries: 1 });
  try {
    const device = new SunspecDevice(busReader(bus, unit));
    const map = await device.models();
    const decoded = await device.read();
    return {
      endpoint: bus.key, unit, base: map.base,
      models: map.models.map((m) => ({
        id: m.id, name: modelLayout(m.id)?.name ?? '(no shipped definition)', address: m.address, length: m.length,
        decoded: decoded.get(m.id)?.address === m.address ? decoded.get(m.id) : undefined,
      })),
    };
  } finally {
    await bus.close();
  }
}

function show(v: unknown): string {
  if (v === null) return 'n/i';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(8)));
  return JSON.stringify(v);
}

/** Human-readable scan report (units from the model definitions; n/i = not implemented; points beyond the reported length listed as not sent). */
export function formatSunspecScan(r: SunspecScanResult): string {
  const lines = [`SunSpec device at ${r.endpoint} unit ${r.unit}: "SunS" at ${r.base}, ${r.models.length} model(s)`];
  for (const m of r.models) {
    lines.push(`  model ${m.id} ${m.name} at ${m.address}, L=${m.length}`);
    if (!m.decoded) continue;
    const layout = modelLayout(m.id);
    const unitOf = (name: string) => layout?.points.find((p) => p.name === name)?.units ?? layout?.block?.points.find((p) => p.name === name)?.units ?? '';
    const fields = Object.entries(m.decoded.points).filter(([k, v]) => k !== 'ID' && k !== 'L' && !k.endsWith('_SF') && v !== null);
    if (fields.length > 0) lines.push(`    ${fields.map(([k, v]) => `${k}=${show(v)}${unitOf(k) ? ` ${unitOf(k)}` : ''}`).join('  ')}`);
    const unsent = Object.keys(m.decoded.unsent);
    if (unsent.length > 0) lines.push(`    not sent (beyond L=${m.length}): ${unsent.join(' ')}`);
    m.decoded.blocks.forEach((b, i) => {
      const bf = Object.entries(b).filter(([, v]) => v !== null);
      lines.push(`    [${i + 1}] ${bf.map(([k, v]) => `${k}=${show(v)}${unitOf(k) ? ` ${unitOf(k)}` : ''}`).join('  ')}`);
    });
  }
  return lines.join('\n');
}

/** `jieneng gateway scan sunspec` */
export const scanSunspecCommand = leaf({
  summary: 'SunSpec discovery: find the "SunS" marker, walk the models and decode each',
  usage: '[--host 127.0.0.1] [--port 502] [--unit 1] [--json]',
  options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '502' }, unit: { type: 'string', default: '1' }, json: { type: 'boolean', default: false } },
  run: async ({ values }) => {
    const port = Number(values.port), unit = Number(values.unit);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError('--port must be 1–65535');
    if (!Number.isInteger(unit) || unit < 0 || unit > 255) throw new UsageError('--unit must be 0–255');
    try {
      const result = await scanSunspec({ host: values.host, port, unit });
      process.stdout.write(`${values.json ? JSON.stringify(result, null, 2) : formatSunspecScan(result)}\n`);
      return 0;
    } catch (err) {
      process.stderr.write(`jieneng gateway scan sunspec: ${values.host}:${port} unit ${unit}: ${(err as Error).message}\n`);
      return 1;
    }
  },
});
