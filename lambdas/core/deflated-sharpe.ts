/**
 * The deflated Sharpe ratio (Bailey and López de Prado, "The Deflated Sharpe Ratio", Journal of Portfolio Management
 * 40(5), 2014): the probability that the true Sharpe ratio of a strategy is above zero, given that it was the best of
 * N trials. Picking the best of many combinations inflates the in-sample Sharpe; DSR discounts it by the Sharpe the
 * best of N trials would show by luck alone (SR0), and by the sample's length, skewness and kurtosis.
 *
 * Everything here is per period (daily), not annualised, as in the paper.
 */

const EULER_MASCHERONI = 0.5772156649015329;

/** Standard normal CDF. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

function erfc(x: number): number {
  // Numerical Recipes' erfc (Chebyshev fit), fractional error below 1.2e-7 everywhere: ample for a probability shown
  // with three decimals.
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Inverse standard normal CDF (Acklam's algorithm, relative error below 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`a probability strictly between 0 and 1 is needed, got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Sample moments of per-period returns: what DSR needs besides the trials. */
export interface ReturnMoments {
  /** Number of returns (T). */
  count: number;
  /** Per-period Sharpe ratio: mean / sample standard deviation (no risk-free rate, not annualised). */
  sharpe: number;
  skewness: number;
  /** Kurtosis, not excess (3 for a normal distribution). */
  kurtosis: number;
}

/** Moments of the simple returns of an equity series (one value per period). */
export function returnMoments(equity: ArrayLike<number>): ReturnMoments {
  const returns: number[] = [];
  for (let i = 1; i < equity.length; i++) returns.push(equity[i] / equity[i - 1] - 1);
  const n = returns.length;
  if (n < 3) return { count: n, sharpe: Number.NaN, skewness: Number.NaN, kurtosis: Number.NaN };
  const mean = returns.reduce((s, r) => s + r, 0) / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const r of returns) {
    const d = r - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  const sd = Math.sqrt(m2 / (n - 1));
  const pop2 = m2 / n;
  return {
    count: n,
    sharpe: sd > 0 ? mean / sd : Number.NaN,
    skewness: pop2 > 0 ? m3 / n / pop2 ** 1.5 : Number.NaN,
    kurtosis: pop2 > 0 ? m4 / n / pop2 ** 2 : Number.NaN,
  };
}

/** The sample variance of the trials' per-period Sharpe ratios (0 when fewer than two finite values). */
export function trialVariance(sharpes: readonly number[]): number {
  const xs = sharpes.filter(Number.isFinite);
  if (xs.length < 2) return 0;
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1);
}

/**
 * SR0: the Sharpe ratio the best of `trials` independent trials would show by luck when every true Sharpe is zero,
 * with `variance` the variance of the trials' Sharpe ratios (the paper's equation for E[max SR]). 0 for one trial.
 */
export function expectedMaxSharpe(trials: number, variance: number): number {
  if (trials <= 1 || variance <= 0) return 0;
  const g = EULER_MASCHERONI;
  return Math.sqrt(variance) * ((1 - g) * normalQuantile(1 - 1 / trials) + g * normalQuantile(1 - 1 / (trials * Math.E)));
}

export interface DeflatedSharpe {
  /** P(true Sharpe > 0 | the best of `trials`), 0..1; null when the returns give no Sharpe (no variation, too short). */
  probability: number | null;
  /** The per-period Sharpe that luck alone gives the best of `trials` (the benchmark subtracted). */
  expectedMaxSharpe: number;
  /** The winner's per-period Sharpe, T, skewness and kurtosis. */
  moments: ReturnMoments;
  trials: number;
  trialVariance: number;
}

/** DSR = Φ((SR - SR0) √(T-1) / √(1 - γ3 SR + (γ4 - 1)/4 SR²)). */
export function deflatedSharpe(moments: ReturnMoments, trials: number, variance: number): DeflatedSharpe {
  const sr0 = expectedMaxSharpe(trials, variance);
  const { sharpe: sr, count: t, skewness, kurtosis } = moments;
  let probability: number | null = null;
  if (Number.isFinite(sr) && Number.isFinite(skewness) && Number.isFinite(kurtosis) && t > 1) {
    const denominator = 1 - skewness * sr + ((kurtosis - 1) / 4) * sr * sr;
    if (denominator > 0) probability = normalCdf(((sr - sr0) * Math.sqrt(t - 1)) / Math.sqrt(denominator));
  }
  return { probability, expectedMaxSharpe: sr0, moments, trials, trialVariance: variance };
}
