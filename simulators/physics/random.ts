/**
 * Deterministic randomness for the simulators: every value is a pure function of (seed, key, index), so a
 * device reads the same at the same instant in any process, in any order of calls (no hidden PRNG state).
 */

import { fnv1a } from '../../core/hash.ts';

/** 32-bit FNV-1a hash of a string, for turning ids into seeds. */
export const hashString = fnv1a;

/** Uniform value in [0, 1) determined by the seed and an integer index (a counter-based generator). */
export function unitHash(seed: number, index: number): number {
  // splitmix32-style finaliser over seed and index: well mixed, no state.
  let z = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index | 0, 0xc2b2ae35) + Math.floor(index / 4294967296)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d);
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b);
  z ^= z >>> 16;
  return (z >>> 0) / 4294967296;
}

/** Seed derived from a parent seed and a label ("site seed" + "device id" → device seed). */
export function childSeed(seed: number, label: string): number {
  return (hashString(label) ^ Math.imul(seed | 0, 0x2c1b3c6d)) >>> 0;
}

/** Approximately normal N(0,1) from two hashed uniforms (Box–Muller). */
export function normalHash(seed: number, index: number): number {
  const u1 = Math.max(unitHash(seed, 2 * index), 1e-12);
  const u2 = unitHash(seed, 2 * index + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * Smooth value noise in [-1, 1]: hashed values at integer knots of `x`, joined by a smoothstep.
 * Used for slow variations (weather, cloud cover) that must be continuous in time.
 */
export function valueNoise(seed: number, x: number): number {
  const i = Math.floor(x);
  const f = x - i;
  const s = f * f * (3 - 2 * f);
  const a = unitHash(seed, i) * 2 - 1;
  const b = unitHash(seed, i + 1) * 2 - 1;
  return a + (b - a) * s;
}
