/**
 * Bollinger bands, and where the close lies relative to them. The strategy's signals read the zone, never the band
 * values: on a decimal series the zone is decided on exact integers (no square root, no rounding), so a close that
 * equals a band or the middle in exact arithmetic is treated as equal. See docs/engine.md, "Numerics".
 */
import { takeFloat64 } from './buffer-pool.ts';
import type { IndicatorKernel } from './indicators.ts';
import { detectPrecision, rationalOf, TO_INTEGER } from './precision.ts';
import type { ClosePrecision } from './types.ts';

/** Zone codes: where the close lies relative to the bands of its own window (NaN during warm-up). */
export const BELOW_LOWER = -2;
export const BELOW_MIDDLE = -1; // lower <= close < middle
export const AT_MIDDLE = 0;
export const ABOVE_MIDDLE = 1; // middle < close <= upper
export const ABOVE_UPPER = 2;

/** Outputs [middle (SMA), upper, lower]: middle ± k × the population standard deviation of the window. */
export function bollingerKernel(
  src: Float64Array,
  period: number,
  k: number,
  precision: ClosePrecision | null = detectPrecision(src),
): IndicatorKernel {
  return bollinger(src, period, k, precision, true);
}

/**
 * Output [zone]: BELOW_LOWER when close < lower band, BELOW_MIDDLE when lower <= close < middle, AT_MIDDLE, ABOVE_MIDDLE
 * when middle < close <= upper, ABOVE_UPPER when close > upper; NaN in warm-up. With a zero deviation the bands are
 * the middle, so a close off the middle is beyond a band.
 */
export function bollingerZoneKernel(
  src: Float64Array,
  period: number,
  k: number,
  precision: ClosePrecision | null = detectPrecision(src),
): IndicatorKernel {
  return bollinger(src, period, k, precision, false);
}

/** Largest distance in ticks from the series' mid-range for the exact path: squares of such numbers are exact. */
const MAX_SPREAD = 2 ** 26;
const TWO_53 = 2 ** 53;

function bollinger(src: Float64Array, period: number, k: number, precision: ClosePrecision | null, bands: boolean): IndicatorKernel {
  if (!Number.isInteger(period) || period < 1) throw new RangeError(`period must be an integer >= 1, got ${period}`);
  if (!(k > 0) || !Number.isFinite(k)) throw new RangeError(`k must be a positive number, got ${k}`);
  const n = src.length;
  const outputs = bands ? [takeFloat64(n), takeFloat64(n), takeFloat64(n)] : [takeFloat64(n)];
  if (precision !== null) {
    const ref = Math.round((precision.minTicks + precision.maxTicks) / 2);
    const spread = Math.max(precision.maxTicks - ref, ref - precision.minTicks);
    if (spread <= MAX_SPREAD && 2 * period * spread <= TWO_53) return exactBollinger(src, period, k, precision, ref, spread, outputs, bands);
  }
  return welfordBollinger(src, period, k, outputs, bands);
}

/**
 * Decimal data. With x the close in ticks minus a reference (the series' mid-range, to keep the numbers small), the
 * window's S = Σx is an exact integer and Q = Σx² is carried exactly as the unevaluated sum of two doubles (each
 * update is an error-free TwoSum), across chunks: nothing drifts. With M = S − p·x_close (p times middle minus close)
 * and V = p·Q − S² (p² times the variance), for k = kn/kd:
 *   close < lower  ⇔  M > 0 and kd²·M² > kn²·V;   close > upper  ⇔  M < 0 and kd²·M² > kn²·V;   close = middle ⇔ M = 0.
 * The two sides are compared in doubles when they differ by far more than the rounding of that computation (a bound
 * of 2^-48 relative to the terms, about 30 times the worst case), else exactly in BigInt: only ties and near-ties.
 */
