/**
 * HVAC plant physics for the simulators: an air-handling unit, a chilled-water plant, a VRF outdoor unit, a
 * fan-coil zone and an air-source heat-pump hot-water system. Each follows the site's outdoor temperature
 * (simulators/physics/climate.ts), the office occupancy (occupancy.ts, calendar.ts) and its set-points, which a
 * BACnet WriteProperty may change. Values are canonical points (°C, kW, kWh, %, m³/h …).
 *
 * Thermal state (tank and zone temperatures, counters) is integrated in fixed one-minute steps from the model's
 * start instant, so a model read at the same instants gives the same values, and every kWh counter is the
 * integral of the power it reports. `electricalPowerKw(t)` is what the building's HVAC sub-meter should see.
 *
 * Sizing rules of thumb (GB 50736-2012 design practice for Shanghai offices) [approximate]: cooling load about
 * 100 W/m² of conditioned area at design conditions (34.4 °C outdoor), plant COP 4.5–5.5 at part load, fan power
 * about 1 W/m², chilled water 7/12 °C, condenser water 32/37 °C.
 */
import type { SimulatedDevice } from '../device.ts';
import { localTime } from './calendar.ts';
import { CST_OFFSET_MS, weatherFor, type Weather } from './climate.ts';
import { occupancy } from './occupancy.ts';

const STEP_MS = 60_000;
const WATER_KJ_PER_KG_K = 4.186;

/** An HVAC model: values by canonical point, writable set-points, and its electrical draw. */
export interface HvacModel extends SimulatedDevice {
  /** current set-points by point name (writable through the protocol servers) */
  readonly setpoints: Record<string, number>;
  /** change a set-point (a protocol write); unknown names are ignored */
  setSetpoint(point: string, value: number): void;
  /** every priority of a command point relinquished: the controller's own programme decides again (optional) */
  release?(point: string): void;
  /** electrical power at an instant, kW: what the HVAC sub-meter measures for this plant */
  electricalPowerKw(nowMs: number): number;
}

/** Common options of every HVAC model. */
export interface HvacOptions {
  id: string;
  /** site weather seed (share the one the fleet uses so every device sees the same sky) */
  weatherSeed?: number;
  /** conditioned floor area served, m² (sizes the plant) */
  servedAreaM2?: number;
  /** instant from which state is integrated; defaults to the start of the current day (UTC) */
  startMs?: number;
  utcOffsetMs?: number;
}

/** Building schedule: plant runs 07:30–18:30 on working days (pre-cooling before the 08:30 start). */
function plantScheduled(nowMs: number, utcOffsetMs: number): { on: boolean; occupancy: number } {
  const { day, hour } = localTime(nowMs, utcOffsetMs);
  const on = day.workday && hour >= 7.5 && hour < 18.5;
  return { on, occupancy: occupancy(hour, day.workday) };
}

/** Fraction of design cooling (>0) or heating (<0) demand from the outdoor temperature and occupancy. */
function demandFraction(outdoorC: number, occ: number): number {
  const internal = 0.25 * occ; // people, lights and equipment
  if (outdoorC >= 22) return Math.min(1, (outdoorC - 22) / (34.4 - 22) * 0.75 + internal);
  if (outdoorC <= 14) return -Math.min(1, (14 - outdoorC) / (14 - -2.2) * 0.8 + 0.05);
  return internal > 0.2 ? 0.1 : 0;
}

/** Fixed-step integration of a model's state from its start instant. */
abstract class Stepped<S extends object> implements HvacModel {
  readonly setpoints: Record<string, number>;
  protected readonly weather: Weather;
  protected readonly utcOffsetMs: number;
  private cursorMs: number;
  private state: S;

  protected constructor(readonly id: string, opts: HvacOptions, setpoints: Record<string, number>, initial: S) {
    this.setpoints = { ...setpoints };
    this.utcOffsetMs = opts.utcOffsetMs ?? CST_OFFSET_MS;
    this.weather = weatherFor(opts.weatherSeed ?? 2026, this.utcOffsetMs);
    this.cursorMs = opts.startMs ?? Math.floor(Date.now() / 86_400_000) * 86_400_000;
    this.state = initial;
  }

