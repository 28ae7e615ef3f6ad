/** Small numerical tools for the M&V regression: least squares, quantiles. Pure, no dependencies. */

/** Ordinary least squares: β = (XᵀX)⁻¹ Xᵀy; also (XᵀX)⁻¹ for standard errors. Null when XᵀX is singular. */
export function leastSquares(x: number[][], y: number[]): { beta: number[]; xtxInv: number[][] } | null {
  const p = x[0]?.length ?? 0;
  const xtx = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const xty = new Array<number>(p).fill(0);
  for (let i = 0; i < x.length; i++) {
    const row = x[i];
    for (let a = 0; a < p; a++) {
      xty[a] += row[a] * y[i];
      for (let b = a; b < p; b++) xtx[a][b] += row[a] * row[b];
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) xtx[a][b] = xtx[b][a];
  const inv = invert(xtx);
  if (!inv) return null;
  const beta = inv.map((r) => r.reduce((s, v, j) => s + v * xty[j], 0));
  return { beta, xtxInv: inv };
}

/** Gauss–Jordan inverse with partial pivoting; null when (numerically) singular. */
export function invert(m: number[][]): number[][] | null {
  const n = m.length;
  const a = m.map((r, i) => [...r, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  const scale = Math.max(1e-300, ...m.map((r) => Math.max(...r.map(Math.abs))));
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[piv][c])) piv = r;
    if (Math.abs(a[piv][c]) < 1e-12 * scale) return null;
    [a[c], a[piv]] = [a[piv], a[c]];
    const d = a[c][c];
    for (let j = 0; j < 2 * n; j++) a[c][j] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r][c];
      if (f !== 0) for (let j = 0; j < 2 * n; j++) a[r][j] -= f * a[c][j];
    }
  }
  return a.map((r) => r.slice(n));
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * Quantile of Student's t with ν degrees of freedom (Cornish–Fisher expansion around the normal quantile;
 * Abramowitz & Stegun 26.7.5). Error below 0.5 % for ν ≥ 3 at the 68–95 % levels used here.
 */
export function tQuantile(p: number, dof: number): number {
  const z = normalQuantile(p);
  const v = Math.max(1, dof);
  const z3 = z ** 3, z5 = z ** 5, z7 = z ** 7, z9 = z ** 9;
  return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v ** 2)
    + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v ** 3)
    + (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * v ** 4);
}

/** Lag-1 autocorrelation of a residual series, ρ = Σ e_t e_{t−1} / Σ e_t². */
export function lag1Autocorrelation(residuals: number[]): number {
  const ss = residuals.reduce((a, e) => a + e * e, 0);
  if (ss === 0) return 0;
  let s = 0;
  for (let i = 1; i < residuals.length; i++) s += residuals[i] * residuals[i - 1];
  return s / ss;
}

/** Median of a list (the mean of the two middle values of an even count); null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Mean power in kW of hours given as hourly energy in kWh: an hour's kWh is its mean kW (E = P̄ · 1 h), so the
 * mean over the hours is Σ kWh / n. Used for base load (night and holiday hours); null without hours.
 */
export function meanPowerKw(hourly_kwh: readonly number[]): number | null {
  return hourly_kwh.length === 0 ? null : hourly_kwh.reduce((a, v) => a + v, 0) / hourly_kwh.length;
}

/** Demand in kW of a 15-minute interval's energy (GB/T 最大需量: the mean power of a 15-minute window) = kWh × 4. */
export function demandKw(interval15m_kwh: number): number {
  return interval15m_kwh * 4;
}
