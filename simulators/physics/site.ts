/**
 * The physics of a whole site model: one SimulatedDevice per meter, inverter and sensor, chosen by what the
 * configuration says the device is (kind, medium, 分类分项 category, PV system) — never by vendor. Meters
 * with sub-meters (the `parent` tree) are the sum of their children plus distribution losses, so a building's
 * main meter agrees with its sub-items as real ones do (to within the losses). HVAC devices belong to the
 * HVAC physics (simulators/physics/hvac.ts) and are left out here.
 */
import { buildingYear } from '../../core/site/load.ts';
import type { Device, PvSystem, SiteModel } from '../../core/site/schema.ts';
import type { SimulatedDevice } from '../device.ts';
import { weatherFor } from './climate.ts';
import { FaultyDevice } from './faults.ts';
import { ElectricityMeter, loadKindOfCategory, type LoadKind, type PlantDraw } from './loads.ts';
import { hvacModelsForSite } from './hvac-site.ts';
import { IrradianceSensor, PvInverter, SONGJIANG, type ArrayGeometry } from './pv.ts';
import { childSeed, hashString } from './random.ts';
import { tzOffsetMs } from '../../core/time.ts';
import { UtilityMeter, WeatherStation } from './utilities.ts';

/** The default seed of a site: its id hashed, so a site simulates the same every time. */
export function siteSeed(site: SiteModel): number {
  return hashString(site.site.id);
}

/** Physics for every simulated device of the site, each wrapped so value faults can be injected. */
export function buildSitePhysics(site: SiteModel, seed = siteSeed(site)): Map<string, FaultyDevice> {
  // A fixed offset (the zone's in mid-January): the physics must not depend on when it runs.
  const offset = tzOffsetMs(Date.UTC(2026, 0, 15), site.site.timezone ?? 'Asia/Shanghai');
  const weather = weatherFor(seed, offset);
  const where = { latitudeDeg: site.site.latitude_deg ?? SONGJIANG.latitudeDeg, longitudeDeg: site.site.longitude_deg ?? SONGJIANG.longitudeDeg };
  const buildings = new Map(site.buildings.map((b) => [b.id, b]));
  // The latest headcount the site model gives (not "this year's": the physics must not depend on when it runs).
  const headcountOf = (buildingId: string): number => {
    const b = buildings.get(buildingId)!;
    const latest = [...(b.years ?? [])].filter((y) => y.headcount !== undefined).sort((x, y) => y.year - x.year)[0];
    return latest ? buildingYear(b, latest.year).headcount ?? Math.round(b.floor_area_m2 / 30) : Math.round(b.floor_area_m2 / 30);
  };
  const enabled = site.devices.filter((d) => d.enabled !== false);
  const children = new Map<string, Device[]>();
  for (const d of enabled) if (d.parent) children.set(d.parent, [...(children.get(d.parent) ?? []), d]);
  // Meters sharing a building, parent and load kind split the building's area (two lighting feeders = two halves).
  const siblings = (d: Device, kind: LoadKind) => enabled.filter((o) => o.kind === 'meter' && o.medium === d.medium && o.building === d.building && o.parent === d.parent && !children.has(o.id) && (o.medium !== 'electricity' || loadKindOfCategory(o.category) === kind)).length;
  const pvOf = new Map<string, PvSystem>();
  const sensorPv = new Map<string, PvSystem>();
  for (const pv of site.pv_systems ?? []) {
    pv.inverters.forEach((id) => pvOf.set(id, pv));
    if (pv.irradiance_sensor) sensorPv.set(pv.irradiance_sensor, pv);
  }
  const geometryOf = (pv?: PvSystem): Partial<ArrayGeometry> => ({ ...where, tiltDeg: pv?.tilt_deg ?? 22, azimuthDeg: pv?.azimuth_deg ?? 180 });

  // HVAC plants (BACnet/MQTT simulators) feed the first HVAC sub-meter (01B00…) of their building, which then
  // keeps only a third of its generic HVAC load (terminal and split units the plants do not cover).
  const plantsOf = new Map<string, PlantDraw[]>();
  for (const [id, model] of hvacModelsForSite(site, seed)) {
    const plant = enabled.find((d) => d.id === id);
    const meter = plant && enabled.find((m) => m.kind === 'meter' && m.medium === 'electricity' && m.building === plant.building && !children.has(m.id) && loadKindOfCategory(m.category) === 'hvac');
    if (!meter) continue;
    plantsOf.set(meter.id, [...(plantsOf.get(meter.id) ?? []), {
      electricalPowerKw: (ms) => model.electricalPowerKw(ms),
      energyKwh: (ms) => model.read(ms).energy_kwh ?? 0,
    }]);
  }

  const out = new Map<string, FaultyDevice>();
  const electric = new Map<string, ElectricityMeter>();
  const electricityMeter = (d: Device): ElectricityMeter => {
    let m = electric.get(d.id);
    if (m) return m;
    const kids = (children.get(d.id) ?? []).filter((c) => c.kind === 'meter' && c.medium === 'electricity');
    // behind a PT the primary is medium voltage: 100 V secondary line voltage × ratio (GB/T 156, 10 kV feeders)
    const phaseVoltageV = (d.pt_ratio ?? 1) > 1 ? (100 * (d.pt_ratio ?? 1)) / Math.sqrt(3) : 220;
    if (kids.length > 0) {
      m = new ElectricityMeter({ id: d.id, seed, phaseVoltageV, load: { sumOf: kids.map(electricityMeter) } });
    } else {
      const kind = loadKindOfCategory(d.category);
      const b = buildings.get(d.building)!;
      const share = 1 / Math.max(1, siblings(d, kind));
      const plants = plantsOf.get(d.id);
      m = new ElectricityMeter({ id: d.id, seed, phaseVoltageV, weather, plants, genericShare: plants ? 1 / 3 : 1, load: { kind, floorAreaM2: b.floor_area_m2 * share, headcount: Math.round(headcountOf(d.building) * share) } });
    }
    electric.set(d.id, m);
    return m;
  };

  for (const d of enabled) {
    let device: SimulatedDevice | undefined;
    if (d.kind === 'meter' && d.medium === 'electricity') device = electricityMeter(d);
    else if (d.kind === 'meter' && (d.medium === 'water' || d.medium === 'gas')) {
      const share = 1 / Math.max(1, siblings(d, 'whole'));
      device = new UtilityMeter({ id: d.id, seed, medium: d.medium, headcount: Math.round(headcountOf(d.building) * share), weather });
    } else if (d.kind === 'inverter') {
      const pv = pvOf.get(d.id);
      const kwp = pv ? pv.peak_power_kwp / pv.inverters.length : 30;
      device = new PvInverter({ id: d.id, seed, peakPowerKwp: kwp, tempCoefficientPerC: pv?.temp_coefficient_per_c, geometry: geometryOf(pv), weather, utcOffsetMs: offset });
    } else if (d.kind === 'sensor') {
      // One sensor physics serves every sensor template: plane-of-array irradiance, module and air temperature,
      // humidity. A PV system's sensor sits in that array's plane.
      const irradiance = new IrradianceSensor(d.id, seed, geometryOf(sensorPv.get(d.id)), weather);
      const station = new WeatherStation(d.id, childSeed(seed, 'station'), weather);
      device = { id: d.id, read: (t) => ({ ...irradiance.read(t), ...station.read(t) }) };
    }
    if (device) out.set(d.id, new FaultyDevice(device));
  }
  return out;
}
