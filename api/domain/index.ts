/**
 * The analytics domain module (DESIGN.md D4): pure functions over aggregated series, no I/O. Each formula is
 * documented in docs/formulas.md with its standard and tested against hand-worked examples.
 */
export * from './calendar.ts';
export * from './categories.ts';
export * from './coal.ts';
export * from './intensity.ts';
export * from './breakdown.ts';
export * from './tariff.ts';
export * from './pv.ts';
export * from './mv.ts';
export * from './stats.ts';
export * from './warnings.ts';
