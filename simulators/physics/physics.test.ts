import { describe, expect, it } from 'vitest';
import { calendarDay, localTime } from './calendar.ts';
import { CST_OFFSET_MS, SHANGHAI_NORMAL_HIGH_C, SHANGHAI_NORMAL_LOW_C, Weather } from './climate.ts';
import { FaultyDevice } from './faults.ts';
import { ElectricityMeter, loadKindOfCategory } from './loads.ts';
import { IrradianceSensor, PvInverter, SONGJIANG } from './pv.ts';
import { sunPosition } from './solar.ts';
import { UtilityMeter, WeatherStation } from './utilities.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** local midnight in Shanghai of a date */
const cst = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h) - CST_OFFSET_MS;

/** Trapezoid integral of a point over [from, to) sampled every stepMs, in value·hours. */
function integrate(read: (ms: number) => number, from: number, to: number, stepMs: number): number {
  let sum = 0;
  let a = read(from);
  for (let t = from + stepMs; t <= to; t += stepMs) {
    const b = read(t);
    sum += ((a + b) / 2) * (stepMs / HOUR);
    a = b;
  }
  return sum;
}

describe('calendar', () => {
  it('knows statutory holidays and make-up working days', () => {
    const day = (y: number, m: number, d: number) => localTime(cst(y, m, d, 12), CST_OFFSET_MS).day;
    expect(day(2025, 10, 1).workday).toBe(false); // National Day
    expect(day(2025, 9, 28).workday).toBe(true); // Sunday worked in exchange
    expect(day(2026, 2, 17).holiday).toBe(true); // Spring Festival
    expect(day(2026, 3, 4).workday).toBe(true); // an ordinary Wednesday
    expect(day(2026, 3, 7).workday).toBe(false); // an ordinary Saturday
    expect(calendarDay(0).year).toBe(1970);
  });
});

describe('sun', () => {
  it('stands 7.6° from the zenith at Songjiang at solar noon of the June solstice', () => {
    // Solar noon at 121.23° E ≈ 12:00 + (120 − 121.23)·4 min − EoT(≈ −1.7 min) ≈ 11:57 CST.
    let best = 90;
    for (let t = cst(2026, 6, 21, 11); t < cst(2026, 6, 21, 13); t += 60_000) best = Math.min(best, sunPosition(t, SONGJIANG.latitudeDeg, SONGJIANG.longitudeDeg).zenithDeg);
    expect(best).toBeCloseTo(31.03 - 23.44, 0);
    const morning = sunPosition(cst(2026, 6, 21, 8), SONGJIANG.latitudeDeg, SONGJIANG.longitudeDeg);
    expect(morning.azimuthDeg).toBeGreaterThan(60);
    expect(morning.azimuthDeg).toBeLessThan(110);
  });
});

describe('weather', () => {
  it('has monthly mean temperatures near the Shanghai normals (CMA 1971–2000)', () => {
    const w = new Weather(11);
    for (let m = 1; m <= 12; m++) {
      let sum = 0, n = 0, highs = 0;
      for (let d = 1; d <= 28; d++) {
        let high = -99;
        for (let h = 0; h < 24; h++) {
          const t = w.airTempC(cst(2025, m, d, h));
          sum += t; n++; high = Math.max(high, t);
        }
        highs += high;
      }
      const normalMean = (SHANGHAI_NORMAL_HIGH_C[m - 1] + SHANGHAI_NORMAL_LOW_C[m - 1]) / 2;
      expect(Math.abs(sum / n - normalMean), `month ${m}`).toBeLessThan(2.5);
      expect(Math.abs(highs / 28 - SHANGHAI_NORMAL_HIGH_C[m - 1]), `month ${m} highs`).toBeLessThan(3);
    }
  });

  it('is deterministic: same seed, same weather; another seed, another weather', () => {
    const t = cst(2025, 7, 15, 14);
    expect(new Weather(5).airTempC(t)).toBe(new Weather(5).airTempC(t));
    expect(new WeatherStation('ws', 5).read(t)).toEqual(new WeatherStation('ws', 5).read(t));
    expect(new Weather(5).airTempC(t)).not.toBe(new Weather(6).airTempC(t));
  });
});

