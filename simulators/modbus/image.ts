/**
 * The register image of one simulated Modbus unit: the device's physical values (SimulatedDevice.read) laid out
 * exactly as its template says, encoded with the gateway's own codec. Any Modbus master reading the simulator sees
 * what the real meter would show: secondary-side values (divided by CT/PT where the template multiplies),
 * scaled integers, the template's byte and word order.
 */
import { encodeValue, integerLimits } from '../../gateway/protocols/modbus/codec.ts';
import { compileTemplate, type CompiledRow } from '../../gateway/protocols/modbus/device-map.ts';
import type { ModbusTemplate, RegisterKind } from '../../gateway/protocols/modbus/template.ts';

/** Words (registers) or bits (coils, discretes) by address, per register type. */
export type RegisterImage = Record<RegisterKind, Map<number, number>>;

/** Ratios the simulated meter is wired with (what the site model's ct_ratio / pt_ratio will undo). */
export interface SimRatios {
  ct?: number;
  pt?: number;
}

/** A template prepared for serving: rows resolved and the address extent per register type. */
export interface ServedTemplate {
  template: ModbusTemplate;
  rows: CompiledRow[];
  /** addresses that belong to some value, per type: reads touching none of them get ILLEGAL DATA ADDRESS */
  mapped: Record<RegisterKind, Set<number>>;
}

/** Prepare a template for serving. */
export function serveTemplate(template: ModbusTemplate): ServedTemplate {
  // the device holds every row of its map, published or not
  const plan = compileTemplate(template, {}, { unpublished: 'read' });
  const mapped: Record<RegisterKind, Set<number>> = { coil: new Set(), discrete: new Set(), holding: new Set(), input: new Set() };
  for (const s of plan.spans) for (let a = s.address; a < s.address + s.count; a++) mapped[s.register].add(a);
  return { template, rows: plan.rows, mapped };
}

/** Decimal exponent for a SunSpec-style scale register: the finest one at which every value it scales fits. */
function chooseExponent(values: number[], lo: number, hi: number): number {
  for (let e = -3; e <= 6; e++) {
    if (values.every((v) => { const raw = Math.round(v / 10 ** e); return raw >= lo && raw <= hi; })) return e;
  }
  return 6;
}

/** Encode the device's values at one instant into a fresh image. */
export function buildImage(served: ServedTemplate, values: Record<string, number>, ratios: SimRatios = {}, serial = ''): RegisterImage {
  const image: RegisterImage = { coil: new Map(), discrete: new Map(), holding: new Map(), input: new Map() };
  const ct = ratios.ct ?? 1;
  const pt = ratios.pt ?? 1;
  const secondary = (c: CompiledRow): number => {
    // the meter shows secondary-side values; the gateway multiplies CT/PT back (template `ct`/`pt` flags)
    if (c.row.point === 'ct_ratio') return ct;
    if (c.row.point === 'pt_ratio') return pt;
    const v = values[c.row.point] ?? 0;
    return v / ((c.row.ct ? ct : 1) * (c.row.pt ? pt : 1));
  };
  // scale registers first: one exponent per register, fitted to every value that shares it
  const exponents = new Map<string, number>();
  for (const c of served.rows) {
    const sr = c.row.scale_register;
    if (!sr) continue;
    const key = `${sr.register ?? c.register}:${sr.address}`;
    if (exponents.has(key)) continue;
    const sharing = served.rows.filter((o) => o.row.scale_register && `${o.row.scale_register.register ?? o.register}:${o.row.scale_register.address}` === key);
    const [lo, hi] = integerLimits(c.row.type) ?? [-1e15, 1e15];
    const e = (sr.mode ?? 'pow10') === 'pow10' ? chooseExponent(sharing.map((o) => secondary(o) - (o.row.offset ?? 0)), lo, hi) : 1;
    exponents.set(key, e);
    const kind = sr.register ?? c.register;
    encodeValue(e, sr.type ?? 'int16', c.order).forEach((w, i) => image[kind].set(sr.address + i, w));
  }
  for (const c of served.rows) {
    const target = image[c.register];
    if (c.row.type === 'bool') { target.set(c.row.address, values[c.row.point] ? 1 : 0); continue; }
    if (c.row.type === 'string') {
      encodeValue(serial || served.template.model, 'string', c.order, c.row.length).forEach((w, i) => target.set(c.row.address + i, w));
      continue;
    }
    if (c.row.type === 'bitfield' && c.row.bit !== undefined) {
      const prev = target.get(c.row.address) ?? 0;
      target.set(c.row.address, values[c.row.point] ? prev | (1 << c.row.bit) : prev);
      continue;
    }
    const sr = c.row.scale_register;
    const scale = sr ? ((sr.mode ?? 'pow10') === 'pow10' ? 10 ** exponents.get(`${sr.register ?? c.register}:${sr.address}`)! : 1) : c.row.scale ?? 1;
    let raw = (secondary(c) - (c.row.offset ?? 0)) / scale;
    const limits = integerLimits(c.row.type);
    // a counter past the register's capacity wraps the way the meter's register does
    if (limits) {
      raw = Math.round(raw);
      if (limits[0] === 0 && raw > limits[1]) raw %= limits[1] + 1;
      raw = Math.min(Math.max(raw, limits[0]), limits[1]);
    }
    encodeValue(raw, c.row.type, c.order).forEach((w, i) => target.set(c.row.address + i, w));
  }
  return image;
}