  setSetpoint(point: string, value: number): void {
    if (point in this.setpoints && Number.isFinite(value)) this.setpoints[point] = value;
  }

  read(nowMs: number): Record<string, number> {
    return this.outputs(nowMs, this.advance(nowMs));
  }

  electricalPowerKw(nowMs: number): number {
    return this.outputs(nowMs, this.advance(nowMs)).power_kw ?? 0;
  }

  /** Integrate up to `nowMs` (never backwards: an earlier instant reads the latest state). */
  private advance(nowMs: number): S {
    while (this.cursorMs + STEP_MS <= nowMs) {
      this.state = this.step(this.cursorMs, STEP_MS / 3_600_000, this.state);
      this.cursorMs += STEP_MS;
    }
    return this.state;
  }

  /** One step of `hours` starting at `t`. */
  protected abstract step(t: number, hours: number, s: S): S;
  /** Points at `t` given the integrated state. */
  protected abstract outputs(t: number, s: S): Record<string, number>;
}

const AHU_RUN_COMMAND = 'run_command_on'; // the start/stop command (binary-output:1 of hvac-ahu): 1 start, 0 stop
type AhuState = { energyKwh: number; runHours: number; satC: number };

/** 组合式空调箱: supply fan with VFD, chilled/hot-water coil valves, outdoor-air damper; a start/stop command. */
export class AirHandlingUnit extends Stepped<AhuState> {
  private readonly ratedFanKw: number;
  /** the commanded state; undefined: the controller's time programme (07:30–18:30 on working days) */
  private command: boolean | undefined;
  constructor(opts: HvacOptions) {
    super(opts.id, opts, { supply_air_temp_setpoint_c: 16 }, { energyKwh: 48_210, runHours: 11_420, satC: Number.NaN });
    this.ratedFanKw = Math.max(2.2, (opts.servedAreaM2 ?? 8000) * 1.0 / 1000);
  }

  /** a start (1) or stop (0) command overrides the time programme until every priority is relinquished */
  override setSetpoint(point: string, value: number): void {
    if (point !== AHU_RUN_COMMAND) super.setSetpoint(point, value);
    else if (Number.isFinite(value)) this.command = value >= 0.5;
  }
  release(point: string): void { if (point === AHU_RUN_COMMAND) this.command = undefined; }

  private state_(t: number) {
    const outdoor = this.weather.airTempC(t);
    const { on: scheduled, occupancy: occ } = plantScheduled(t, this.utcOffsetMs);
    const on = this.command ?? scheduled;
    const raw = demandFraction(outdoor, occ);
    const heating = raw < 0;
    // A set-back (supply air warmer than the 16 °C design in cooling, cooler in heating) lets the zones float: about
    // 8 % less load per K (as the VRF's set-point below), so the fan slows down and its power falls with the cube of speed.
    const offDesign = this.setpoints.supply_air_temp_setpoint_c - 16;
    const setBack = Math.max(0.3, 1 - 0.08 * Math.max(0, heating ? -offDesign : offDesign));
    const demand = raw * setBack;
    const speed = on ? Math.min(100, 45 + 55 * Math.abs(demand)) : 0;
    // Heating season: the controller resets the supply air upward (typically +12 K); stopped: outdoor and room air mix.
    const sat = on ? this.setpoints.supply_air_temp_setpoint_c + (heating ? 12 : 0) : outdoor + 0.3 * (24 - outdoor);
    const power = on ? this.ratedFanKw * (speed / 100) ** 3 + 0.15 : 0.05;
    return { outdoor, on, demand, speed, sat, power, heating, occ };
  }

