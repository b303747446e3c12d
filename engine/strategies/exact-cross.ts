import { exactWindowSums } from '../indicators.ts';
import { closePrecisionOf, maxAbsTicks } from '../precision.ts';
import type { BarSeries } from '../types.ts';
import { FLAT, LONG, NONE, SHORT, type SignalKernel } from './strategy.ts';

/**
 * Crosses of two simple moving averages decided exactly, on decimal data: each average is an exact integer tick sum
 * over its window length, and `sumA / a` is compared with `sumB / b` as `sumA * b` against `sumB * a`. The one-pass
 * sma-cross kernel always compares so; the sweep's array path compares the averages when `exactAverages` proves that
 * gives the same answer, else the sums as below. Either way both paths decide every cross as exact arithmetic does.
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
 * Whether the averages themselves decide exactly: each is its exact tick sum divided once (`smaKernel`), the double
 * nearest the true mean, so equal means are equal doubles; and two different means differ by at least
 * 1 / (fast · slow · 10^d), more than a unit in the last place of either when `fast · slow · max|ticks| < 2^52`, so
 * they stay different doubles in the same order. The sweep then compares averages as before, at no extra cost.
 */
export function exactAverages(bars: BarSeries, fast: number, slow: number): boolean {
  const precision = closePrecisionOf(bars);
  return precision !== null && exactWindowSums(precision, slow) && fast * slow * maxAbsTicks(precision) < 2 ** 52;
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
 * Strict cross signals from two columns of exact window tick sums (NaN in warm-up), for sums too large for
 * `exactAverages`: an up-cross (sumA/a below sumB/b on the previous bar and above on this one, both defined) goes
 * long, a down-cross goes short with allowShort, else flat. The double difference decides unless it is within
 * rounding of a tie, and then `crossSign` does.
 */
export function exactCrossSignals(sumA: Float64Array, a: number, sumB: Float64Array, b: number, allowShort: boolean, out: Int8Array): SignalKernel {
  const down = allowShort ? SHORT : FLAT;
  const diff = (x: number, y: number): number => {
    if (x !== x || y !== y) return Number.NaN; // warm-up: never crosses
    const p = x * b;
    const q = y * a;
    const d = p - q;
    return Math.abs(d) > (Math.abs(p) + Math.abs(q)) * 2 ** -50 ? d : crossSign(x, b, y, a);
  };
  return (from, to) => {
    if (from === 0) out[0] = NONE;
    const start = from === 0 ? 1 : from;
    let d0 = diff(sumA[start - 1], sumB[start - 1]);
    for (let t = start; t < to; t++) {
      const d1 = diff(sumA[t], sumB[t]);
      // Opposite signs (NaN compares false); the product cannot underflow: the sums are integers, |d| >= 1.
      out[t] = d0 * d1 < 0 ? (d1 > 0 ? LONG : down) : NONE;
      d0 = d1;
    }
  };
}
