/**
 * What a simulated SunSpec device lays out: "SunS", the models in order, the end marker — each model encoded
 * from the official definitions with the device's physical values (SimulatedDevice.read) in the models' units,
 * with scale factors fixed from the device's ratings as real firmware fixes them.
 */
import { encodeModel, scaleFactorsFor, type ModelValues } from '../../gateway/protocols/sunspec/codec.ts';
import { SUNS_MARKER } from '../../gateway/protocols/sunspec/discovery.ts';
import { modelLayout, type ModelLayout } from '../../gateway/protocols/sunspec/models.ts';

/** Common model (1) identity. */
export interface SunspecIdentity {
  manufacturer: string;
  model: string;
  version: string;
  serial: string;
}

/** One model of a simulated device: its id and how to fill it from canonical values at an instant. */
export interface ModelSource {
  id: number;
  values(points: Record<string, number>, nowMs: number): ModelValues;
  /** values at the device's ratings, to fix the scale factors; omitted for models without scale factors */
  ratings?: ModelValues;
  /**
   * L the device reports, shorter than the definition's: the model is cut after L + 2 registers, as by
   * firmware that omits the tail of a model (e.g. 103 with L = 30, without the temperatures)
   */
  length?: number;
}

/** A SunSpec device's register layout, built once and filled per instant. */
export class SunspecImage {
  private readonly models: { layout: ModelLayout; source: ModelSource; sfs: Record<string, number> }[];

  /**
   * @param base where "SunS" sits: 40000 (usual), 0 or 50000
   * @param commonLength L of model 1: 66 per the definition; 65 mimics vendors that drop the pad register
   */
  constructor(readonly base: number, identity: SunspecIdentity & { deviceAddress: number }, sources: ModelSource[], private readonly commonLength = 66) {
    const common: ModelSource = {
      id: 1,
      values: () => ({ points: { Mn: identity.manufacturer, Md: identity.model, Opt: null, Vr: identity.version, SN: identity.serial, DA: identity.deviceAddress, Pad: null } }),
    };
    this.models = [common, ...sources].map((source) => {
      const layout = modelLayout(source.id);
      if (!layout) throw new Error(`SunSpec model ${source.id} has no shipped definition`);
      return { layout, source, sfs: source.ratings ? scaleFactorsFor(layout, source.ratings) : {} };
    });
  }

  /** The registers at an instant, from address `base`: "SunS", every model, then 0xFFFF 0. */
  words(points: Record<string, number>, nowMs: number): number[] {
    const out = [...SUNS_MARKER];
    for (const m of this.models) {
      const v = m.source.values(points, nowMs);
      let words = encodeModel(m.layout, { points: { ...v.points, ...m.sfs }, blocks: v.blocks });
      const length = m.layout.id === 1 ? this.commonLength : m.source.length;
      if (length !== undefined && length !== words.length - 2) {
        words = words.slice(0, length + 2);
        words[1] = length;
      }
      out.push(...words);
    }
    out.push(0xffff, 0);
    return out;
  }
}

const kw = (v: number | undefined) => (v === undefined ? null : v * 1000);
const num = (v: number | undefined) => (v === undefined ? null : v);

/**
 * The models of a three-phase PV inverter (103, 120, 160) fed by the canonical points of simulators/physics
 * PvInverter (power_ac_kw, energy_yield_kwh, mppt<n>_… ).
 */
