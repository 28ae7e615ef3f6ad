/**
 * Faults written on the command line: `DEVICE:KIND[:key=value,…]`, e.g.
 *   centre-b1-main:counter_reset:at=2026-11-28T10:00:00+08:00
 *   centre-b1-water:rollover:at=2026-11-28T09:00:00+08:00,modulus=100000
 *   centre-b1-gas:replaced:at=2026-11-28T08:00:00+08:00,initial=0
 *   centre-b1-lighting:stuck:from=2026-11-28T10:00:00+08:00,to=2026-11-28T11:00:00+08:00
 *   centre-b1-hvac:spike:from=2026-11-28T10:00:00+08:00,to=2026-11-28T10:00:20+08:00,factor=50,points=power_kw
 *   centre-b1-power:offline   centre-b1-power:slow:ms=3000   centre-b1-power:exception:code=4
 *   pv-inv1:set:points=inverter_state,value=7   (from= and to= optional: from now, until cleared)
 * Times are ISO 8601; `points` is a `+`-separated list of point names.
 */
import type { ModbusFault } from './modbus/server.ts';
import type { ValueFault } from './physics/faults.ts';

/** A parsed fault: on the values of a device (physics) or on its protocol answers. */
export type FaultSpec = { device: string; value: ValueFault } | { device: string; protocol: NonNullable<ModbusFault> };

/** Parse one `DEVICE:KIND[:k=v,…]`; throws an Error whose message names the problem. */
export function parseFaultSpec(text: string): FaultSpec {
  // device ids hold no ':' (site-model id pattern); times in the arguments do
  const i = text.indexOf(':');
  const device = i < 0 ? '' : text.slice(0, i);
  const rest = i < 0 ? '' : text.slice(i + 1);
  const j = rest.indexOf(':');
  const kind = j < 0 ? rest : rest.slice(0, j);
  const args = j < 0 ? '' : rest.slice(j + 1);
  if (!device || !kind) throw new Error(`'${text}': expected DEVICE:KIND[:key=value,…]`);
  const kv = new Map(args.split(',').filter(Boolean).map((p) => {
    const i = p.indexOf('=');
    if (i < 1) throw new Error(`'${text}': '${p}' is not key=value`);
    return [p.slice(0, i), p.slice(i + 1)] as const;
  }));
  const time = (key: string, required = true): number | undefined => {
    const v = kv.get(key);
    if (v === undefined) { if (required) throw new Error(`'${text}': ${kind} needs ${key}=ISO-time`); return undefined; }
    const ms = Date.parse(v);
    if (!Number.isFinite(ms)) throw new Error(`'${text}': ${key}='${v}' is not an ISO date-time`);
    return ms;
  };
  const num = (key: string, fallback?: number): number => {
    const v = kv.get(key);
    if (v === undefined) { if (fallback !== undefined) return fallback; throw new Error(`'${text}': ${kind} needs ${key}=number`); }
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`'${text}': ${key}='${v}' is not a number`);
    return n;
  };
  const points = kv.get('points')?.split('+').filter(Boolean);
  switch (kind) {
    case 'stuck': return { device, value: { kind, from: time('from')!, to: time('to', false), points } };
    case 'counter_reset': return { device, value: { kind, at: time('at')!, points } };
    case 'rollover': return { device, value: { kind, at: time('at')!, modulus: num('modulus'), points } };
    case 'replaced': return { device, value: { kind, at: time('at')!, initial: num('initial', 0), points } };
    case 'spike': return { device, value: { kind, from: time('from')!, to: time('to')!, factor: num('factor'), points } };
    case 'set': {
      if (!points?.length) throw new Error(`'${text}': set needs points=name[+name…]`);
      return { device, value: { kind, from: time('from', false) ?? Date.now(), to: time('to', false), points, value: num('value') } };
    }
    case 'offline': return { device, protocol: { kind } };
    case 'slow': return { device, protocol: { kind, delayMs: num('ms') } };
    case 'exception': return { device, protocol: { kind, code: num('code', 4) } };
    default: throw new Error(`'${text}': unknown fault '${kind}' (stuck, counter_reset, rollover, replaced, spike, set, offline, slow, exception)`);
  }
}
