/**
 * Dated reference data (config/reference/*.yaml): standard-coal coefficients, building energy limits, grid CO₂
 * factors, tariffs and prices. Validated at start-up like the site model, so a typo is one ConfigError line.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { ConfigError, readYaml, validate } from '../core/config/yaml-file.ts';

const Obj = <P extends Parameters<typeof Type.Object>[0]>(props: P) => Type.Object(props, { additionalProperties: false });
const DateStr = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const Clock = Type.String({ pattern: '^([01]\\d|2[0-4]):[0-5]\\d$' });
const MediumKey = Type.Union([Type.Literal('electricity'), Type.Literal('water'), Type.Literal('gas'), Type.Literal('heat'), Type.Literal('cooling')]);

export const StandardCoalFile = Obj({
  editions: Type.Array(Obj({
    standard: Type.String(),
    effective_from: DateStr,
    unconfirmed: Type.Optional(Type.Boolean()),
    source: Type.String(),
    media: Type.Record(Type.String(), Obj({ kgce_per_unit: Type.Number({ minimum: 0 }), unit: Type.String(), note: Type.Optional(Type.String()) })),
    fuels_kgce_per_kg: Type.Optional(Type.Record(Type.String(), Type.Number({ minimum: 0 }))),
    density_kg_per_l: Type.Optional(Type.Record(Type.String(), Type.Number({ exclusiveMinimum: 0 }))),
  }), { minItems: 1 }),
  electricity_equal_value: Type.Array(Obj({
    year: Type.Integer(), kgce_per_kwh: Type.Number({ exclusiveMinimum: 0 }),
    unconfirmed: Type.Optional(Type.Boolean()), source: Type.String(),
  })),
});
export type StandardCoalFile = Static<typeof StandardCoalFile>;

export const BuildingLimitsFile = Obj({
  standard: Type.String(),
  zone: Type.String(),
  unconfirmed: Type.Optional(Type.Boolean()),
  unit: Type.String(),
  classes: Type.Record(Type.String(), Obj({ limit: Type.Number({ exclusiveMinimum: 0 }), target: Type.Number({ exclusiveMinimum: 0 }), name: Type.Optional(Type.String()) })),
});
export type BuildingLimitsFile = Static<typeof BuildingLimitsFile>;

export const GridFactorsFile = Obj({
  default_region: Type.String(),
  factors: Type.Array(Obj({ region: Type.String(), year: Type.Integer(), kgco2_per_kwh: Type.Number({ exclusiveMinimum: 0 }), source: Type.String() }), { minItems: 1 }),
});
export type GridFactorsFile = Static<typeof GridFactorsFile>;

const TouKind = Type.Union([Type.Literal('peak'), Type.Literal('flat'), Type.Literal('valley')]);
export const Tariff = Obj({
  id: Type.String({ minLength: 1 }),
  name: Type.String(),
  source: Type.String(),
  unconfirmed: Type.Optional(Type.Boolean()),
  effective_from: DateStr,
  effective_to: Type.Optional(DateStr),
  flat_price_cny_per_kwh: Type.Number({ exclusiveMinimum: 0 }),
  seasons: Type.Array(Obj({
    name: Type.String(),
    months: Type.Array(Type.Integer({ minimum: 1, maximum: 12 }), { minItems: 1 }),
    multipliers: Obj({ peak: Type.Number({ minimum: 0 }), flat: Type.Number({ minimum: 0 }), valley: Type.Number({ minimum: 0 }) }),
    periods: Type.Array(Obj({ kind: TouKind, from: Clock, to: Clock }), { minItems: 1 }),
    critical_peak: Type.Optional(Obj({
      months: Type.Array(Type.Integer({ minimum: 1, maximum: 12 })), from: Clock, to: Clock, multiplier_of_peak: Type.Number({ minimum: 0 }),
    })),
  }), { minItems: 1 }),
});
export type Tariff = Static<typeof Tariff>;

export const TariffsFile = Obj({
  default_tariff: Type.String(),
  tariffs: Type.Array(Tariff, { minItems: 1 }),
  prices: Type.Array(Obj({
    medium: MediumKey, effective_from: DateStr, cny_per_unit: Type.Number({ minimum: 0 }), unit: Type.String(),
    unconfirmed: Type.Optional(Type.Boolean()), source: Type.String(),
  })),
});
export type TariffsFile = Static<typeof TariffsFile>;

export const HolidaysFile = Obj({
  years: Type.Array(Obj({
    year: Type.Integer({ minimum: 2000, maximum: 2100 }),
    unconfirmed: Type.Optional(Type.Boolean()),
    source: Type.String(),
    holidays: Type.Array(Obj({ from: DateStr, to: DateStr, name: Type.String() })),
    workdays: Type.Array(DateStr),
  })),
});
export type HolidaysFile = Static<typeof HolidaysFile>;

/** All reference data the analytics need. */
export interface ReferenceData {
  coal: StandardCoalFile;
  limits: BuildingLimitsFile;
  grid: GridFactorsFile;
  tariffs: TariffsFile;
  holidays: HolidaysFile;
}

/** The shipped reference data folder (config/reference/ at the repository root). */
export const DEFAULT_REFERENCE_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'config', 'reference');

/** Load and validate the reference files of a folder; throws ConfigError naming file, path and problem. */
export function loadReferenceData(dir = DEFAULT_REFERENCE_DIR): ReferenceData {
  const load = <T extends import('@sinclair/typebox').TSchema>(name: string, schema: T): Static<T> => {
    const file = join(dir, name);
    const { value, source } = readYaml(file);
    return validate(schema, value, file, source);
  };
  const data: ReferenceData = {
    coal: load('standard-coal.yaml', StandardCoalFile),
    limits: load('building-limits.yaml', BuildingLimitsFile),
    grid: load('grid-factors.yaml', GridFactorsFile),
    tariffs: load('tariffs.yaml', TariffsFile),
    holidays: load('holidays.yaml', HolidaysFile),
  };
  checkTariffs(data.tariffs, join(dir, 'tariffs.yaml'));
  return data;
}

/** Each tariff's seasons must cover the 12 months once and its periods the 24 hours without gap or overlap. */
function checkTariffs(file: TariffsFile, path: string): void {
  file.tariffs.forEach((t, i) => {
    const months = t.seasons.flatMap((s) => s.months).sort((a, b) => a - b);
    if (months.join(',') !== '1,2,3,4,5,6,7,8,9,10,11,12') {
      throw new ConfigError(path, `tariffs[${i}].seasons`, `the seasons must cover months 1–12 exactly once (got ${months.join(',')})`);
    }
    t.seasons.forEach((s, j) => {
      const sorted = [...s.periods].sort((a, b) => a.from.localeCompare(b.from));
      let at = '00:00';
      for (const p of sorted) {
        if (p.from !== at) throw new ConfigError(path, `tariffs[${i}].seasons[${j}].periods`, `gap or overlap at ${at}`);
        at = p.to;
      }
      if (at !== '24:00') throw new ConfigError(path, `tariffs[${i}].seasons[${j}].periods`, 'the periods must end at 24:00');
    });
  });
  if (!file.tariffs.some((t) => t.id === file.default_tariff)) throw new ConfigError(path, 'default_tariff', `unknown tariff '${file.default_tariff}'`);
}