function exactBollinger(
  src: Float64Array,
  period: number,
  k: number,
  precision: ClosePrecision,
  ref: number,
  spread: number,
  outputs: Float64Array[],
  bands: boolean,
): IndicatorKernel {
  const { num: kn, den: kd } = rationalOf(k);
  const kn2 = kn * kn;
  const kd2 = kd * kd;
  const scale = precision.scale;
  const den = period * scale;
  const refSum = period * ref;
  // The middle band as one correctly rounded division (equal to smaKernel's) when the raw tick sum is exact.
  const rawSumExact = period * Math.max(Math.abs(precision.minTicks), Math.abs(precision.maxTicks)) <= TWO_53;
  // Small numbers (cents at ordinary prices): |M| <= 2·p·D and V <= p²·D², so when 4·p²·D²·max(kd², kn²) < 2^53 every
  // product below is an exact integer and the plain comparison is exact: no TwoSum, no rounding filter.
  const small = !bands && 4 * (period * spread) ** 2 * Math.max(kd2, kn2) < TWO_53;
  const [first, upper, lower] = outputs;
  let sum = 0;
  let sqHi = 0;
  let sqLo = 0;
  const warmUp = (i: number): void => {
    first[i] = Number.NaN;
    if (bands) upper[i] = lower[i] = Number.NaN;
  };
  const stepSmall = (from: number, to: number): void => {
    let s = sum;
    let q = sqHi;
    let i = from;
    for (; i < Math.min(to, period); i++) {
      const x = src[i] * scale + TO_INTEGER - TO_INTEGER - ref;
      s += x;
      q += x * x;
      if (i < period - 1) warmUp(i);
      else first[i] = zoneOf(s - period * x, kd2, kn2 * (period * q - s * s));
    }
    for (; i < to; i++) {
      const x = src[i] * scale + TO_INTEGER - TO_INTEGER - ref;
      const y = src[i - period] * scale + TO_INTEGER - TO_INTEGER - ref;
      s += x - y;
      q += x * x - y * y;
      const m = s - period * x;
      const a = kd2 * (m * m);
      const b = kn2 * (period * q - s * s);
      first[i] = m > 0 ? (a > b ? BELOW_LOWER : BELOW_MIDDLE) : m < 0 ? (a > b ? ABOVE_UPPER : ABOVE_MIDDLE) : AT_MIDDLE;
    }
    sum = s;
    sqHi = q;
  };
  const stepLarge = (from: number, to: number): void => {
    let s = sum;
    let qh = sqHi;
    let ql = sqLo;
    for (let i = from; i < to; i++) {
      const x = src[i] * scale + TO_INTEGER - TO_INTEGER - ref;
      let dq: number;
      if (i >= period) {
        const y = src[i - period] * scale + TO_INTEGER - TO_INTEGER - ref;
        s += x - y;
        dq = x * x - y * y; // exact: both squares are integers <= 2^52
      } else {
        s += x;
        dq = x * x;
      }
      // TwoSum: qh + dq == t + err exactly; the low part collects every rounding error.
      const t = qh + dq;
      const bv = t - qh;
      ql += qh - (t - bv) + (dq - bv);
      qh = t;
      if (i < period - 1) {
        warmUp(i);
        continue;
      }
      const v = period * qh - s * s + period * ql;
      if (bands) {
        const m = rawSumExact ? (s + refSum) / den : (s / period + ref) / scale;
        const w = k * (Math.sqrt(v > 0 ? v : 0) / den);
        first[i] = m;
        upper[i] = m + w;
        lower[i] = m - w;
      } else {
        const m = s - period * x;
        if (m === 0) {
          first[i] = AT_MIDDLE;
        } else {
          const a = kd2 * (m * m);
          const b = kn2 * v;
          const tol = (a + kn2 * (period * qh + s * s)) * 2 ** -48;
          const far = Math.abs(a - b) > tol ? a > b : beyondBig(m, s, qh, ql, period, kn, kd);
          first[i] = m > 0 ? (far ? BELOW_LOWER : BELOW_MIDDLE) : far ? ABOVE_UPPER : ABOVE_MIDDLE;
        }
      }
    }
    // Renormalise the pair so the low part stays small (exact: TwoSum).
    const t = qh + ql;
    const bv = t - qh;
    sqLo = qh - (t - bv) + (ql - bv);
    sqHi = t;
    sum = s;
  };
  return { length: src.length, outputs, step: small ? stepSmall : stepLarge };
}