  protected step(t: number, hours: number, s: AhuState): AhuState {
    const x = this.state_(t);
    // Supply air follows its target with a first-order lag: 3 min with the coil in control, 30 min coasting when stopped.
    const satC = Number.isNaN(s.satC) ? x.sat : x.sat + (s.satC - x.sat) * Math.exp(-hours / (x.on ? 0.05 : 0.5));
    return { energyKwh: s.energyKwh + x.power * hours, runHours: s.runHours + (x.on ? hours : 0), satC };
  }

  protected outputs(t: number, s: AhuState): Record<string, number> {
    const x = this.state_(t);
    const returnAir = x.on ? 24 + (x.heating ? -3 : 2) * Math.abs(x.demand) : x.outdoor + 0.5 * (24 - x.outdoor);
    return {
      outdoor_air_temp_c: round(x.outdoor, 2),
      supply_air_temp_c: round(Number.isNaN(s.satC) ? x.sat : s.satC, 2),
      return_air_temp_c: round(returnAir, 2),
      supply_air_temp_setpoint_c: this.setpoints.supply_air_temp_setpoint_c,
      [AHU_RUN_COMMAND]: x.on ? 1 : 0,
      supply_fan_on: x.on ? 1 : 0,
      supply_fan_speed_pct: round(x.speed, 1),
      cooling_valve_pct: round(x.on && !x.heating ? Math.min(100, 100 * x.demand) : 0, 1),
      heating_valve_pct: round(x.on && x.heating ? Math.min(100, 100 * -x.demand) : 0, 1),
      outdoor_air_damper_pct: round(x.on ? 20 + 10 * x.occ : 0, 1),
      filter_dp_pa: round(x.on ? 80 + 1.2 * x.speed : 0, 1),
      power_kw: round(x.power, 3),
      energy_kwh: round(s.energyKwh, 3),
      run_h: round(s.runHours, 2),
    };
  }
}

/** 冷水机组: chilled-water plant (chillers, chilled- and condenser-water pumps, towers) of a building. */
export class ChillerPlant extends Stepped<{ energyKwh: number; coolingKwh: number }> {
  private readonly designKw: number;
  constructor(opts: HvacOptions) {
    super(opts.id, opts, { chw_supply_temp_setpoint_c: 7 }, { energyKwh: 1_204_400, coolingKwh: 5_630_000 });
    this.designKw = (opts.servedAreaM2 ?? 15_000) * 0.1; // 100 W/m² design cooling load
  }

  private state_(t: number) {
    const outdoor = this.weather.airTempC(t);
    const { on, occupancy: occ } = plantScheduled(t, this.utcOffsetMs);
    const demand = demandFraction(outdoor, occ);
    const running = on && demand > 0.05;
    const setpoint = this.setpoints.chw_supply_temp_setpoint_c;
    // A chilled-water reset above the 7 °C design (a demand-limiting set-back) lowers the coils' capacity, about
    // 5 % per K: the plant delivers less cooling and the rooms drift warmer [approximate].
    const loadKw = running ? this.designKw * demand * Math.max(0.5, 1 - 0.05 * Math.max(0, setpoint - 7)) : 0;
    // COP falls with the lift: +3 % per K warmer chilled water, -2.5 % per K warmer condenser water.
    const cwSupply = running ? Math.max(20, Math.min(32, outdoor - 2)) : outdoor;
    const cop = running ? Math.max(2.5, 5.4 * (1 + 0.03 * (setpoint - 7)) * (1 - 0.025 * (cwSupply - 30)) * (0.7 + 0.3 * Math.min(1, demand / 0.6))) : 0;
    const pumpsKw = running ? this.designKw * 0.025 : 0;
    const power = running ? loadKw / cop + pumpsKw : 0.3;
    // Constant primary flow: 5 K design ΔT at design load (ρc ≈ 1.163 kWh/(m³·K)).
    const flow = running ? this.designKw / (5 * 1.163) : 0;
    const dT = running && flow > 0 ? loadKw / (flow * 1.163) : 0;
    return { outdoor, running, loadKw, cop, power, flow, dT, setpoint, cwSupply };
  }