describe('electricity meter', () => {
  const meter = new ElectricityMeter({ id: 'b1-hvac', seed: 42, load: { kind: 'hvac', floorAreaM2: 12_000, headcount: 400 } });

  it('has a kWh counter that is the integral of its kW over a day', () => {
    const from = cst(2025, 7, 16, 0), to = from + DAY;
    const counted = meter.read(to).energy_import_kwh - meter.read(from).energy_import_kwh;
    const integrated = integrate((t) => meter.read(t).power_kw, from, to, 5_000);
    expect(counted).toBeGreaterThan(100);
    expect(Math.abs(counted - integrated) / counted).toBeLessThan(1e-4);
  });

  it('follows the working day, the hour and the season', () => {
    const lighting = new ElectricityMeter({ id: 'l', seed: 1, load: { kind: 'lighting', floorAreaM2: 10_000 } });
    const wedNoon = lighting.read(cst(2026, 3, 4, 10)).power_kw;
    const wedNight = lighting.read(cst(2026, 3, 4, 3)).power_kw;
    const satNoon = lighting.read(cst(2026, 3, 7, 10)).power_kw;
    expect(wedNoon).toBeGreaterThan(3 * wedNight);
    expect(wedNoon).toBeGreaterThan(3 * satNoon);
    const dayKwh = (m: ElectricityMeter, y: number, mo: number, d: number) => m.energyImportKwh(cst(y, mo, d) + DAY) - m.energyImportKwh(cst(y, mo, d));
    // HVAC on a July working day (cooling) uses far more than on an April one (mild); January heats.
    expect(dayKwh(meter, 2025, 7, 16)).toBeGreaterThan(2 * dayKwh(meter, 2025, 4, 16));
    expect(dayKwh(meter, 2025, 1, 15)).toBeGreaterThan(1.3 * dayKwh(meter, 2025, 4, 16));
  });

  it('gives a whole office building 70–130 kWh/(m²·a)', () => {
    const whole = new ElectricityMeter({ id: 'w', seed: 3, load: { kind: 'whole', floorAreaM2: 10_000 } });
    const year = whole.energyImportKwh(cst(2026, 1, 1)) - whole.energyImportKwh(cst(2025, 1, 1));
    expect(year / 10_000).toBeGreaterThan(70);
    expect(year / 10_000).toBeLessThan(130);
  });

  it('makes a main meter the sum of its sub-meters plus losses', () => {
    const subs = ['lighting', 'hvac', 'power', 'special'].map((k) => new ElectricityMeter({ id: k, seed: 9, load: { kind: loadKindOfCategory(`01${k === 'lighting' ? 'A' : k === 'hvac' ? 'B' : k === 'power' ? 'C' : 'D'}00`), floorAreaM2: 5000 } }));
    const main = new ElectricityMeter({ id: 'main', seed: 9, load: { sumOf: subs, lossFraction: 0.02 } });
    const t = cst(2025, 11, 3, 10);
    expect(main.powerKw(t)).toBeCloseTo(subs.reduce((s, m) => s + m.powerKw(t), 0) * 1.02, 6);
    const day = (m: ElectricityMeter) => m.energyImportKwh(t + DAY) - m.energyImportKwh(t);
    expect(day(main)).toBeCloseTo(subs.reduce((s, m) => s + day(m), 0) * 1.02, 6);
  });

  it('reads the same from a fresh instance with the same seed, in any order of calls', () => {
    const t = cst(2026, 5, 20, 9, );
    const a = new ElectricityMeter({ id: 'x', seed: 77, load: { kind: 'whole', floorAreaM2: 3000 } });
    const b = new ElectricityMeter({ id: 'x', seed: 77, load: { kind: 'whole', floorAreaM2: 3000 } });
    b.read(t + 90 * DAY);
    expect(b.read(t)).toEqual(a.read(t));
    expect(b.read(cst(2023, 6, 1)).energy_import_kwh).toBeGreaterThan(0); // before the counter origin
  });
});