/** The zone from M (p · (middle − close)) and the two sides kd²·M² and kn²·V, all exact. */
function zoneOf(m: number, kd2: number, b: number): number {
  if (m === 0) return AT_MIDDLE;
  const far = kd2 * (m * m) > b;
  return m > 0 ? (far ? BELOW_LOWER : BELOW_MIDDLE) : far ? ABOVE_UPPER : ABOVE_MIDDLE;
}

/** kd²·m² > kn²·(p·Q − s²) with Q = qh + ql, in exact integer arithmetic (ties and near-ties only). */
function beyondBig(m: number, s: number, qh: number, ql: number, period: number, kn: number, kd: number): boolean {
  const bm = BigInt(m);
  const bs = BigInt(s);
  const v = BigInt(period) * (BigInt(qh) + BigInt(ql)) - bs * bs;
  return BigInt(kd) ** 2n * bm * bm > BigInt(kn) ** 2n * v;
}

/**
 * Data without a fixed decimal precision (or too wide a range for the exact path): Welford's running mean and sum of
 * squared deviations, updated as a value enters and one leaves the window, re-seeded at each chunk start by a two-pass
 * computation over the window so rounding cannot accumulate. Signals compare squared quantities, as above:
 * (close − mean)² against k² × variance.
 */
function welfordBollinger(src: Float64Array, period: number, k: number, outputs: Float64Array[], bands: boolean): IndicatorKernel {
  const k2 = k * k;
  const [first, upper, lower] = outputs;
  return {
    length: src.length,
    outputs,
    step(from, to) {
      // Everything relative to a value of the chunk (differences of nearby doubles are exact), so a large price level
      // adds no rounding to the mean: at 5e7 the running mean's own rounding otherwise drifts the deviation by 1e-4.
      const start = Math.max(0, from - period);
      const ref = src[start];
      // Two-pass seed: the window ending at from − 1.
      const count = from - start;
      let mean = 0;
      let m2 = 0;
      if (count > 0) {
        let sum = 0;
        let comp = 0;
        for (let j = start; j < from; j++) {
          const x = src[j] - ref;
          const t = sum + x;
          comp += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
          sum = t;
        }
        mean = (sum + comp) / count;
        for (let j = start; j < from; j++) m2 += (src[j] - ref - mean) * (src[j] - ref - mean);
      }
      for (let i = from; i < to; i++) {
        const x = src[i] - ref;
        if (i >= period) {
          const y = src[i - period] - ref;
          const before = mean;
          mean += (x - y) / period;
          m2 += (x - y) * (x - mean + y - before);
        } else {
          const d = x - mean;
          mean += d / (i + 1);
          m2 += d * (x - mean);
        }
        if (m2 < 0) m2 = 0;
        if (i < period - 1) {
          first[i] = Number.NaN;
          if (bands) upper[i] = lower[i] = Number.NaN;
          continue;
        }
        const variance = m2 / period;
        if (bands) {
          const w = k * Math.sqrt(variance);
          const m = ref + mean;
          first[i] = m;
          upper[i] = m + w;
          lower[i] = m - w;
        } else {
          const d = x - mean;
          if (d === 0) {
            first[i] = AT_MIDDLE;
          } else {
            const far = d * d > k2 * variance;
            first[i] = d < 0 ? (far ? BELOW_LOWER : BELOW_MIDDLE) : far ? ABOVE_UPPER : ABOVE_MIDDLE;
          }
        }
      }
    },
  };
}