  protected step(t: number, hours: number, s: { energyKwh: number; coolingKwh: number }) {
    const x = this.state_(t);
    return { energyKwh: s.energyKwh + x.power * hours, coolingKwh: s.coolingKwh + x.loadKw * hours };
  }

  protected outputs(t: number, s: { energyKwh: number; coolingKwh: number }): Record<string, number> {
    const x = this.state_(t);
    const idle = 0.5 * (x.outdoor + 24) * 0.5 + 6;
    return {
      outdoor_air_temp_c: round(x.outdoor, 2),
      chiller_on: x.running ? 1 : 0,
      chw_supply_temp_c: round(x.running ? x.setpoint + 0.2 : idle, 2),
      chw_return_temp_c: round(x.running ? x.setpoint + 0.2 + x.dT : idle, 2),
      chw_supply_temp_setpoint_c: x.setpoint,
      cw_supply_temp_c: round(x.cwSupply, 2),
      cw_return_temp_c: round(x.running ? x.cwSupply + 5 * (x.loadKw / this.designKw) * 1.2 : x.cwSupply, 2),
      chw_flow_m3h: round(x.flow, 1),
      load_pct: round(x.running ? 100 * x.loadKw / this.designKw : 0, 1),
      cooling_kw: round(x.loadKw, 2),
      power_kw: round(x.power, 3),
      energy_kwh: round(s.energyKwh, 3),
      cooling_kwh: round(s.coolingKwh, 3),
    };
  }
}

/** VRF outdoor unit (多联机室外机): inverter heat pump, cooling in summer and heating in winter. */
export class VrfOutdoorUnit extends Stepped<{ energyKwh: number }> {
  private readonly ratedKw: number;
  constructor(opts: HvacOptions & { ratedCapacityKw?: number; indoorUnits?: number }) {
    super(opts.id, opts, { indoor_temp_setpoint_c: 26 }, { energyKwh: 23_870 });
    this.ratedKw = opts.ratedCapacityKw ?? 28; // 10 HP module
    this.indoorUnits = opts.indoorUnits ?? 8;
  }
  private readonly indoorUnits: number;

  private state_(t: number) {
    const outdoor = this.weather.airTempC(t);
    const { on, occupancy: occ } = plantScheduled(t, this.utcOffsetMs);
    const demand = demandFraction(outdoor, occ);
    const heating = demand < 0;
    const running = on && Math.abs(demand) > 0.05;
    // The set-point shifts the load by ~8 % per K (warmer cooling set-point, less load).
    const sp = this.setpoints.indoor_temp_setpoint_c;
    const shift = heating ? 1 + 0.08 * (sp - 20) : 1 - 0.08 * (sp - 26);
    const capacityPct = running ? Math.max(15, Math.min(100, 100 * Math.abs(demand) * shift)) : 0;
    // COP of an air-source unit: about 3.6 at 35 °C cooling / 7 °C heating, falling away from mild weather.
    const cop = heating ? Math.max(1.8, 3.4 + 0.06 * (outdoor - 7)) : Math.max(2.2, 3.6 - 0.07 * (outdoor - 35));
    const power = running ? this.ratedKw * capacityPct / 100 / cop : 0.04;
    return { outdoor, running, heating, capacityPct, power, sp, occ };
  }

  protected step(t: number, hours: number, s: { energyKwh: number }) {
    return { energyKwh: s.energyKwh + this.state_(t).power * hours };
  }

  protected outputs(t: number, s: { energyKwh: number }): Record<string, number> {
    const x = this.state_(t);
    return {
      outdoor_air_temp_c: round(x.outdoor, 2),
      unit_on: x.running ? 1 : 0,
      operating_mode: x.running ? (x.heating ? 2 : 1) : 0,
      capacity_pct: round(x.capacityPct, 1),
      compressor_hz: round(x.running ? 20 + 0.9 * x.capacityPct : 0, 1),
      indoor_units_on_count: x.running ? Math.max(1, Math.round(this.indoorUnits * Math.min(1, x.occ + 0.1))) : 0,
      indoor_temp_setpoint_c: x.sp,
      power_kw: round(x.power, 3),
      energy_kwh: round(s.energyKwh, 3),
    };
  }
}

