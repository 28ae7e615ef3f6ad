/**
 * Data of `npm run bench:export`: the daily rollups the collector writes (each meter's energy_1d, each building's
 * energy_building_1d totals of its root meters) for two years, for the demo site's meters and inverters, and a
 * generated district of N buildings (a main meter with two sub-item meters, a water and a gas meter each).
 */
import { checkSite } from '../core/site/load.ts';
import type { Medium, SiteModel } from '../core/site/schema.ts';
import { ESTIMATED_FIELD, INTERVALS_ESTIMATED_FIELD, INTERVALS_FIELD, MEASUREMENT, MEDIUM_TOTAL_CATEGORY, QUANTITY_FIELD } from '../core/measurements.ts';
import { zonedTime } from '../core/time.ts';
import type { Storage, StoredPoint } from '../storage/port.ts';

/** A district of `n` buildings of 1 000–10 000 m², every building with five meters on one gateway. */
export function districtSite(n: number): SiteModel {
  const buildings = [], devices = [];
  for (let i = 0; i < n; i++) {
    const b = `b${i}`;
    buildings.push({ id: b, name: `机关大楼${i + 1}号`, floor_area_m2: 1000 + ((i * 7919) % 9000), years: [{ year: 2024, headcount: 40 + (i % 200) }, { year: 2025, headcount: 41 + (i % 200) }] });
    const meter = (id: string, medium: Medium, category: string, parent?: string) => ({
      id: `${b}-${id}`, name: `${b} ${id}`, kind: 'meter', medium, category, building: b, gateway: 'gw1', template: 'acrel-dtsd1352',
      address: { protocol: 'modbus-tcp', host: '127.0.0.1', port: 15000, unit_id: 1 }, ...(parent ? { parent: `${b}-${parent}` } : {}),
    });
    devices.push(meter('main', 'electricity', '01000'), meter('lighting', 'electricity', '01A00', 'main'), meter('hvac', 'electricity', '01B00', 'main'),
      meter('water', 'water', '02000'), meter('gas', 'gas', '03000'));
  }
  return checkSite({ version: 1, site: { id: 'district', name: '区机关事务管理局（基准测试）', timezone: 'Asia/Shanghai' }, buildings, gateways: [{ id: 'gw1' }], devices });
}

/** Daily quantity of a meter on day d: a base by medium and id, with a weekly and a seasonal swing. */
function daily(medium: Medium, seed: number, d: number): number {
  const base = medium === 'electricity' ? 300 + (seed % 900) : medium === 'water' ? 5 + (seed % 20) : 8 + (seed % 30);
  const week = d % 7 >= 5 ? 0.4 : 1;
  const season = 1 + 0.3 * Math.cos((2 * Math.PI * (d - 200)) / 365);
  return Math.round(base * week * season * 1000) / 1000;
}

/**
 * Write two years (2024, 2025) of daily meter rows, building totals and site totals of every enabled meter and
 * inverter of the site, in requests of 20 000 rows; returns how many rows were written.
 */
export async function fillYears(storage: Storage, site: SiteModel): Promise<number> {
  const tz = site.site.timezone ?? 'Asia/Shanghai';
  const start = zonedTime(tz, 2024, 1, 1), end = zonedTime(tz, 2026, 1, 1);
  const days = Math.round((end - start) / 86_400_000);
  const meters = site.devices.filter((d) => (d.kind === 'meter' || d.kind === 'inverter') && d.enabled !== false);
  const roots = new Map<string, number>();
  for (const m of meters) if (m.kind === 'meter' && m.parent === undefined) roots.set(`${m.building}|${m.medium}`, (roots.get(`${m.building}|${m.medium}`) ?? 0) + 1);
  let batch: StoredPoint[] = [], written = 0;
  const flush = async () => { if (batch.length > 0) { await storage.write(batch); written += batch.length; batch = []; } };
  for (let d = 0; d < days; d++) {
    const time = start + d * 86_400_000; // the site's zone keeps no daylight saving time (Shanghai)
    const totals = new Map<string, { medium: Medium; building: string; value: number }>();
    meters.forEach((m, i) => {
      const medium: Medium = m.kind === 'inverter' ? 'electricity' : m.medium as Medium;
      const value = daily(medium, i * 37 + 11, d);
      batch.push({
        measurement: MEASUREMENT.energy1d, time,
        tags: { site: site.site.id, building: m.building, meter: m.id, medium, category: m.category ?? MEDIUM_TOTAL_CATEGORY[medium] },
        fields: { [QUANTITY_FIELD[medium]]: value, estimated: 0, [ESTIMATED_FIELD[medium]]: 0, [INTERVALS_FIELD]: 96, [INTERVALS_ESTIMATED_FIELD]: 0 },
      });
      if (m.kind !== 'meter' || m.parent !== undefined) return;
      const key = `${m.building}|${medium}`;
      const t = totals.get(key) ?? { medium, building: m.building, value: 0 };
      t.value += value;
      totals.set(key, t);
    });
    // the site totals the collector writes beside them (decision 0407), one partition
    const siteSums = new Map<Medium, { value: number; intervals: number }>();
    for (const t of totals.values()) {
      const s = siteSums.get(t.medium) ?? { value: 0, intervals: 0 };
      s.value += t.value;
      s.intervals += 96 * (roots.get(`${t.building}|${t.medium}`) ?? 1);
      siteSums.set(t.medium, s);
    }
    for (const [medium, s] of siteSums) {
      batch.push({
        measurement: MEASUREMENT.siteEnergy1d, time, tags: { site: site.site.id, medium, category: MEDIUM_TOTAL_CATEGORY[medium], partition: '0/1' },
        fields: { [QUANTITY_FIELD[medium]]: Math.round(s.value * 1000) / 1000, estimated: 0, [ESTIMATED_FIELD[medium]]: 0, [INTERVALS_FIELD]: s.intervals, [INTERVALS_ESTIMATED_FIELD]: 0 },
      });
    }
    for (const t of totals.values()) {
      batch.push({
        measurement: MEASUREMENT.buildingEnergy1d, time,
        tags: { site: site.site.id, building: t.building, medium: t.medium, category: MEDIUM_TOTAL_CATEGORY[t.medium] },
        fields: { [QUANTITY_FIELD[t.medium]]: Math.round(t.value * 1000) / 1000, estimated: 0, [ESTIMATED_FIELD[t.medium]]: 0, [INTERVALS_FIELD]: 96 * (roots.get(`${t.building}|${t.medium}`) ?? 1), [INTERVALS_ESTIMATED_FIELD]: 0 },
      });
    }
    if (batch.length >= 20_000) await flush();
  }
  // the site totals are complete from the first day on
  batch.push({ measurement: MEASUREMENT.siteEnergySince, time: start, tags: { site: site.site.id, partition: '0/1' }, fields: { written_at: start } });
  await flush();
  await storage.flush();
  return written;
}
