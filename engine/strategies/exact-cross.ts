import { exactWindowSums } from '../indicators.ts';
import { closePrecisionOf, maxAbsTicks } from '../precision.ts';
import type { BarSeries } from '../types.ts';
import { FLAT, LONG, NONE, SHORT, type SignalKernel } from './strategy.ts';

/**
 * Crosses of two simple moving averages decided exactly, on decimal data: each average is an exact integer tick sum
 * over its window length, and `sumA / a` is compared with `sumB / b` as `sumA * b` against `sumB * a`. Both the
 * one-pass sma-cross kernel and the sweep's array path decide with these functions, so they always agree.
 */

/** Whether sma-cross(fast, slow) on these bars is decided exactly: a decimal series whose window sums fit in 2^53. */
export function exactSmaCross(bars: BarSeries, slow: number): boolean {
  const precision = closePrecisionOf(bars);
  return precision !== null && exactWindowSums(precision, slow);
}

/** Whether every product `sum * period` is itself an integer below 2^53 (no rounding at all: the common case). */
export function exactProducts(bars: BarSeries, fast: number, slow: number): boolean {
  const precision = closePrecisionOf(bars);
  return precision !== null && fast * slow * maxAbsTicks(precision) < 2 ** 53;
}

/**
 * The sign of `sa * b - sb * a` for integer doubles (|sa|, |sb| < 2^53): in doubles when the difference is far larger
 * than the products' rounding (relative error below 2^-52 each), else in BigInt. Rare: only near-ties of large sums.
 */
export function crossSign(sa: number, b: number, sb: number, a: number): number {
  const p = sa * b;
  const q = sb * a;
  const d = p - q;
  if (Math.abs(d) > (Math.abs(p) + Math.abs(q)) * 2 ** -50) return d > 0 ? 1 : -1;
  const e = BigInt(sa) * BigInt(b) - BigInt(sb) * BigInt(a);
  return e > 0n ? 1 : e < 0n ? -1 : 0;
}

/**
 * Strict cross signals from two columns of exact window tick sums (NaN in warm-up): an up-cross (sumA/a below sumB/b
 * on the previous bar and above on this one, both defined) goes long, a down-cross goes short with allowShort, else
 * flat. `products` says every product is exact (see exactProducts), so the plain difference decides.
 */
export function exactCrossSignals(
  sumA: Float64Array,
  a: number,
  sumB: Float64Array,
  b: number,
  allowShort: boolean,
  products: boolean,
  out: Int8Array,
): SignalKernel {
  const down = allowShort ? SHORT : FLAT;
  return (from, to) => {
    if (from === 0) out[0] = NONE;
    const start = from === 0 ? 1 : from;
    // Opposite signs of exact integers (NaN, in warm-up, compares false); the product cannot underflow: |d| >= 1.
    let d0 = sumA[start - 1] * b - sumB[start - 1] * a;
    if (products) {
      for (let t = start; t < to; t++) {
        const d1 = sumA[t] * b - sumB[t] * a;
        out[t] = d0 * d1 < 0 ? (d1 > 0 ? LONG : down) : NONE;
        d0 = d1;
      }
      return;
    }
    const x0 = sumA[start - 1];
    const y0 = sumB[start - 1];
    d0 = x0 === x0 && y0 === y0 ? crossSign(x0, b, y0, a) : Number.NaN;
    for (let t = start; t < to; t++) {
      const x = sumA[t];
      const y = sumB[t];
      const p = x * b;
      const q = y * a;
      let d1 = p - q;
      // Within rounding of a tie: decide exactly (NaN skips this, and stays NaN).
      if (Math.abs(d1) <= (Math.abs(p) + Math.abs(q)) * 2 ** -50) d1 = crossSign(x, b, y, a);
      out[t] = d0 * d1 < 0 ? (d1 > 0 ? LONG : down) : NONE;
      d0 = d1;
    }
  };
}