/** 风机盘管 zone: a fan-coil unit holding one office's temperature. */
export class FanCoilZone extends Stepped<{ zoneC: number; energyKwh: number }> {
  constructor(opts: HvacOptions) {
    super(opts.id, opts, { zone_temp_setpoint_c: 26 }, { zoneC: 24, energyKwh: 1_830 });
  }

  private control(t: number, zoneC: number) {
    const outdoor = this.weather.airTempC(t);
    const { on } = plantScheduled(t, this.utcOffsetMs);
    const sp = this.setpoints.zone_temp_setpoint_c;
    const error = zoneC - sp; // > 0 too warm
    const cooling = outdoor >= 18;
    const need = cooling ? error : -error;
    const speed = !on || need <= 0.3 ? 0 : need < 1 ? 1 : need < 2 ? 2 : 3;
    const valve = on ? Math.max(0, Math.min(100, 50 * need)) : 0;
    const power = [0.003, 0.035, 0.05, 0.068][speed];
    return { outdoor, on, sp, speed, valve, power, cooling };
  }

  protected step(t: number, hours: number, s: { zoneC: number; energyKwh: number }) {
    const c = this.control(t, s.zoneC);
    const { occupancy: occ } = plantScheduled(t, this.utcOffsetMs);
    // First-order room: 3 h time constant to outdoor, internal gains +1.5 K at full occupancy, coil pulls 2.5 K/h per stage.
    const drift = (c.outdoor + 1.5 * occ + 2 - s.zoneC) / 3;
    const coil = c.speed * 2.5 * (c.cooling ? -1 : 1) * (c.valve / 100);
    return { zoneC: s.zoneC + (drift + coil) * hours, energyKwh: s.energyKwh + c.power * hours };
  }

  protected outputs(t: number, s: { zoneC: number; energyKwh: number }): Record<string, number> {
    const c = this.control(t, s.zoneC);
    return {
      zone_temp_c: round(s.zoneC, 2),
      zone_temp_setpoint_c: c.sp,
      fan_on: c.speed > 0 ? 1 : 0,
      fan_speed_state: c.speed,
      valve_pct: round(c.valve, 1),
      power_kw: round(c.power, 4),
      energy_kwh: round(s.energyKwh, 4),
    };
  }
}

/** 热水系统: air-source heat-pump water heater with a storage tank (the retrofit of an energy-performance contract). */
export class HotWaterSystem extends Stepped<{ tankC: number; heating: boolean; energyKwh: number; heatKwh: number; waterM3: number }> {
  private readonly tankM3: number;
  private readonly heatPumpKw: number;
  private readonly dailyDrawM3: number;
  constructor(opts: HvacOptions & { tankM3?: number; heatPumpKw?: number; dailyDrawM3?: number }) {
    super(opts.id, opts, { tank_temp_setpoint_c: 55 }, { tankC: 52, heating: false, energyKwh: 61_550, heatKwh: 172_300, waterM3: 4_120 });
    this.tankM3 = opts.tankM3 ?? 3;
    this.heatPumpKw = opts.heatPumpKw ?? 25; // heating capacity at 20 °C outdoor
    this.dailyDrawM3 = opts.dailyDrawM3 ?? 3;
  }

  /** Cold-water supply temperature follows the season (Shanghai tap water ≈ 7 °C in February, 28 °C in August). */
  private inletC(t: number): number {
    const { day } = localTime(t, this.utcOffsetMs);
    return 17.5 - 10.5 * Math.cos(2 * Math.PI * (day.dayOfYear - 45) / 365);
  }

  private drawM3h(t: number): number {
    const { day, hour } = localTime(t, this.utcOffsetMs);
    // Kitchen at lunch, washrooms through the day: shape integrates to ≈ 1 day of draw on a working day.
    const bump = (c: number, w: number) => Math.exp(-(((hour - c) / w) ** 2));
    const shape = 0.45 * bump(11.2, 0.8) / (0.8 * Math.sqrt(Math.PI)) + 0.55 * occupancy(hour, day.workday) / 9.5;
    return this.dailyDrawM3 * shape * (day.workday ? 1 : 0.15);
  }

