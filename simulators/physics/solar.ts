/**
 * Sun position and irradiance on a tilted plane.
 *
 * Sun position: NOAA's low-precision formulas (Spencer 1971 Fourier series for the declination and the
 * equation of time), good to a fraction of a degree — ample for energy simulation.
 * Clear-sky global horizontal irradiance: Haurwitz (1945), GHI = 1098·cos z·exp(−0.057/cos z) W/m².
 * Diffuse fraction: Erbs, Klein & Duffie (1982) correlation on the clearness index.
 * Plane of array: isotropic sky (Liu & Jordan) with ground reflection (albedo 0.2).
 */

const RAD = Math.PI / 180;

/** Sun position at an instant: zenith and azimuth (0 = north, 90 = east, 180 = south), degrees. */
export interface SunPosition {
  zenithDeg: number;
  azimuthDeg: number;
  declinationDeg: number;
  hourAngleDeg: number;
}

let yearCache = { from: 0, to: -1, startOfYear: 0, daysInYear: 365 };
/** The UTC year holding `ms` (cached: knots walk through time in order). */
function utcYear(ms: number): { startOfYear: number; daysInYear: number } {
  if (ms < yearCache.from || ms >= yearCache.to) {
    const year = new Date(ms).getUTCFullYear();
    const from = Date.UTC(year, 0, 1), to = Date.UTC(year + 1, 0, 1);
    yearCache = { from, to, startOfYear: from, daysInYear: (to - from) / 86_400_000 };
  }
  return yearCache;
}

/** Where the sun stands at `ms` (UTC epoch ms) seen from latitude/longitude (degrees, east positive). */
export function sunPosition(ms: number, latitudeDeg: number, longitudeDeg: number): SunPosition {
  const { startOfYear, daysInYear } = utcYear(ms);
  const dayIndex = Math.floor((ms - startOfYear) / 86_400_000);
  const utcHours = (ms - startOfYear - dayIndex * 86_400_000) / 3_600_000;
  const dayOfYear = dayIndex + 1;
  // Fractional year γ (radians), NOAA "General Solar Position Calculations".
  const g = ((2 * Math.PI) / daysInYear) * (dayOfYear - 1 + (utcHours - 12) / 24);
  const eqTimeMin = 229.18 * (0.000075 + 0.001868 * Math.cos(g) - 0.032077 * Math.sin(g)
    - 0.014615 * Math.cos(2 * g) - 0.040849 * Math.sin(2 * g));
  const decl = 0.006918 - 0.399912 * Math.cos(g) + 0.070257 * Math.sin(g) - 0.006758 * Math.cos(2 * g)
    + 0.000907 * Math.sin(2 * g) - 0.002697 * Math.cos(3 * g) + 0.00148 * Math.sin(3 * g);
  const trueSolarMin = utcHours * 60 + eqTimeMin + 4 * longitudeDeg;
  const hourAngle = (trueSolarMin / 4 - 180) * RAD;
  const lat = latitudeDeg * RAD;
  const cosZ = Math.sin(lat) * Math.sin(decl) + Math.cos(lat) * Math.cos(decl) * Math.cos(hourAngle);
  const zenith = Math.acos(Math.min(1, Math.max(-1, cosZ)));
  const az = Math.atan2(Math.sin(hourAngle), Math.cos(hourAngle) * Math.sin(lat) - Math.tan(decl) * Math.cos(lat));
  return {
    zenithDeg: zenith / RAD,
    azimuthDeg: (((az / RAD + 180) % 360) + 360) % 360,
    declinationDeg: decl / RAD,
    hourAngleDeg: (((hourAngle / RAD + 540) % 360) + 360) % 360 - 180,
  };
}

/** Extraterrestrial normal irradiance, W/m² (solar constant 1367 with the orbit's eccentricity). */
export function extraterrestrialWm2(dayOfYear: number): number {
  return 1367 * (1 + 0.033 * Math.cos((2 * Math.PI * dayOfYear) / 365));
}

/** Haurwitz clear-sky global horizontal irradiance, W/m²; 0 with the sun below the horizon. */
export function clearSkyGhiWm2(zenithDeg: number): number {
  const cosZ = Math.cos(zenithDeg * RAD);
  return cosZ <= 0.01 ? 0 : 1098 * cosZ * Math.exp(-0.057 / cosZ);
}

/** Erbs diffuse fraction DHI/GHI from the clearness index kt. */
export function erbsDiffuseFraction(kt: number): number {
  if (kt <= 0.22) return 1 - 0.09 * kt;
  if (kt <= 0.8) return 0.9511 - 0.1604 * kt + 4.388 * kt ** 2 - 16.638 * kt ** 3 + 12.336 * kt ** 4;
  return 0.165;
}

/** Global, direct-normal and diffuse horizontal irradiance, W/m². */
export interface Irradiance {
  ghiWm2: number;
  dniWm2: number;
  dhiWm2: number;
}

/** Split global horizontal irradiance into beam and diffuse (Erbs). */
export function splitGhi(ghiWm2: number, zenithDeg: number, dayOfYear: number): Irradiance {
  const cosZ = Math.cos(zenithDeg * RAD);
  if (ghiWm2 <= 0 || cosZ <= 0.01) return { ghiWm2: 0, dniWm2: 0, dhiWm2: 0 };
  const kt = Math.min(1, ghiWm2 / (extraterrestrialWm2(dayOfYear) * cosZ));
  const dhi = ghiWm2 * erbsDiffuseFraction(kt);
  return { ghiWm2, dhiWm2: dhi, dniWm2: Math.max(0, (ghiWm2 - dhi) / cosZ) };
}

/** Irradiance on a plane tilted `tiltDeg` facing `azimuthDeg` (180 = south), W/m² (isotropic sky). */
export function planeOfArrayWm2(irr: Irradiance, sun: SunPosition, tiltDeg: number, azimuthDeg: number, albedo = 0.2): number {
  if (irr.ghiWm2 <= 0) return 0;
  const z = sun.zenithDeg * RAD, beta = tiltDeg * RAD;
  const cosAoi = Math.cos(z) * Math.cos(beta) + Math.sin(z) * Math.sin(beta) * Math.cos((sun.azimuthDeg - azimuthDeg) * RAD);
  const beam = irr.dniWm2 * Math.max(0, cosAoi);
  const sky = irr.dhiWm2 * (1 + Math.cos(beta)) / 2;
  const ground = irr.ghiWm2 * albedo * (1 - Math.cos(beta)) / 2;
  return beam + sky + ground;
}

/** Day of the year (1–366) of a UTC instant, as the irradiance formulas use it. */
export function utcDayOfYear(ms: number): number {
  const year = new Date(ms).getUTCFullYear();
  return Math.floor((ms - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
}