describe('PV', () => {
  it('produces nothing at night and follows the sun by day', () => {
    const inv = new PvInverter({ id: 'inv', seed: 1, peakPowerKwp: 60 });
    for (const h of [0, 3, 20, 23]) expect(inv.read(cst(2025, 6, 21, h)).power_ac_kw).toBe(0);
    let peak = 0;
    for (let d = 1; d <= 30; d++) peak = Math.max(peak, inv.read(cst(2025, 5, d, 12)).power_ac_kw);
    expect(peak).toBeGreaterThan(0.6 * 60 / 1.15);
    expect(peak).toBeLessThanOrEqual(inv.acRatingKw);
  });

  it('yields 1 000–1 150 kWh/kWp a year at Songjiang (REFERENCE §11)', () => {
    for (const seed of [1, 2, 3]) {
      const inv = new PvInverter({ id: 'inv', seed, peakPowerKwp: 100 });
      const kwhPerKwp = (inv.acEnergyKwh(cst(2026, 1, 1)) - inv.acEnergyKwh(cst(2025, 1, 1))) / 100;
      expect(kwhPerKwp, `seed ${seed}`).toBeGreaterThan(1000);
      expect(kwhPerKwp, `seed ${seed}`).toBeLessThan(1150);
    }
  });

  it('has an AC yield counter that is the integral of AC power, and a daily yield from local midnight', () => {
    const inv = new PvInverter({ id: 'inv', seed: 4, peakPowerKwp: 60 });
    const from = cst(2025, 8, 10), to = from + DAY;
    const counted = inv.acEnergyKwh(to) - inv.acEnergyKwh(from);
    expect(Math.abs(counted - integrate((t) => inv.read(t).power_ac_kw, from, to, 30_000)) / counted).toBeLessThan(1e-4);
    expect(inv.read(to - 1000).energy_yield_today_kwh).toBeCloseTo(counted, 1);
  });

  it('clips at the AC rating and runs hotter modules at noon', () => {
    const inv = new PvInverter({ id: 'inv', seed: 1, peakPowerKwp: 60, acRatingKw: 30 });
    let clipped = 0;
    for (let d = 1; d <= 30; d++) if (inv.read(cst(2025, 5, d, 12)).inverter_state === 5) clipped++;
    expect(clipped).toBeGreaterThan(0);
    const sensor = new IrradianceSensor('irr', 1);
    const noon = sensor.read(cst(2025, 8, 1, 12));
    expect(noon.temp_module_c).toBeGreaterThan(noon.temp_c);
  });
});

describe('water and gas', () => {
  it('counts volume as the integral of flow', () => {
    for (const medium of ['water', 'gas'] as const) {
      const m = new UtilityMeter({ id: medium, seed: 2, medium, headcount: 300 });
      const from = cst(2025, 12, 3), to = from + DAY;
      const key = medium === 'water' ? 'water_m3' : 'gas_m3';
      const counted = m.read(to)[key] - m.read(from)[key];
      expect(counted).toBeGreaterThan(medium === 'water' ? 5 : 5);
      expect(Math.abs(counted - integrate((t) => m.read(t)[medium === 'water' ? 'flow_m3h' : 'gas_flow_m3h'], from, to, 60_000)) / counted).toBeLessThan(1e-4);
    }
  });
});

describe('value faults', () => {
  const base = new ElectricityMeter({ id: 'f', seed: 5, load: { kind: 'whole', floorAreaM2: 2000 } });
  const at = cst(2025, 9, 2, 10);

  it('resets, rolls over and replaces counters', () => {
    const reset = new FaultyDevice(base, [{ kind: 'counter_reset', at }]);
    expect(reset.read(at + HOUR).energy_import_kwh).toBeCloseTo(base.energyImportKwh(at + HOUR) - base.energyImportKwh(at), 6);
    expect(reset.read(at - HOUR).energy_import_kwh).toBe(base.energyImportKwh(at - HOUR));
    const roll = new FaultyDevice(base, [{ kind: 'rollover', at, modulus: 1e6 }]);
    expect(roll.read(at - 60_000).energy_import_kwh).toBeGreaterThan(1e6 - 100);
    expect(roll.read(at + 60_000).energy_import_kwh).toBeLessThan(100);
    const replaced = new FaultyDevice(base, [{ kind: 'replaced', at, initial: 3 }]);
    expect(replaced.read(at + HOUR).energy_import_kwh).toBeCloseTo(3 + base.energyImportKwh(at + HOUR) - base.energyImportKwh(at), 6);
  });

  it('freezes and spikes values', () => {
    const stuck = new FaultyDevice(base, [{ kind: 'stuck', from: at, to: at + HOUR }]);
    expect(stuck.read(at + 30 * 60_000)).toEqual(base.read(at));
    expect(stuck.read(at + 2 * HOUR)).toEqual(base.read(at + 2 * HOUR));
    const spike = new FaultyDevice(base, [{ kind: 'spike', from: at, to: at + 1000, factor: 100, points: ['power_kw'] }]);
    expect(spike.read(at).power_kw).toBeCloseTo(base.read(at).power_kw * 100, 6);
    expect(spike.read(at).energy_import_kwh).toBe(base.read(at).energy_import_kwh);
  });

  it('sets points to a value in a window (an inverter state forced to 7, fault)', () => {
    const set = new FaultyDevice(base, [{ kind: 'set', from: at, to: at + HOUR, points: ['power_kw'], value: 7 }]);
    expect(set.read(at).power_kw).toBe(7);
    expect(set.read(at + 2 * HOUR).power_kw).toBe(base.read(at + 2 * HOUR).power_kw);
    expect(set.read(at).energy_import_kwh).toBe(base.read(at).energy_import_kwh);
  });
});