  private cop(outdoorC: number, tankC: number): number {
    return Math.max(1.6, Math.min(5, 3.2 + 0.07 * (outdoorC - 15) - 0.04 * (tankC - 50)));
  }

  protected step(t: number, hours: number, s: { tankC: number; heating: boolean; energyKwh: number; heatKwh: number; waterM3: number }) {
    const outdoor = this.weather.airTempC(t);
    const sp = this.setpoints.tank_temp_setpoint_c;
    // Hysteresis control: start 5 K below set-point, stop at set-point.
    const heating = s.heating ? s.tankC < sp : s.tankC < sp - 5;
    const capacity = heating ? this.heatPumpKw * Math.max(0.5, Math.min(1.2, 0.8 + 0.012 * (outdoor - 5))) : 0;
    const draw = this.drawM3h(t) * hours;
    const massKg = this.tankM3 * 1000;
    const lossKw = 0.012 * (s.tankC - 20); // insulated tank, ≈ 0.4 kW at 55 °C
    const heatKwh = capacity * hours;
    const mixC = s.tankC + (draw * 1000 * (this.inletC(t) - s.tankC)) / massKg;
    const tankC = mixC + (heatKwh - lossKw * hours) * 3600 / (massKg * WATER_KJ_PER_KG_K);
    const power = heating ? capacity / this.cop(outdoor, s.tankC) + 0.2 : 0.02;
    return { tankC, heating, energyKwh: s.energyKwh + power * hours, heatKwh: s.heatKwh + heatKwh, waterM3: s.waterM3 + draw };
  }

  protected outputs(t: number, s: { tankC: number; heating: boolean; energyKwh: number; heatKwh: number; waterM3: number }): Record<string, number> {
    const outdoor = this.weather.airTempC(t);
    const capacity = s.heating ? this.heatPumpKw * Math.max(0.5, Math.min(1.2, 0.8 + 0.012 * (outdoor - 5))) : 0;
    const power = s.heating ? capacity / this.cop(outdoor, s.tankC) + 0.2 : 0.02;
    return {
      outdoor_air_temp_c: round(outdoor, 2),
      tank_temp_c: round(s.tankC, 2),
      tank_temp_setpoint_c: this.setpoints.tank_temp_setpoint_c,
      inlet_water_temp_c: round(this.inletC(t), 2),
      heat_pump_on: s.heating ? 1 : 0,
      hot_water_flow_m3h: round(this.drawM3h(t), 4),
      heat_output_kw: round(capacity, 3),
      power_kw: round(power, 3),
      energy_kwh: round(s.energyKwh, 3),
      heat_kwh: round(s.heatKwh, 3),
      hot_water_m3: round(s.waterM3, 4),
    };
  }
}

/** Physics model names usable in a template's `physics` field. */
export const HVAC_MODELS = {
  'air-handling-unit': (o: HvacOptions) => new AirHandlingUnit(o),
  'chiller-plant': (o: HvacOptions) => new ChillerPlant(o),
  'vrf-outdoor-unit': (o: HvacOptions) => new VrfOutdoorUnit(o),
  'fan-coil-zone': (o: HvacOptions) => new FanCoilZone(o),
  'hot-water-system': (o: HvacOptions) => new HotWaterSystem(o),
} as const;
export type HvacModelName = keyof typeof HVAC_MODELS;

/** Build a model by name; throws for an unknown name (listing the known ones). */
export function createHvacModel(name: string, opts: HvacOptions): HvacModel {
  const make = (HVAC_MODELS as Record<string, ((o: HvacOptions) => HvacModel) | undefined>)[name];
  if (!make) throw new Error(`unknown HVAC physics model '${name}' (known: ${Object.keys(HVAC_MODELS).join(', ')})`);
  return make(opts);
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