export function inverterModels(opts: { ratedKw: number; peakKwp: number; mpptCount: number; phases?: 1 | 3 }): ModelSource[] {
  const ratedW = opts.ratedKw * 1000;
  const ratedA = ratedW / (3 * 220);
  const inverterModel = opts.phases === 1 ? 101 : 103;
  const inverter: ModelSource = {
    id: inverterModel,
    values: (p) => ({
      points: {
        A: num(p.current_a), AphA: num(p.current_l1_a), AphB: inverterModel === 103 ? num(p.current_l2_a) : null, AphC: inverterModel === 103 ? num(p.current_l3_a) : null,
        PPVphAB: inverterModel === 103 ? num(p.voltage_l12_v) : null, PPVphBC: inverterModel === 103 ? num(p.voltage_l23_v) : null, PPVphCA: inverterModel === 103 ? num(p.voltage_l31_v) : null,
        PhVphA: num(p.voltage_l1_v), PhVphB: inverterModel === 103 ? num(p.voltage_l2_v) : null, PhVphC: inverterModel === 103 ? num(p.voltage_l3_v) : null,
        W: kw(p.power_ac_kw), Hz: num(p.frequency_hz), VA: kw(p.apparent_power_kva), VAr: kw(p.reactive_power_kvar),
        PF: p.power_factor === undefined ? null : p.power_factor * 100,
        WH: kw(p.energy_yield_kwh),
        DCA: num(p.current_dc_a), DCV: num(p.voltage_dc_v), DCW: kw(p.power_dc_kw),
        TmpCab: num(p.temp_inverter_c), TmpSnk: num(p.temp_heatsink_c), TmpTrns: null, TmpOt: null,
        St: num(p.inverter_state), StVnd: null, Evt1: 0, Evt2: 0, EvtVnd1: null, EvtVnd2: null, EvtVnd3: null, EvtVnd4: null,
      },
    }),
    ratings: {
      points: {
        A: ratedA * 3.3, AphA: ratedA * 1.1, PPVphAB: 500, PhVphA: 300, W: ratedW * 1.1, Hz: 65, VA: ratedW * 1.1, VAr: ratedW * 0.6,
        PF: 100, WH: 4e9, DCA: (opts.peakKwp * 1000) / 400, DCV: 1000, DCW: opts.peakKwp * 1000 * 1.2, TmpCab: 150,
      },
    },
  };
  const nameplate: ModelSource = {
    id: 120,
    values: () => ({
      points: {
        DERTyp: 4, // PV
        WRtg: ratedW, VARtg: ratedW, VArRtgQ1: ratedW * 0.44, VArRtgQ2: ratedW * 0.44, VArRtgQ3: -ratedW * 0.44, VArRtgQ4: -ratedW * 0.44,
        ARtg: ratedA * 1.1, PFRtgQ1: 0.8, PFRtgQ2: 0.8, PFRtgQ3: -0.8, PFRtgQ4: -0.8,
        WHRtg: null, AhrRtg: null, MaxChaRte: null, MaxDisChaRte: null, Pad: null,
      },
    }),
    ratings: { points: { WRtg: ratedW * 1.1, VARtg: ratedW * 1.1, VArRtgQ1: ratedW, ARtg: ratedA * 2, PFRtgQ1: 1 } },
  };
  const mppt: ModelSource = {
    id: 160,
    values: (p, nowMs) => ({
      points: { Evt: 0, N: opts.mpptCount, TmsPer: null },
      blocks: Array.from({ length: opts.mpptCount }, (_, i) => {
        const n = i + 1;
        return {
          ID: n, IDStr: `MPPT ${n}`,
          DCA: num(p[`mppt${n}_current_dc_a`]), DCV: num(p[`mppt${n}_voltage_dc_v`]), DCW: kw(p[`mppt${n}_power_dc_kw`]),
          DCWH: kw(p[`mppt${n}_energy_dc_kwh`]), Tms: Math.floor(nowMs / 1000) % 0xfffffffe, Tmp: num(p[`mppt${n}_temp_module_c`]),
          DCSt: num(p.inverter_state), DCEvt: 0,
        };
      }),
    }),
    ratings: { points: {}, blocks: [{ DCA: (opts.peakKwp * 1000) / 400, DCV: 1000, DCW: opts.peakKwp * 1000, DCWH: 4e9 }] },
  };
  return [inverter, nameplate, mppt];
}

/** Models of a meteorological station with PV reference sensors (302, 303, 307). */
export function metStationModels(): ModelSource[] {
  return [
    {
      id: 302,
      values: (p) => ({ points: {}, blocks: [{ GHI: num(p.irradiance_ghi_w_m2), POAI: num(p.irradiance_w_m2), DFI: null, DNI: null, OTI: null }] }),
    },
    { id: 303, values: (p) => ({ points: {}, blocks: [{ TmpBOM: num(p.temp_module_c) }] }) },
    {
      id: 307,
      values: (p) => ({
        points: { TmpAmb: num(p.temp_c), RH: num(p.humidity_pct), Pres: null, WndSpd: null, WndDir: null, Rain: null, Snw: null, PPT: null, ElecFld: null, SurWet: null, SoilWet: null },
      }),
    },
  ];
}
